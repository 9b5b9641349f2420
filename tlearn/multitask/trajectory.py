r"""A second task for pen trajectories that is neither the character's label in disguise nor written in the input:
where the pen goes next.

Each drawing :math:`(p_1, \dots, p_L)`, :math:`p_i = (x_i, y_i, \text{pen up}_i)`, is cut after a random number
of points :math:`c` (uniform over :math:`\lceil \text{min\_seen}\, L \rceil, \dots, L-1`, one draw per drawing
from ``seed``). The model sees :math:`(p_1, \dots, p_c)` and answers two questions:

- ``character``: which character is being drawn (from the part drawn so far);
- ``next``: in which of ``sectors`` equal compass sectors the next pen point lies,
  :math:`\big\lfloor \tfrac{S}{2\pi}\,(\operatorname{atan2}(y_{c+1}-y_c,\ x_{c+1}-x_c) + \pi) \big\rfloor \bmod S`.

The next direction depends on where the drawing was cut and on the drawer's hand, so the character label does
not determine it, and it is not in the seen points: the model must extrapolate the pen's path. It is the
classification form of next pen-point prediction (Graves, 2013, "Generating Sequences With Recurrent Neural
Networks", arXiv:1308.0850, predicts the next point's offset with a mixture density; tlearn keeps a
cross-entropy so that every task here is scored by accuracy).
"""

from __future__ import annotations

import math

import torch

from .. import checks


def next_point_tasks(
    trajectories: torch.Tensor,
    lengths: torch.Tensor,
    characters: torch.Tensor,
    *,
    sectors: int = 8,
    min_seen: float = 0.5,
    seed: int = 0,
):
    """Truncated trajectories and two targets: ``((trajectories, cuts), {"character", "next"})``.

    ``trajectories [N, T, 3]`` (zero padded), ``lengths [N]`` (at least 2), ``characters [N]`` (int64).
    Points after each cut are zeroed; ``cuts [N]`` are the new lengths; ``next`` is the compass sector
    (``0..sectors-1``) of the step from the last seen point to the first unseen one.
    """
    checks.tensor("trajectories", trajectories, dim=3)
    sectors = checks.positive_int("sectors", sectors)
    min_seen = checks.fraction("min_seen", min_seen)
    checks.same_length(trajectories=trajectories, lengths=lengths, characters=characters)
    lengths = lengths.long()
    if int(lengths.min()) < 2 or int(lengths.max()) > trajectories.shape[1]:
        raise ValueError(f"lengths must lie in 2..{trajectories.shape[1]}, got {lengths.min()}..{lengths.max()}")
    low = torch.clamp(torch.ceil(min_seen * lengths).long(), 1, None).clamp(max=lengths - 1)
    u = torch.rand(len(lengths), generator=torch.Generator().manual_seed(seed))
    cuts = low + (u * (lengths - low)).long()  # c uniform in low..L-1
    rows = torch.arange(len(lengths))
    step = trajectories[rows, cuts, :2] - trajectories[rows, cuts - 1, :2]  # p_{c+1} - p_c (0-based: cuts, cuts-1)
    sector = compass_sector(step, sectors)
    seen = torch.arange(trajectories.shape[1])[None, :] < cuts[:, None]
    return (trajectories * seen[..., None], cuts), {"character": characters.long(), "next": sector}


def compass_sector(step: torch.Tensor, sectors: int = 8) -> torch.Tensor:
    """The sector ``floor(S (atan2(dy, dx) + pi) / (2 pi)) mod S`` of each step ``[N, 2]``."""
    angle = torch.atan2(step[:, 1], step[:, 0]) + math.pi  # in [0, 2 pi]
    return (angle * sectors / (2 * math.pi)).long() % sectors


def next_point_baselines(data, sectors: int = 8) -> dict[str, float]:
    """Accuracy on the ``next`` task of two rules that learn nothing from the drawings: the most frequent sector
    of ``data`` itself (``"majority"``), and the sector of the last seen step (``"repeat last step"``).
    ``data`` is what :func:`next_point_tasks` returns."""
    (trajectories, cuts), targets = data
    rows, truth = torch.arange(len(cuts)), targets["next"]
    if int(cuts.min()) < 2:
        raise ValueError("repeating the last step needs at least two seen points in every drawing")
    last = compass_sector(trajectories[rows, cuts - 1, :2] - trajectories[rows, cuts - 2, :2], sectors)
    return {
        "majority": float(torch.bincount(truth, minlength=sectors).max()) / len(truth),
        "repeat last step": float((last == truth).float().mean()),
    }
