r"""The one training loop of tlearn.

Every trainable method in the package (few-shot episodes and pairs, source-only/MMD/CORAL/DANN, multi-task
weighting and soft sharing, fine-tuning, prototypical zero-shot, pretraining) is a small :class:`Method`:
an ``nn.Module`` that holds what it trains and says what its loss is on one batch,

.. math::  \theta_{t+1} = \theta_t - \eta_t\, \widehat{\nabla_\theta \mathcal{L}}(\theta_t;\ B_t, p_t),
           \qquad p_t = t / T \in [0, 1],

where :math:`B_t` is the batch, :math:`T` the number of steps and :math:`p_t` the training progress that
schedules such as DANN's :math:`\lambda_p = 2/(1+e^{-10p}) - 1` read. :func:`fit` owns everything else:
the optimizer (Adam by default; pass your own, e.g. one built from layer-wise parameter groups), the
learning-rate schedule :math:`\eta_t = \eta_0\, m(p_t)`, the device, the seed, the progress bar, the
timing, and the mode the model is left in. It returns one :class:`History`. The ``.backward()`` call of
the whole package is here.

**Seeding policy** (the one place it is written down). ``fit(..., seed=s)`` starts by seeding Python,
NumPy and PyTorch's global generators with ``s`` (:func:`seed_everything`), so a call gives the same
numbers whatever ran before it. Randomness that belongs to the data (which episode, which pairs, which
shuffle) comes from the sampler's own ``torch.Generator``, seeded by the sampler's ``seed``; the trainers
pass the same ``s`` to it. A model's initial weights are whatever the caller built: constructors that
take a ``seed`` (``make_model(..., seed=)``, ``replace_head(..., seed=)``) draw them inside
``torch.random.fork_rng`` and leave the global state alone.

For supervised learning on in-memory tensors, :class:`Classification` is the method (cross-entropy,
:math:`\mathcal{L} = -\frac1B\sum_i \log p_\theta(y_i\mid x_i)`) and :func:`shuffled_batches` the
batches (one shuffled pass per epoch, indexing one tensor, many times faster on a CPU than a
``DataLoader`` that collates samples one by one); :func:`fit_classifier` puts the two together.
"""

from __future__ import annotations

