"""One zero-shot experiment from start to end: hold out classes, fit on the rest, test on the held-out ones,
and optionally retrieve images from a typed description. The interactive panel of notebook 06 calls it."""

from __future__ import annotations

import torch

from .. import checks
from . import _inputs
from .metrics import confusion_matrix, zero_shot_accuracy
from .splits import standardize


def zero_shot_trial(model, features, labels, class_attributes, unseen, description=None, k: int = 8) -> dict:
    """Fit ``model`` on the images of every class not in ``unseen``, then test it on the unseen ones.

    The model is any object with ``fit(features, labels, class_attributes)`` and ``scores(features,
    class_attributes)`` (:class:`DAP`, :class:`ESZSL`; a :class:`PrototypicalZeroShot` is refitted too).
    With a ``description`` ``[A]`` (e.g. from :func:`parse_description`) it also ranks the images of the
    unseen classes by their score for that description, minus their mean score for the unseen classes'
    descriptions, and returns the ``k`` best: retrieval of images from words alone.
    Features are standardized with the statistics of the seen-class images. Returns ``seen``,
    ``unseen``, ``accuracy`` (conventional zero-shot), ``chance``, ``confusion`` among the unseen classes
    and, with a description, ``retrieved`` (image indices) and ``retrieved_scores``.
    """
    x = _inputs.matrix("features", features)
    attrs = _inputs.matrix("class_attributes", class_attributes)
    y = _inputs.labels("labels", labels, len(x), len(attrs))
    unseen = checks.class_ids("unseen", unseen, len(attrs))
    present = torch.unique(y)
    seen = present[~torch.isin(present, unseen)]
    if len(seen) < 2:
        raise ValueError(
            f"unseen holds {len(unseen)} of the {len(present)} classes, leaving {len(seen)} to train on; "
            "keep at least two classes seen"
        )
    missing = unseen[~torch.isin(unseen, present)]
    if len(missing):
        raise ValueError(
            f"unseen classes {missing.tolist()} have no images to test on; choose classes present in labels"
        )
    wanted = None
    if description is not None:
        wanted = _inputs.attributes(torch.as_tensor(description).reshape(1, -1), attrs.shape[1])
        k = checks.positive_int("k", k)
    is_seen = torch.isin(y, seen)
    x_seen, x = standardize(x[is_seen], x)  # statistics of the training images only
    model.fit(x_seen, y[is_seen], attrs)
    scores = model.scores(x[~is_seen], attrs)
    out = {
        "seen": seen,
        "unseen": unseen,
        "chance": 1.0 / len(unseen),
        "accuracy": zero_shot_accuracy(scores, y[~is_seen], unseen),
        "confusion": confusion_matrix(scores, y[~is_seen], unseen),
    }
    if wanted is not None:
        # rank the test images (those of unseen classes): seen-class images would win on their own bias.
        # An image's score for the description is taken relative to its mean score for the unseen
        # classes' descriptions, so an image that scores high for any description does not top the list.
        candidates = torch.nonzero(~is_seen).flatten()
        column = model.scores(x[candidates], wanted)[:, 0] - scores[:, unseen].mean(1)
        top = column.topk(min(k, len(candidates)))
        out["retrieved"], out["retrieved_scores"] = candidates[top.indices], top.values
    return out
