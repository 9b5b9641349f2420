r"""Training a multi-task model: the loss of one batch, and :func:`fit_multitask`, a thin wrapper over
:func:`tlearn.train.fit`.

:class:`MultiTaskLoss` is the :class:`~tlearn.train.Method`: on a batch it computes a cross-entropy per task,
weighs them, and adds the model's penalty where it has one (soft sharing),

.. math::  L = \operatorname{weighting}\big(\{L_t\}_t\big) + \Omega(\theta), \qquad
           L_t = -\frac1B \sum_i \log \operatorname{softmax}\big(g_t(f(x_i))\big)_{y_{t,i}},

where the weighting is :math:`\sum_t w_t L_t` or the uncertainty weighting of
:mod:`tlearn.multitask.weighting`, and :math:`\Omega = \lambda\sum_{s<t}\lVert\theta_s-\theta_t\rVert^2`
for :class:`~tlearn.multitask.SoftSharing`, 0 otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .. import checks
from ..train import History, Method, fit, shuffled_batches, steps_per_epoch
from .base import model_tasks, multitask_tensors, resolve_tasks
from .evaluate import evaluate_multitask
from .weighting import FixedWeighting, UncertaintyWeighting


class MultiTaskLoss(Method):
    """The weighted sum of per-task cross-entropies (plus ``model.penalty()`` where the model has one).

    A batch is the flat tuple ``(*inputs, *targets)``: ``n_inputs`` tensors passed to the model together
    (images; or trajectories and lengths), then one int64 target tensor per task, in the order of
    ``tasks``. ``loss`` returns the total and logs ``loss_<task>`` (the unweighted cross-entropy) and
    ``train_acc_<task>`` (the batch accuracy) for every task.
    """

    def __init__(self, model: nn.Module, weighting: nn.Module, tasks: Sequence[str], n_inputs: int = 1):
        super().__init__()
        heads = model_tasks(model)
        if not isinstance(weighting, (FixedWeighting, UncertaintyWeighting)):
            raise TypeError(f"weighting must be FixedWeighting or UncertaintyWeighting, got {type(weighting).__name__}")
        tasks = list(tasks)
        if set(weighting.task_names) != set(tasks):
            no_head = [t for t in weighting.task_names if t not in tasks]
            no_weight = [t for t in tasks if t not in weighting.task_names]
            raise ValueError(
                f"weighting is built for tasks {weighting.task_names} but the model is trained on "
                f"{tasks} (no head: {no_head}, no weight: {no_weight}); build the weighting with the "
                "same tasks, e.g. UncertaintyWeighting(list(model.tasks))"
            )
        no_head = [t for t in tasks if t not in heads]
        if no_head:
            raise ValueError(f"task(s) {no_head} have no head: the model's heads are {list(heads)}")
        self.model = model  # registered before the weighting: Adam sees the model's parameters first
        self.weighting = weighting
        self.tasks = tasks
        self.n_inputs = checks.positive_int("n_inputs", n_inputs)
        penalty = getattr(model, "penalty", None)
        self._penalty = penalty if callable(penalty) else None

    def loss(self, batch, progress: float):
        inputs, ys = batch[: self.n_inputs], dict(zip(self.tasks, batch[self.n_inputs :]))
        out = self.model(*inputs)
        losses = {t: F.cross_entropy(out[t], ys[t]) for t in self.tasks}  # L_t
        total = self.weighting(losses)  # sum_t w_t L_t, or sum_t c_t e^{-s_t} L_t + s_t / 2
        if self._penalty is not None:
            total = total + self._penalty()  # + lambda sum_{s<t} ||theta_s - theta_t||^2
        logs = {f"loss_{t}": losses[t] for t in self.tasks}
        logs.update({f"train_acc_{t}": (out[t].argmax(1) == ys[t]).float().mean() for t in self.tasks})
        return total, logs


def fit_multitask(
    model: nn.Module,
    data,
    *,
    weighting: nn.Module | None = None,
    tasks: Sequence[str] | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
    optimizer: torch.optim.Optimizer | None = None,
    val=None,
    cosine: bool = False,
    device="auto",
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> History:
    """Train a multi-task model with a cross-entropy loss per task for ``epochs`` shuffled passes over
    ``data``: :class:`MultiTaskLoss` run by :func:`tlearn.train.fit`; returns its :class:`~tlearn.train.History`.

    ``tasks`` defaults to the model's heads; the data may carry targets for more tasks (they are ignored,
    which is how a single-task network trains on multi-task data), never for fewer. ``weighting``
    defaults to equal weights; its parameters, if any, are optimised with the model's (added to
    ``optimizer`` if it lacks them). ``cosine=True`` anneals every learning rate to zero along a half
    cosine over the run (Loshchilov & Hutter, 2017, "SGDR"), so a short run ends in a settled model
    rather than wherever its last noisy step left it.

    The history holds per step ``loss`` (the weighted total, penalty included), ``loss_<task>``
    (unweighted cross-entropy) and ``train_acc_<task>``; per epoch ``weight_<task>`` (the weights at the
    epoch's end) and, with ``val``, ``val_acc_<task>``. ``history.steps_per_epoch`` turns the per-step
    keys into epochs: ``history.per_epoch("loss", history.steps_per_epoch)``.
    """
    epochs = checks.positive_int("epochs", epochs)
    batch_size = checks.positive_int("batch_size", batch_size)
    inputs, targets = multitask_tensors(data)
    tasks = resolve_tasks(model, targets, tasks)
    if val is not None:
        val = multitask_tensors(val)
        resolve_tasks(model, val[1], tasks)
    method = MultiTaskLoss(model, FixedWeighting(tasks) if weighting is None else weighting, tasks, len(inputs))
    weighting = method.weighting
    if optimizer is not None and isinstance(weighting, UncertaintyWeighting):
        known = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if id(weighting.log_variance) not in known:
            optimizer.add_param_group({"params": [weighting.log_variance]})
    per_epoch = steps_per_epoch(len(inputs[0]), batch_size)

    def end_of_epoch(step: int, p: float):
        if step % per_epoch:
            return None
        logs = {f"weight_{t}": w for t, w in weighting.weights().items()}
        if val is not None:
            accs = evaluate_multitask(model, val, tasks=tasks, device=device)  # restores the training mode
            logs.update({f"val_acc_{t}": accs[t] for t in tasks})
        return logs

    batches = shuffled_batches(*inputs, *(targets[t] for t in tasks), batch_size=batch_size, seed=seed)
    history = fit(
        method,
        batches,
        epochs * per_epoch,
        lr=lr,
        optimizer=optimizer,
        lr_schedule=_half_cosine if cosine else None,
        device=device,
        seed=seed,
        progress=progress,
        desc=desc or type(model).__name__,
        hook=end_of_epoch,
    )
    history.steps_per_epoch = per_epoch
    return history


def _half_cosine(p: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * p))  # eta_t = eta_0 (1 + cos(pi t / T)) / 2
