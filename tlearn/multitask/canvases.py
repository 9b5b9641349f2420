"""Two digits side by side on one canvas, from any digit set: the two-task image data of notebook 04."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .. import checks


def digit_canvases(dataset: str, n: int, seed: int = 0, size: tuple[int, int] | None = None):
    """``n`` canvases with a random digit on the left and one on the right, tasks ``left`` and ``right``.

    ``dataset``: ``"syndigits"`` (font digits, offline) or ``"handdigits"`` (scikit-learn's scans) through
    :func:`tlearn.data.multi_digits`; any other name that :func:`tlearn.data.load` knows (``"mnist"``,
    ``"usps"``) pairs two of its digits at random. ``size`` ``(H, W)`` resizes the canvases (bilinear, with
    antialiasing), e.g. ``(16, 32)`` for each digit at the 16 x 16 resolution of the USPS scans.
    """
    from .. import data
    from ..samplers import labels_of

    n = checks.positive_int("n", n)
    if dataset in ("syndigits", "handdigits"):
        multi = data.multi_digits(n, seed=seed, source="syn" if dataset == "syndigits" else "hand")
    else:
        digits = data.load(dataset)
        labels = labels_of(digits)
        pick = torch.randint(len(labels), (2, n), generator=torch.Generator().manual_seed(seed))
        image = lambda i: digits[int(i)][0][:1]  # grey: first channel
        canvases = torch.stack([torch.cat([image(a), image(b)], dim=2) for a, b in zip(*pick)])
        multi = data.MultiDigits(canvases, {"left": labels[pick[0]], "right": labels[pick[1]]})
    if size is not None and tuple(multi.images.shape[2:]) != tuple(size):
        images = F.interpolate(multi.images, size=tuple(size), mode="bilinear", antialias=True, align_corners=False)
        multi = data.MultiDigits(images, multi.tasks)
    return multi
