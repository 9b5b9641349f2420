"""What every multi-task model and loop here shares: task dicts, trunks, one column per task, one head per
task, and multi-task data as ``(inputs, {task: targets})``.

These are the boundary checks of :mod:`tlearn.multitask`: constructors and public entry points call them
once; the per-step math in the models and the weighting checks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn


def check_tasks(tasks) -> dict[str, int]:
    """``tasks`` maps each task name to its number of classes."""
    if not isinstance(tasks, Mapping):
        raise TypeError(
            f"tasks must be a dict {{task name: number of classes}}, got {type(tasks).__name__}; "
            "e.g. tasks={'left': 10, 'right': 10}"
        )
    if len(tasks) == 0:
        raise ValueError("tasks is empty; give at least one task, e.g. tasks={'left': 10}")
    out = {}
    for name, n in tasks.items():
        if not isinstance(name, str):
            raise TypeError(f"task names must be strings, got {name!r} in tasks")
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ValueError(f"tasks[{name!r}] = {n!r}: the number of classes must be an int of at least 2")
        out[name] = n
    return out


def check_task_names(tasks) -> list[str]:
    """A non-empty list of distinct task names (a dict gives its keys)."""
    if isinstance(tasks, Mapping):
        tasks = list(tasks)
    if isinstance(tasks, str) or not isinstance(tasks, Sequence):
        raise TypeError(f"tasks must be a list of task names, got {tasks!r}; e.g. ['left', 'right']")
    if len(tasks) == 0 or not all(isinstance(t, str) for t in tasks) or len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks = {tasks!r}: give a non-empty list of distinct task names")
    return list(tasks)


def key_mismatch(given, tasks: Sequence[str]) -> tuple[list, list]:
    """The tasks ``given`` (a dict keyed by task) lacks, and the keys it has that are not tasks."""
    return [t for t in tasks if t not in given], [t for t in given if t not in tasks]


def check_per_task(values, tasks: Sequence[str], who: str, what: str = "losses") -> None:
    """``values`` is a dict with exactly one entry per task."""
    if not isinstance(values, Mapping):
        raise TypeError(f"{who} takes a dict {{task: {what[:-1]}}}, got {type(values).__name__}")
    missing, extra = key_mismatch(values, tasks)
    if missing or extra:
        raise ValueError(
            f"{who} weighs tasks {list(tasks)} but got {what} for {list(values)} (missing {missing}, "
            f"unknown {extra}); give one entry per task of the model"
        )


def check_trunk(trunk, what: str = "trunk") -> nn.Module:
    if not isinstance(trunk, nn.Module):
        raise TypeError(f"{what} must be a torch.nn.Module, got {type(trunk).__name__}")
    n = getattr(trunk, "out_features", None)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TypeError(
            f"{what} ({type(trunk).__name__}) has no integer .out_features (got {n!r}); the heads "
            "need the feature size: use a tlearn.backbones model or set trunk.out_features"
        )
    return trunk


def _architecture(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(p.shape)) for name, p in module.named_parameters()]


def check_same_architecture(a: nn.Module, b: nn.Module, names: tuple[str, str]) -> None:
    """Soft sharing and cross-stitch pair parameters layer by layer, so both networks need the same layers."""
    arch_a, arch_b = _architecture(a), _architecture(b)
    if arch_a == arch_b:
        return
    for (na, sa), (nb, sb) in zip(arch_a, arch_b):
        if na != nb or sa != sb:
            raise ValueError(
                f"mismatched architectures: {names[0]} has parameter {na!r} of shape {sa} where "
                f"{names[1]} has {nb!r} of shape {sb}; soft sharing and cross-stitch units need "
                "one network per task built the same way (same class, same arguments)"
            )
    raise ValueError(
        f"mismatched architectures: {names[0]} has {len(arch_a)} parameter tensors, {names[1]} "
        f"has {len(arch_b)}; soft sharing and cross-stitch units need one network per task built "
        "the same way (same class, same arguments)"
    )


def build_columns(trunks, tasks: dict[str, int], same_init: bool) -> nn.ModuleDict:
    """One trunk per task: from a factory (called once per task) or a dict {task: trunk}.

    With ``same_init`` every trunk starts as a copy of the first task's parameters and buffers.
    Independently initialised networks have their hidden units in unrelated orders (unit 7 of one
    is not unit 7 of the other), so tying or mixing them "layer by layer" would compare unrelated
    units; starting from one initialisation makes the units correspond, as when both columns start
    from one pretrained network.
    """
    if not isinstance(same_init, bool):
        raise TypeError(f"same_init must be True or False, got {same_init!r}")
    if isinstance(trunks, nn.Module):
        raise TypeError(
            "trunks is a single module; give a function that builds a new trunk (called once per "
            "task, e.g. trunks=lambda: Conv4(...)) or a dict {task: trunk}"
        )
    if isinstance(trunks, Mapping):
        missing, extra = key_mismatch(trunks, tasks)
        if missing or extra:
            raise ValueError(
                f"trunks has tasks {list(trunks)} but tasks has {list(tasks)} (missing {missing}, "
                f"extra {extra}); give exactly one trunk per task"
            )
        columns = {t: trunks[t] for t in tasks}
    elif callable(trunks):
        columns = {t: trunks() for t in tasks}
    else:
        raise TypeError(
            f"trunks must be a function that builds a trunk or a dict {{task: trunk}}, got {type(trunks).__name__}"
        )
    for t, trunk in columns.items():
        check_trunk(trunk, f"trunks[{t!r}]")
    if len({id(m) for m in columns.values()}) < len(columns):
        raise ValueError(
            "trunks holds the same module object for several tasks: that is hard sharing, not "
            "soft sharing; build a new trunk for each task (the factory is called once per task)"
        )
    first = next(iter(columns))
    for t in columns:
        if t != first:
            check_same_architecture(columns[first], columns[t], (f"trunks[{first!r}]", f"trunks[{t!r}]"))
            if same_init:
                columns[t].load_state_dict(columns[first].state_dict())
    return nn.ModuleDict(columns)


def heads(tasks: dict[str, int], in_features: int) -> nn.ModuleDict:
    """One linear head per task, ``in_features`` features to that task's classes."""
    return nn.ModuleDict({t: nn.Linear(in_features, n) for t, n in tasks.items()})


