"""Scoring a multi-task model: logits and accuracy per task, in evaluation mode."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .. import checks
from ..train import get_device
from .base import multitask_tensors, resolve_tasks


@torch.no_grad()
def predict_multitask(model: nn.Module, data, batch_size: int = 256, device="auto") -> dict[str, torch.Tensor]:
    """Logits ``{task: [N, n_classes]}`` in evaluation mode (targets, if given, are not used); the model's
    mode is restored afterwards."""
    batch_size = checks.positive_int("batch_size", batch_size)
    if isinstance(data, torch.Tensor):
        inputs = (data,)
    elif isinstance(data, tuple) and all(isinstance(x, torch.Tensor) for x in data):
        inputs = data
    else:
        inputs, _ = multitask_tensors(data)
    dev = get_device(device)
    model.to(dev)
    was_training = model.training
    model.eval()
    chunks: dict[str, list[torch.Tensor]] = {}
    try:
        for begin in range(0, len(inputs[0]), batch_size):
            out = model(*(x[begin : begin + batch_size].to(dev) for x in inputs))
            for t, logits in out.items():
                chunks.setdefault(t, []).append(logits.cpu())
    finally:
        model.train(was_training)
    return {t: torch.cat(c) for t, c in chunks.items()}


def evaluate_multitask(
    model: nn.Module, data, tasks: Sequence[str] | None = None, batch_size: int = 256, device="auto"
) -> dict[str, float]:
    """Accuracy per task, ``{task: accuracy in [0, 1]}``, plus ``"mean"`` over the tasks."""
    inputs, targets = multitask_tensors(data)
    tasks = resolve_tasks(model, targets, tasks)
    logits = predict_multitask(model, inputs, batch_size=batch_size, device=device)
    accs = {t: float((logits[t].argmax(1) == targets[t]).float().mean()) for t in tasks}
    accs["mean"] = sum(accs.values()) / len(tasks)
    return accs
