"""A small training loop: the part of every notebook that is not the lesson.

:func:`fit` minimises the cross-entropy
:math:`\\mathcal{L}(\\theta) = -\\frac{1}{B}\\sum_{i} \\log p_\\theta(y_i \\mid x_i)` with Adam (or an optimizer
you pass, e.g. one with per-layer learning rates), one shuffled pass over the data per epoch, and records
a :class:`History`. Data is an :class:`~tlearn.data.ImageSet`, an ``(X, y)`` pair of tensors, or any
``Dataset``; in-memory data is batched by indexing one tensor, which is many times faster on a CPU than a
``DataLoader`` that collates samples one by one.
"""

from __future__ import annotations

import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm


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
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


class History(dict):
    """Per-epoch records: ``history["loss"]``, ``["train_acc"]``, ``["val_acc"]``, ``["seconds"]``."""

    def log(self, **values):
        for key, value in values.items():
            self.setdefault(key, []).append(value)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.get("seconds", [])))

    def last(self, key: str):
        return self[key][-1] if self.get(key) else None


def _progress(iterable, progress: bool, desc: str | None, total: int | None = None):
    disable = not progress or bool(os.environ.get("TLEARN_NO_PROGRESS"))
    return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False)


def fit(model: nn.Module, data, *, epochs: int = 10, lr: float = 1e-3, batch_size: int = 64,
        optimizer: torch.optim.Optimizer | None = None, val=None, device="auto", seed: int = 0,
        progress: bool = True, desc: str | None = None, weight_decay: float = 0.0,
        on_epoch_end=None) -> History:
    """Train ``model`` on ``data`` with cross-entropy; returns the :class:`History`.

    ``optimizer`` overrides ``lr``/``weight_decay`` (pass one built from parameter groups for layer-wise
    rates). ``on_epoch_end(epoch, model)`` runs after each epoch (e.g. to unfreeze a block).
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    X, y = as_tensors(data)
    if len(X) == 0:
        raise ValueError("data is empty; nothing to train on")
    device = get_device(device)
    model.to(device)
    g = seed_everything(seed)
    if optimizer is None:
        params = [p for p in model.parameters() if p.requires_grad]
        if not params:
            raise ValueError("the model has no trainable parameters (everything is frozen)")
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    history = History()
    for epoch in _progress(range(epochs), progress, desc or "epochs"):
        start = time.perf_counter()
        model.train()
        total_loss, correct = 0.0, 0
        for idx in batches(len(X), batch_size, shuffle=True, generator=g):
            xb, yb = X[idx].to(device), y[idx].to(device)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
        seconds = time.perf_counter() - start
        history.log(loss=total_loss / len(X), train_acc=correct / len(X), seconds=seconds)
        if val is not None:
            history.log(val_acc=evaluate(model, val, device=device))
        if on_epoch_end is not None:
            on_epoch_end(epoch, model)
    return history


@torch.no_grad()
def predict(model: nn.Module, data, batch_size: int = 256, device="auto") -> torch.Tensor:
    """Logits for every input, in eval mode, without gradients."""
    X = data if isinstance(data, torch.Tensor) else as_tensors(data)[0]
    device = get_device(device)
    model.to(device).eval()
    out = [model(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def evaluate(model: nn.Module, data, batch_size: int = 256, device="auto") -> float:
    """Accuracy in ``[0, 1]``."""
    X, y = as_tensors(data)
    if len(X) == 0:
        raise ValueError("data is empty; nothing to evaluate")
    return float((predict(model, X, batch_size, device).argmax(1) == y).float().mean())
