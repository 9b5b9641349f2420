"""Argument checks at the boundary: public entry points, constructors, samplers and file I/O call these.

Each raises a ``ValueError`` (or ``TypeError``) whose message names the parameter, the value it got and
what to pass instead. The math below the boundary (class means, distances, MMD, CORAL, gradient reversal,
losses) checks nothing beyond a shape ``assert``: by then the inputs are known good, and on a GPU every
``isfinite().all()`` is a device synchronisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch


def positive_int(name: str, value) -> int:
    """An integer >= 1 (a count: steps, ways, shots, a batch size)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def number(
    name: str,
    value,
    *,
    positive: bool = False,
    non_negative: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """A finite real number, optionally > 0, >= 0, or within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if non_negative and not value >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return float(value)


def positive_number(name: str, value) -> float:
    return number(name, value, positive=True)


def fraction(name: str, value) -> float:
    """A number in [0, 1] (a progress, a probability, an accuracy)."""
    return number(name, value, low=0.0, high=1.0)


def choice(name: str, value, allowed: Iterable):
    """One of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def tensor(name: str, value, *, dim: int | None = None, min_rows: int = 0, finite: bool = True) -> torch.Tensor:
    """A tensor (or array-like) with ``dim`` dimensions, at least ``min_rows`` rows, and no NaN/inf."""
    try:
        value = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a tensor or array, got {type(value).__name__}") from err
    if dim is not None and value.dim() != dim:
        raise ValueError(f"{name} must be {dim}-D, got shape {tuple(value.shape)}")
    if len(value.shape) and len(value) < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got {len(value)}")
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} contains NaN or infinite values; check the data or lower the learning rate")
    return value


def labels(name: str, value, n_classes: int | None = None) -> torch.Tensor:
    """Integer class ids in ``0..n_classes-1``."""
    value = tensor(name, value, dim=1)
    if value.is_floating_point() or value.dtype == torch.bool:
        raise ValueError(f"{name} must be integer class ids, got dtype {value.dtype}")
    if len(value) and (int(value.min()) < 0 or (n_classes is not None and int(value.max()) >= n_classes)):
        top = "" if n_classes is None else f" and < {n_classes}"
        raise ValueError(f"{name} must be >= 0{top}, got values in [{int(value.min())}, {int(value.max())}]")
    return value.long()


def class_ids(name: str, value, n_classes: int | None = None) -> torch.Tensor:
    """A non-empty list of distinct integer class ids in ``0..n_classes-1`` (a class split, a selection)."""
    if not isinstance(value, torch.Tensor) and not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of class ids, got {value!r}")
    ids = torch.as_tensor(value if isinstance(value, torch.Tensor) else list(value)).reshape(-1)
    if ids.numel() == 0:
        raise ValueError(f"{name} is empty; pass at least one class id")
    if ids.is_floating_point() or ids.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class ids, got dtype {ids.dtype}")
    ids = ids.long()
    if len(torch.unique(ids)) != len(ids):
        raise ValueError(f"{name} lists a class more than once: {ids.tolist()}")
    if int(ids.min()) < 0 or (n_classes is not None and int(ids.max()) >= n_classes):
        bound = f"[0, {n_classes})" if n_classes is not None else "non-negative"
        raise ValueError(f"{name} must be class ids in {bound}, got {ids.tolist()}")
    return ids


def same_length(**named) -> int:
    """All the given sequences have one length; returns it."""
    lengths = {k: len(v) for k, v in named.items()}
    if len(set(lengths.values())) > 1:
        got = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length, got {got}")
    return next(iter(lengths.values()))


def feature_pair(source, target, *, min_rows: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Two feature matrices ``[n, d]`` of one width ``d`` (source and target features), finite."""
    source = tensor("source", source, dim=2, min_rows=min_rows)
    target = tensor("target", target, dim=2, min_rows=min_rows)
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"source and target have different widths ({source.shape[1]} vs {target.shape[1]}); "
            "compute both with the same feature extractor"
        )
    return source, target
