r"""Drawers: how one person's hand redraws a Glyphs character, with motor noise.

Omniglot's characters were each drawn by 20 people (Lake et al., *Human-level concept learning through
probabilistic program induction*, Science 2015); Glyphs' drawers play that part. A drawer redraws a
character's canonical strokes :math:`s_j(t) \in \mathbb{R}^2,\ t \in [0, 1]` (from :mod:`tlearn.data.glyphs`)
with motor noise. For stroke :math:`j` of drawing :math:`n`,

.. math::  \tilde s_j(t) = A_n \big(R_{nj}\, \sigma_{nj} (s_j(t) - m_j) + m_j + b_{nj} + \epsilon_{nj}(t)\big)

where :math:`m_j` is the stroke's centre, :math:`R, \sigma, b` a small per-stroke rotation, scale and shift,
:math:`\epsilon(t)` a smooth wobble (three low-frequency sines per axis), and :math:`A_n` a global affine
map carrying the drawer's own slant and size. The whole drawing is then placed with a heavy-tailed offset
(a Student-t draw, Cauchy by default, clipped): most drawers centre the character, some set it well off
centre, which is what brings pixel nearest neighbour down to Omniglot's published figures. Stroke width is
the drawer's too. Each drawer's habits (slant, width, shakiness, size) are drawn once per split by
:func:`drawer_styles`; :func:`draw` applies the equation; every standard deviation is a field of
:class:`DrawerNoise`, the knobs calibrated against Omniglot (:mod:`tlearn.data.calibration`). All names
are importable from :mod:`tlearn.data.glyphs` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Character:
    """What a drawer redraws: a character's canonical strokes, ``[S, POINTS_PER_STROKE, 2]`` curves on the
    ``[-1, 1]`` canvas, the index of its alphabet, the primitive ``kinds`` it was built from, and whether its
    strokes join (drawn without lifting the pen). Made by :func:`tlearn.data.glyphs.make_character`."""

    alphabet: int
    strokes: np.ndarray
    kinds: list = field(default_factory=list)
    joined: bool = False


@dataclass(frozen=True)
class DrawerNoise:
    """Standard deviations of the motor noise, in canvas units (the canvas spans ``[-1, 1]``, so 0.07 is
    about one pixel at 28x28) or radians. These are the knobs calibrated against Omniglot
    (:mod:`tlearn.data.calibration`); the class structure (alphabets, characters) does not depend on them."""

    stroke_rotation: float = 0.10
    stroke_scale: float = 0.07
    stroke_shift: float = 0.06
    wobble: float = 0.02
    rotation: float = 0.08
    shear: float = 0.06
    size: float = 0.05
    shift: float = 0.06  # scale of a Student-t with shift_df degrees of freedom (1: Cauchy)
    shift_df: float | None = 1.0
    shift_max: float = 0.4
    width: float = 0.10
    drawer_slant: float = 0.12
    drawer_width: tuple = (1.4, 2.4)
    drawer_shaky: tuple = (0.7, 1.3)
    drawer_size: tuple = (0.85, 1.05)


NOISE = DrawerNoise()


def drawer_styles(rng: np.random.Generator, n_drawers: int, knobs: DrawerNoise = NOISE) -> np.ndarray:
    """Each drawer's habits ``[D, 4]``: slant, stroke width (pixels at 28x28), shakiness, size."""
    return np.stack(
        [
            rng.normal(0, knobs.drawer_slant, n_drawers),
            rng.uniform(*knobs.drawer_width, n_drawers),
            rng.uniform(*knobs.drawer_shaky, n_drawers),
            rng.uniform(*knobs.drawer_size, n_drawers),
        ],
        -1,
    )


def draw(
    char: Character,
    n_drawers: int,
    rng: np.random.Generator,
    drawer_styles: np.ndarray,
    noise: float = 1.0,
    knobs: DrawerNoise = NOISE,
) -> tuple[np.ndarray, np.ndarray]:
    """Redraw ``char`` once per drawer with motor noise.

    Returns drawn strokes ``[D, S, P, 2]`` and stroke widths in pixels-at-28 ``[D]``.
    ``drawer_styles`` is ``[D, 4]``: slant, width, jitter multiplier, size.
    """
    k = knobs
    D, (S, P, _) = n_drawers, char.strokes.shape
    jitter = noise * drawer_styles[:, 2][:, None]  # [D, 1]
    centre = char.strokes.mean(axis=1)  # [S, 2]
    pts = char.strokes[None] - centre[None, :, None]  # [D?, S, P, 2] after broadcast
    angle = rng.normal(0, k.stroke_rotation, size=(D, S)) * jitter  # R_nj
    scale = 1 + rng.normal(0, k.stroke_scale, size=(D, S)) * jitter  # sigma_nj
    cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
    x, y = pts[..., 0], pts[..., 1]
    pts = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1) * scale[..., None, None]
    shift = rng.normal(0, k.stroke_shift, size=(D, S, 2)) * jitter[..., None]  # b_nj
    pts = pts + centre[None, :, None] + shift[:, :, None]
    # smooth wobble epsilon_nj(t): three low-frequency sines per axis
    t = np.linspace(0, 1, P)
    freq = np.array([1.0, 2.0, 3.0])
    amp = rng.normal(0, k.wobble, size=(D, S, 3, 2)) * jitter[..., None, None]
    phase = rng.uniform(0, 2 * np.pi, size=(D, S, 3, 2))
    wobble = (
        amp[:, :, None]
        * np.sin(2 * np.pi * freq[None, None, None, :, None] * t[None, None, :, None, None] + phase[:, :, None])
    ).sum(axis=3)
    pts = pts + wobble
    # the drawer's global affine map A_n: slant, size, small rotation; then where the drawing sits
    rot = rng.normal(0, k.rotation, size=D) * noise
    shear = drawer_styles[:, 0] + rng.normal(0, k.shear, size=D) * noise
    size = drawer_styles[:, 3] * (1 + rng.normal(0, k.size, size=D) * noise)
    c, s = np.cos(rot), np.sin(rot)
    A = np.stack([np.stack([c, -s + shear * c], -1), np.stack([s, c + shear * s], -1)], -2) * size[:, None, None]
    if k.shift_df is None:
        offset = rng.normal(0, k.shift, size=(D, 1, 1, 2))
    else:  # heavy tailed: most drawers centre the character, a few set it well off
        offset = k.shift * rng.standard_t(k.shift_df, size=(D, 1, 1, 2))
    offset = np.clip(offset * noise, -k.shift_max, k.shift_max)
    pts = np.einsum("dij,dspj->dspi", A, pts) + offset
    widths = drawer_styles[:, 1] * (1 + rng.normal(0, k.width, size=D))
    return pts.astype(np.float32), widths.astype(np.float32)
