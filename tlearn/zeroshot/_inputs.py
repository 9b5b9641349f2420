"""What every public entry point of :mod:`tlearn.zeroshot` checks, built on :mod:`tlearn.checks`.

Conventions: features and class descriptions are rows (``[N, d]`` and ``[C, A]``), labels are class ids
indexing the description rows. The math in the other files takes these as given.
"""

from __future__ import annotations

import torch

from .. import checks


def matrix(name: str, x) -> torch.Tensor:
    """A finite, non-empty ``[rows, columns]`` float tensor."""
    return checks.tensor(name, x, dim=2, min_rows=1).detach().float()


def labels(name: str, y, n: int, n_classes: int | None = None) -> torch.Tensor:
    """One class id per row of features, each indexing a description row."""
    y = checks.labels(name, torch.as_tensor(y).reshape(-1), n_classes)
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} entries but there are {n} rows of features; give one label per row")
    return y


def attributes(class_attributes, n_attributes: int) -> torch.Tensor:
    """Descriptions with the number of attributes the model was fitted with."""
    attrs = matrix("class_attributes", class_attributes)
    if attrs.shape[1] != n_attributes:
        raise ValueError(
            f"class_attributes has {attrs.shape[1]} attributes per class but the model was fitted "
            f"with {n_attributes}; pass descriptions with {n_attributes} columns in the same order"
        )
    return attrs


def features(x, n_features: int) -> torch.Tensor:
    """Image features with the number of columns the model was fitted on."""
    x = matrix("features", x)
    if x.shape[1] != n_features:
        raise ValueError(f"features has {x.shape[1]} columns but the model was fitted on n_features={n_features}")
    return x


def training_classes(y: torch.Tensor) -> torch.Tensor:
    """The seen classes present in training labels: at least two."""
    classes = torch.unique(y)
    if len(classes) < 2:
        raise ValueError(f"labels hold {len(classes)} class; training needs images of at least two seen classes")
    return classes


def training_set(features, labels_, class_attributes) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x, y, attrs, seen)`` of a ``fit(features, labels, class_attributes)`` call."""
    x = matrix("features", features)
    attrs = matrix("class_attributes", class_attributes)
    y = labels("labels", labels_, len(x), len(attrs))
    return x, y, attrs, training_classes(y)


def scores(s, targets) -> tuple[torch.Tensor, torch.Tensor]:
    """A score matrix ``[N, C]`` and its ``N`` targets (class ids < C)."""
    s = checks.tensor("scores", s, dim=2, finite=False).detach().float()
    if len(s) == 0:
        raise ValueError("scores is empty; evaluation needs at least one test image")
    return s, labels("targets", targets, len(s), s.shape[1])
