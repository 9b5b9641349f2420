"""Two moons, and a rotated copy: domain shift you can see.

The source domain is scikit-learn's two interleaved half circles; the target domain is the same
distribution rotated by ``rotation`` degrees about the data's centre. A classifier trained on the source
draws its boundary for unrotated moons; adaptation should turn it with the data.
"""

from __future__ import annotations

import math

import torch


def moons(n: int = 1000, noise: float = 0.1, rotation: float = 0.0, seed: int = 0):
    """``n`` points ``X [n, 2]`` (float32) with labels ``y [n]`` (int64), rotated by ``rotation`` degrees."""
    from sklearn.datasets import make_moons

    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    X = torch.tensor(X, dtype=torch.float32)
    centre = torch.tensor([0.5, 0.25])
    a = math.radians(rotation)
    R = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]], dtype=torch.float32)
    X = (X - centre) @ R.T + centre
    return X, torch.tensor(y, dtype=torch.long)
