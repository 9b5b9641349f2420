"""Pen strokes to pixels, and pen trajectories to strokes: the renderer behind Glyphs and ``render_points``."""

from __future__ import annotations

import numpy as np
import torch

POINTS_PER_STROKE = 40  # dense enough that neighbouring points are about 0.5 px apart at 28x28

__all__ = ["POINTS_PER_STROKE", "render", "render_points", "trajectory_to_strokes"]


def render(
    strokes: torch.Tensor,
    widths: torch.Tensor,
    image_size: int = 28,
    mask: torch.Tensor | None = None,
    chunk: int = 128,
) -> torch.Tensor:
    """Rasterise pen strokes: intensity falls from 1 to 0 across the stroke edge.

    ``strokes`` is ``[B, M, 2]`` dense points in ``[-1, 1]`` (y up), ``widths`` ``[B]`` in pixels at 28x28
    (scaled with ``image_size``), ``mask`` ``[B, M]`` marks real points. Pixel value
    :math:`\\mathrm{clip}(w/2 + 1/2 - d, 0, 1)` with :math:`d` the distance in pixels to the nearest point.
    """
    strokes = torch.as_tensor(strokes, dtype=torch.float32)
    if strokes.dim() != 3 or strokes.shape[-1] != 2:
        raise ValueError(f"strokes must be [B, M, 2] points, got {tuple(strokes.shape)}")
    B, M, _ = strokes.shape
    widths = torch.as_tensor(widths, dtype=torch.float32).reshape(-1).expand(B)
    coords = (torch.arange(image_size, dtype=torch.float32) + 0.5) / image_size * 2 - 1
    gy, gx = torch.meshgrid(-coords, coords, indexing="ij")  # row 0 is the top (y = +1)
    grid = torch.stack([gx.flatten(), gy.flatten()], -1)  # [HW, 2]
    px_per_unit = image_size / 2
    n_points = mask.sum(1) if mask is not None else torch.full((B,), M)
    order = torch.argsort(n_points)  # similar lengths together, so each chunk trims its padding
    g2 = (grid**2).sum(-1)
    out = torch.empty(B, image_size * image_size)
    for start in range(0, B, chunk):
        rows = order[start : start + chunk]
        m = int(n_points[rows].max())
        pts = strokes[rows, :m]
        if mask is not None:  # padding points go far off the canvas instead of being masked
            pts = torch.where(mask[rows, :m, None], pts, torch.full_like(pts, 1e3))
        # squared distances |g - p|^2 = |g|^2 + |p|^2 - 2 g.p, as one batched matrix product
        d2 = torch.baddbmm(
            (pts**2).sum(-1)[:, None, :] + g2[None, :, None],
            grid.expand(len(rows), -1, -1),
            pts.transpose(1, 2),
            alpha=-2.0,
        )
        dmin = d2.min(-1).values.clamp_min(0).sqrt() * px_per_unit
        half = (widths[rows] * image_size / 28 / 2)[:, None]
        out[rows] = (half + 0.5 - dmin).clamp(0, 1)
    return out.reshape(B, 1, image_size, image_size)


def render_points(points, width: float = 1.8, image_size: int = 28) -> torch.Tensor:
    """Render a glyph you draw yourself: ``points`` is a list of strokes, each a list of ``(x, y)`` in
    ``[-1, 1]`` (y up), or one trajectory ``[T, 3]`` with pen-up flags. Returns ``[1, H, W]``."""
    if isinstance(points, torch.Tensor) or (isinstance(points, np.ndarray) and points.ndim == 2):
        points = trajectory_to_strokes(torch.as_tensor(points, dtype=torch.float32))
    if not points:
        raise ValueError("points is empty; pass at least one stroke of two or more (x, y) points")
    dense = []
    for stroke in points:
        s = np.asarray(stroke, dtype=np.float32)
        if s.ndim != 2 or s.shape[1] != 2 or len(s) < 1:
            raise ValueError(f"each stroke must be a list of (x, y) points, got shape {s.shape}")
        if len(s) == 1:
            s = np.repeat(s, 2, axis=0)
        seg = np.linspace(0, len(s) - 1, POINTS_PER_STROKE)
        dense.append(np.stack([np.interp(seg, np.arange(len(s)), s[:, k]) for k in range(2)], -1))
    pts = torch.as_tensor(np.concatenate(dense))[None]
    return render(pts, torch.tensor([width]), image_size)[0]


def trajectory_to_strokes(trajectory: torch.Tensor, length: int | None = None) -> list[np.ndarray]:
    """Split a ``[T, 3]`` pen trajectory at its pen-up marks into a list of ``[n, 2]`` strokes."""
    traj = trajectory[: (len(trajectory) if length is None else int(length))].numpy()
    strokes, start = [], 0
    for i, pen_up in enumerate(traj[:, 2]):
        if pen_up > 0.5:
            strokes.append(traj[start : i + 1, :2])
            start = i + 1
    if start < len(traj):
        strokes.append(traj[start:, :2])
    return strokes