# --- multi-task data ----------------------------------------------------------------------------------------
def multitask_tensors(data) -> tuple[tuple[torch.Tensor, ...], dict[str, torch.Tensor]]:
    """Normalise multi-task data to ``(inputs, targets)``.

    Accepts an object with ``.images`` and ``.tasks`` (``tlearn.data.MultiDigits``), or a pair
    ``(inputs, targets)`` where ``inputs`` is a tensor or a tuple of tensors passed to the model
    together (e.g. ``(trajectories, lengths)``) and ``targets`` is a dict ``{task: int64 tensor}``.
    """
    if hasattr(data, "tasks") and hasattr(data, "images") and isinstance(data.tasks, Mapping):
        inputs, targets = data.images, data.tasks
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        inputs, targets = data
    else:
        raise TypeError(
            f"data must be a MultiDigits-like object (.images, .tasks) or a pair (inputs, "
            f"{{task: targets}}), got {type(data).__name__}"
        )
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not inputs or not all(isinstance(x, torch.Tensor) for x in inputs):
        raise TypeError("inputs must be a tensor or a tuple of tensors, e.g. (trajectories, lengths)")
    if not isinstance(targets, Mapping) or not targets:
        raise TypeError(f"targets must be a non-empty dict {{task: int64 tensor}}, got {type(targets).__name__}")
    n = len(inputs[0])
    if n == 0:
        raise ValueError("data is empty: no examples to train or evaluate on")
    for i, x in enumerate(inputs):
        if len(x) != n:
            raise ValueError(
                f"inputs[{i}] has {len(x)} rows but inputs[0] has {n}; all inputs need one row per example"
            )
    for t, y in targets.items():
        if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != (n,):
            raise ValueError(
                f"targets[{t!r}] must be an int64 tensor of shape ({n},), got "
                f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"
            )
    return inputs, dict(targets)


def model_tasks(model) -> dict[str, int]:
    tasks = getattr(model, "tasks", None)
    if not isinstance(tasks, Mapping):
        raise TypeError(
            f"model ({type(model).__name__}) has no .tasks dict; use HardSharing, SoftSharing or "
            "CrossStitch (or any module with .tasks {task: n_classes} returning {task: logits})"
        )
    return dict(tasks)


def resolve_tasks(model, targets: Mapping, tasks) -> list[str]:
    """The tasks to train or score: ``tasks``, or every head of the model; each needs a head and targets
    whose labels its head can output."""
    heads_ = model_tasks(model)
    tasks = list(heads_) if tasks is None else check_task_names(tasks)
    no_head = [t for t in tasks if t not in heads_]
    if no_head:
        raise ValueError(
            f"task(s) {no_head} have no head: the model's heads are {list(heads_)}; add a head for "
            "them (tasks={...} when building the model) or leave them out of tasks"
        )
    missing = [t for t in tasks if t not in targets]
    if missing:
        raise ValueError(
            f"targets are missing task(s) {missing}: the data has targets for {list(targets)} but "
            f"the model is trained on {tasks}; add those targets or pass tasks=[...] to choose"
        )
    for t in tasks:
        y = targets[t]
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= heads_[t]):
            raise ValueError(
                f"targets[{t!r}] has labels in [{int(y.min())}, {int(y.max())}] but its head has "
                f"{heads_[t]} classes; labels must be in 0..{heads_[t] - 1}"
            )
    return tasks