import math
import os
import random
import time
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import checks


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch; returns a ``torch.Generator`` seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def get_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple's MPS, then the CPU."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'mps', got {device!r}") from err


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def as_tensors(data) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` tensors from an ImageSet, an ``(X, y)`` pair or a labelled ``Dataset``."""
    if hasattr(data, "images") and hasattr(data, "targets") and isinstance(data.targets, torch.Tensor):
        return data.images, data.targets
    if isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = torch.as_tensor(data[0]), torch.as_tensor(data[1])
    elif isinstance(data, torch.utils.data.Dataset):
        items = [data[i] for i in range(len(data))]
        X = torch.stack([torch.as_tensor(x) for x, _ in items])
        y = torch.as_tensor([int(t) for _, t in items])
    else:
        raise TypeError(f"data must be an ImageSet, an (X, y) tuple or a Dataset, got {type(data).__name__}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    if y.dtype.is_floating_point:
        raise ValueError(f"labels must be integer class ids, got dtype {y.dtype}")
    return X, y.long()


def batches(n: int, batch_size: int, shuffle: bool, generator: torch.Generator | None = None):
    """Index batches of one pass over ``n`` items."""
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def shuffled_batches(*tensors: torch.Tensor, batch_size: int, seed: int = 0, epochs: int | None = None):
    """``(x_batch, y_batch, ...)`` from one shuffled pass over the tensors per epoch, forever or ``epochs``
    times. The shuffle has its own generator, seeded by ``seed``."""
    batch_size = checks.positive_int("batch_size", batch_size)
    n = len(tensors[0])
    if n == 0:
        raise ValueError("data is empty; nothing to train on")
    g = torch.Generator().manual_seed(seed)
    epoch = 0
    while epochs is None or epoch < epochs:
        for idx in batches(n, batch_size, shuffle=True, generator=g):
            yield tuple(t[idx] for t in tensors)
        epoch += 1


def steps_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


class History(dict):
    """What :func:`fit` records: ``history[key]`` is a list with one value per step (``"loss"`` and
    whatever the method logs; a ``hook`` may log other keys less often), ``history.seconds`` the wall time
    of the training loop and ``history.steps`` the number of steps taken."""

    def __init__(self, *args, seconds: float = 0.0, steps: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.seconds = float(seconds)
        self.steps = int(steps)

    def log(self, **values):
        for key, value in values.items():
            self.setdefault(key, []).append(value)

    @property
    def total_seconds(self) -> float:
        """The same as ``seconds`` (the older name)."""
        return self.seconds

    def last(self, key: str):
        return self[key][-1] if self.get(key) else None

    def mean(self, key: str, last: int | None = None) -> float:
        """Mean of ``history[key]``, or of its ``last`` values."""
        values = self[key][-last:] if last else self[key]
        return float(sum(values) / len(values))

    def per_epoch(self, key: str, steps_per_epoch: int) -> list[float]:
        """Means of consecutive blocks of ``steps_per_epoch`` values: per-step logs as per-epoch curves."""
        values = self[key]
        return [float(np.mean(values[i : i + steps_per_epoch])) for i in range(0, len(values), steps_per_epoch)]


class Method(nn.Module):
    """A trainable method: the modules it trains, and its loss on one batch.

    Subclasses implement ``loss(batch, progress)`` and return the scalar loss, or ``(loss, logs)`` where
    ``logs`` maps names to floats or 0-d tensors (an accuracy, a weight) to record in the :class:`History`.
    ``progress`` is :math:`p \\in [0, 1]`, the fraction of training done.
    """

    def loss(self, batch, progress: float):
        raise NotImplementedError


def _progress(iterable, progress: bool, desc: str | None, total: int | None = None):
    """The package's one progress bar; ``TLEARN_NO_PROGRESS=1`` turns every bar off."""
    disable = not progress or bool(os.environ.get("TLEARN_NO_PROGRESS"))
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False)


def to_device(batch, device: torch.device, non_blocking: bool = False):
    """Move a batch (a tensor, a tuple/list/dict of them, or anything with ``.to(device)``) to ``device``.
    On a GPU the CPU tensors are pinned first, so the copy is asynchronous."""
    if isinstance(batch, torch.Tensor):
        if non_blocking and batch.device.type == "cpu" and torch.cuda.is_available():
            batch = batch.pin_memory()
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device, non_blocking) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device, non_blocking) for k, v in batch.items()}
    if hasattr(batch, "to"):  # e.g. an Episode, which pins and copies asynchronously itself
        try:
            return batch.to(device, non_blocking=non_blocking)
        except TypeError:  # a .to(device) without that keyword
            return batch.to(device)
    return batch


def _scalar(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def fit(
    method: nn.Module,
    batches: Iterable,
    steps: int,
    *,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    lr_schedule: Callable[[float], float] | None = None,
    weight_decay: float = 0.0,
    device="auto",
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
    hook: Callable[[int, float], dict | None] | None = None,
    grad_clip: float | None = None,
) -> History:
    """Train ``method`` for ``steps`` optimiser steps on ``batches``; returns the :class:`History`.

    - ``method``: a :class:`Method` (anything with ``.loss(batch, progress)`` and ``.parameters()``).
    - ``batches``: an iterable of batches; a finite one is iterated again when it runs out (epochs).
    - ``optimizer``: overrides ``lr``/``weight_decay`` (e.g. Adam over layer-wise parameter groups); by
      default Adam over every parameter of ``method``. Frozen parameters (``requires_grad=False``) are
      skipped while frozen and trained once unfrozen, so a hook can unfreeze blocks as training goes.
    - ``lr_schedule``: ``m(p)``, a multiplier of each group's initial rate at progress ``p = step / steps``.
    - ``hook(step, p)``: runs after each step (``step`` counts from 1); the values of a dict it returns are
      logged. Use it to unfreeze a block or to record a validation accuracy.
    - ``seed``: see the seeding policy in this module's docstring.

    The method is left in eval mode on ``device``.
    """
    steps = checks.positive_int("steps", steps)
    if optimizer is None:
        checks.positive_number("lr", lr)
    dev = get_device(device)
    seed_everything(seed)
    method.to(dev)
    if optimizer is None:
        params = list(method.parameters())
        if not any(p.requires_grad for p in params):
            raise ValueError(
                "the model has no trainable parameters (everything is frozen); unfreeze a part "
                "of it (tlearn.finetune.unfreeze) or pass a model with trainable parameters"
            )
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    base_rates = [group["lr"] for group in optimizer.param_groups]
    non_blocking = dev.type == "cuda"
    history = History()
    stream = iter(batches)
    method.train()
    start = time.perf_counter()
    for step in _progress(range(steps), progress, desc or type(method).__name__, steps):
        p = step / steps
        if lr_schedule is not None:
            factor = lr_schedule(p)
            for group, rate in zip(optimizer.param_groups, base_rates):
                group["lr"] = rate * factor
        try:
            batch = next(stream)
        except StopIteration:
            stream = iter(batches)
            try:
                batch = next(stream)
            except StopIteration:
                raise ValueError("batches yielded nothing; check the data and the sampler") from None
        out = method.loss(to_device(batch, dev, non_blocking), p)
        loss, logs = out if isinstance(out, tuple) else (out, {})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_([q for g in optimizer.param_groups for q in g["params"]], grad_clip)
        optimizer.step()
        history.log(loss=float(loss.detach()), **{k: _scalar(v) for k, v in logs.items()})
        if hook is not None:
            extra = hook(step + 1, (step + 1) / steps)
            if extra:
                history.log(**{k: _scalar(v) for k, v in extra.items()})
    history.seconds = time.perf_counter() - start
    history.steps = steps
    method.eval()
    return history


# --- supervised classification --------------------------------------------------------------------------
class Classification(Method):
    r"""Cross-entropy on labelled batches ``(x, y)``: :math:`\mathcal{L} = -\frac1B\sum_i\log
    \operatorname{softmax}(f(x_i))_{y_i}`. Logs the batch accuracy as ``train_acc``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def loss(self, batch, progress: float):
        x, y = batch
        logits = self.model(x)
        return F.cross_entropy(logits, y), {"train_acc": (logits.argmax(1) == y).float().mean()}


def fit_classifier(
    model: nn.Module,
    data,
    *,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
    optimizer: torch.optim.Optimizer | None = None,
    val=None,
    device="auto",
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
    weight_decay: float = 0.0,
    on_epoch_end=None,
) -> History:
    """Supervised training for ``epochs`` shuffled passes over ``data``: :class:`Classification` run by
    :func:`fit`. ``on_epoch_end(epoch, model)`` runs after each epoch (e.g. to unfreeze a block); with
    ``val``, the accuracy on it is logged as ``val_acc`` once per epoch. Per-step ``loss`` and
    ``train_acc`` are in the history; ``history.per_epoch("loss", history.steps_per_epoch)`` averages them
    by epoch."""
    epochs = checks.positive_int("epochs", epochs)
    batch_size = checks.positive_int("batch_size", batch_size)
    X, y = as_tensors(data)
    if len(X) == 0:
        raise ValueError("data is empty; nothing to train on")
    per_epoch = steps_per_epoch(len(X), batch_size)

    def hook(step: int, p: float):
        if step % per_epoch:
            return None
        epoch = step // per_epoch - 1
        logs = {"val_acc": evaluate(model, val, device=device)} if val is not None else None
        model.train()
        if on_epoch_end is not None:
            on_epoch_end(epoch, model)
        return logs

    history = fit(
        Classification(model),
        shuffled_batches(X, y, batch_size=batch_size, seed=seed),
        epochs * per_epoch,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        device=device,
        seed=seed,
        progress=progress,
        desc=desc or "steps",
        hook=hook,
    )
    history.steps_per_epoch = per_epoch
    return history


@torch.no_grad()
def predict(model: nn.Module, data, batch_size: int = 256, device="auto") -> torch.Tensor:
    """Logits for every input, in eval mode, without gradients."""
    X = data if isinstance(data, torch.Tensor) else as_tensors(data)[0]
    device = get_device(device)
    model.to(device).eval()
    out = [model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def evaluate(model: nn.Module, data, batch_size: int = 256, device="auto") -> float:
    """Accuracy in ``[0, 1]``."""
    X, y = as_tensors(data)
    if len(X) == 0:
        raise ValueError("data is empty; nothing to evaluate")
    return float((predict(model, X, batch_size, device).argmax(1) == y).float().mean())
