"""Seen and unseen classes, and which images each side may use.

The zero-shot protocol lives or dies by its splits (Xian, Lampert, Schiele and Akata, *Zero-shot
learning: a comprehensive evaluation of the good, the bad and the ugly*, TPAMI 2019): an unseen class
must contribute no training image, seen-class test images must not have been trained on, and
hyperparameters are chosen on validation classes carved out of the seen ones, never on the test classes.
"""

from __future__ import annotations

import torch

from .. import checks
from . import _inputs


def check_split(seen, unseen, n_classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate a seen/unseen split and return it as two sorted ``int64`` tensors.

    Both lists must be non-empty, free of duplicates, within ``[0, n_classes)`` when given, and
    disjoint: a class that is also seen would make "zero-shot" accuracy a supervised one.
    """
    seen = checks.class_ids("seen", seen, n_classes).sort().values
    unseen = checks.class_ids("unseen", unseen, n_classes).sort().values
    both = seen[torch.isin(seen, unseen)]
    if len(both):
        raise ValueError(
            f"classes {both.tolist()} are both seen and unseen; an unseen class must have no "
            "training images, so remove them from one of the two lists"
        )
    return seen, unseen


def split_classes(classes, n_unseen: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of ``classes`` into seen classes and ``n_unseen`` unseen ones.

    ``classes`` is a number of classes ``n`` (ids ``0..n-1``) or a list of class ids, e.g. the seen
    classes again, to hold some of them out as validation classes that play "unseen" while
    hyperparameters are chosen.
    """
    if isinstance(classes, int) and not isinstance(classes, bool):
        if classes < 2:
            raise ValueError(f"classes must be at least 2 (one seen and one unseen class), got {classes}")
        ids = torch.arange(classes)
    else:
        ids = checks.class_ids("classes", classes)
    if isinstance(n_unseen, bool) or not isinstance(n_unseen, int) or not 1 <= n_unseen < len(ids):
        raise ValueError(
            f"n_unseen must be an integer in [1, {len(ids) - 1}] so both sides have classes, got {n_unseen!r}"
        )
    order = ids[torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))]
    return check_split(order[n_unseen:], order[:n_unseen])


def generalized_split(
    labels, seen, unseen, test_fraction: float = 0.25, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Image indices for generalized zero-shot: ``(train, test)``.

    ``train`` holds ``1 - test_fraction`` of the images of every seen class; ``test`` holds the other
    seen-class images (to measure seen accuracy on images never trained on) and every image of the
    unseen classes. Images of classes in neither list are left out. Called on the training images again
    with seen classes split into fitting and validation classes, it gives a validation protocol that
    never touches the test images.
    """
    y = checks.labels("labels", torch.as_tensor(labels).reshape(-1))
    seen, unseen = check_split(seen, unseen)
    if not 0.0 < checks.number("test_fraction", test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1) (share of seen-class images held out), got {test_fraction}")
    for name, ids in (("seen", seen), ("unseen", unseen)):
        absent = ids[~torch.isin(ids, y)]
        if len(absent):
            raise ValueError(f"{name} classes {absent.tolist()} have no images in labels")
    g = torch.Generator().manual_seed(seed)
    train, test = [], [torch.nonzero(torch.isin(y, unseen)).flatten()]
    for c in seen.tolist():
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < 2:
            raise ValueError(f"seen class {c} has {len(idx)} image; each seen class needs at least 2 (train and test)")
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = min(len(idx) - 1, max(1, round(test_fraction * len(idx))))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def standardize(train, *others) -> tuple[torch.Tensor, ...]:
    """Centre and scale features by the mean and standard deviation of ``train`` (never of test data)."""
    train = _inputs.matrix("train", train)
    others = [_inputs.matrix(f"others[{i}]", x) for i, x in enumerate(others)]
    for i, x in enumerate(others):
        if x.shape[1] != train.shape[1]:
            raise ValueError(f"others[{i}] has {x.shape[1]} features but train has {train.shape[1]}")
    mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
    return tuple((x - mean) / std for x in [train, *others])
