"""Glyphs: a procedural Omniglot.

Omniglot (Lake et al., *Human-level concept learning through probabilistic program induction*, Science
2015) holds 1,623 characters from 50 alphabets, each drawn once by 20 people. Its structure is what
makes it the standard few-shot benchmark: characters of one alphabet share strokes and style, so telling
them apart is harder than telling alphabets apart, and each class has only 20 examples.

Glyphs rebuilds that structure from a small generative program, so the course runs with no download:

1. **An alphabet** draws a few stroke *primitives* (line, arc, loop, hook, zigzag, wave, corner) with its
   own parameters (how far an arc bends, how many teeth a zigzag has), a set of preferred orientations,
   a typical stroke count, a slant and a habit of joining strokes.
2. **A character** is 1-4 strokes of its alphabet's primitives, placed on the canvas and joined or not.
   Each stroke is a curve :math:`s(t) \\in \\mathbb{R}^2,\\ t \\in [0, 1]`.
3. **A drawer** redraws a character with motor noise. For stroke :math:`j` of drawing :math:`n`,

   .. math::  \\tilde s_j(t) = A_n \\big(R_{nj}\\, \\sigma_{nj} (s_j(t) - m_j) + m_j + b_{nj} + \\epsilon_{nj}(t)\\big)

   where :math:`R, \\sigma, b` are a small per-stroke rotation, scale and shift, :math:`\\epsilon(t)` is a
   smooth wobble (a few low-frequency sines), and :math:`A_n` a global affine map carrying the drawer's
   own slant and size. Stroke width is the drawer's too.

Each drawing is available as an image (rendered by distance to the drawn curve, anti-aliased), as a pen
trajectory ``(x, y, pen_up)`` for sequence models, and each character has an attribute vector (stroke
count, primitive types, loops, extent) for zero-shot learning.

Calibration. With the default ``noise=1.0``, 5-way 1-shot nearest neighbour in pixel space on evaluation
alphabets lands in the range real Omniglot gives at 28x28 (roughly 35-65%), and within-alphabet episodes
are harder than episodes drawn across alphabets; ``tests/test_glyphs.py`` and ``00_tour`` measure both.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .base import ImageSet

PRIMITIVES = ("line", "arc", "loop", "hook", "zigzag", "wave", "corner")
POINTS_PER_STROKE = 40  # dense enough that neighbouring points are about 0.5 px apart at 28x28
TRAJECTORY_POINTS_PER_STROKE = 8
MAX_STROKES = 4
ATTRIBUTE_NAMES = (
    [f"strokes_{k}" for k in range(1, MAX_STROKES + 1)]
    + [f"has_{p}" for p in PRIMITIVES]
    + ["n_loops", "joined", "width", "height", "mostly_horizontal", "mostly_vertical"]
)
SPLITS = {"background": 30, "evaluation": 20}
_SYLLABLES = ("ka", "ro", "ven", "ti", "mar", "lu", "shi", "dor", "ae", "qua", "zel", "no", "bri", "sa",
              "tem", "ur", "gal", "phi", "xo", "len", "dru", "mi", "ost", "yan")


# --- primitives: curves on t in [0, 1], about unit size, centred near the origin ----------------------
def _primitive(kind: str, t: np.ndarray, p: dict) -> np.ndarray:
    if kind == "line":
        x, y = t - 0.5, 0.0 * t
    elif kind == "arc":
        theta = p["arc_angle"] * (t - 0.5)
        x, y = 0.5 * np.cos(theta) - 0.5 * np.cos(p["arc_angle"] / 2) / 2, 0.5 * np.sin(theta)
    elif kind == "loop":
        theta = 2 * np.pi * 1.05 * t
        x, y = 0.32 * np.cos(theta), 0.32 * p["loop_aspect"] * np.sin(theta)
    elif kind == "hook":
        split = 0.65
        down = np.clip(t / split, 0, 1)
        curl = np.clip((t - split) / (1 - split), 0, 1)
        x = np.where(t < split, 0.0, p["hook_side"] * 0.15 * (1 - np.cos(np.pi * curl)))
        y = np.where(t < split, 0.5 - 0.8 * down, -0.3 - 0.15 * np.sin(np.pi * curl))
    elif kind == "zigzag":
        phase = (t * p["zigzag_teeth"] * 2) % 2
        x, y = t - 0.5, 0.22 * (np.abs(phase - 1) - 0.5)
    elif kind == "wave":
        x, y = t - 0.5, 0.18 * np.sin(2 * np.pi * p["wave_periods"] * t)
    elif kind == "corner":
        a = p["corner_angle"]
        first = np.clip(t * 2, 0, 1)
        second = np.clip(t * 2 - 1, 0, 1)
        x = np.where(t < 0.5, -0.5 + 0.5 * first, 0.5 * np.cos(np.pi - a) * second)
        y = np.where(t < 0.5, 0.0 * t, 0.5 * np.sin(np.pi - a) * second)
    else:  # pragma: no cover - guarded by PRIMITIVES
        raise ValueError(kind)
    return np.stack([x, y], axis=-1)


@dataclass
class Alphabet:
    name: str
    primitives: list
    primitive_weights: np.ndarray
    params: dict
    orientations: np.ndarray
    stroke_mean: float
    join_prob: float
    scale: float
    slant: float


@dataclass
class Character:
    alphabet: int
    strokes: np.ndarray  # [S, POINTS_PER_STROKE, 2] canonical curves
    kinds: list = field(default_factory=list)
    joined: bool = False


def _rng(*keys) -> np.random.Generator:
    digest = hashlib.sha256("/".join(map(str, keys)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def make_alphabet(rng: np.random.Generator, name: str) -> Alphabet:
    n_prim = int(rng.integers(2, 4))
    primitives = list(rng.choice(PRIMITIVES, size=n_prim, replace=False))
    params = {
        "arc_angle": float(rng.uniform(1.8, 4.5)),
        "loop_aspect": float(rng.uniform(0.55, 1.4)),
        "hook_side": float(rng.choice([-1.0, 1.0])),
        "zigzag_teeth": int(rng.integers(2, 4)),
        "wave_periods": float(rng.uniform(0.7, 1.6)),
        "corner_angle": float(rng.uniform(0.9, 2.1)),
    }
    orientations = rng.choice(np.arange(8) * np.pi / 4, size=int(rng.integers(2, 4)), replace=False)
    return Alphabet(
        name=name,
        primitives=primitives,
        primitive_weights=rng.dirichlet(np.full(n_prim, 2.0)),
        params=params,
        orientations=orientations,
        stroke_mean=float(rng.uniform(1.5, 3.2)),
        join_prob=float(rng.uniform(0.2, 0.8)),
        scale=float(rng.uniform(0.75, 1.05)),
        slant=float(rng.normal(0, 0.2)),
    )


def make_character(rng: np.random.Generator, alphabet: Alphabet, alphabet_id: int) -> Character:
    n_strokes = int(np.clip(1 + rng.poisson(alphabet.stroke_mean - 1), 1, MAX_STROKES))
    t = np.linspace(0.0, 1.0, POINTS_PER_STROKE)
    strokes, kinds, joined = [], [], False
    for j in range(n_strokes):
        kind = str(rng.choice(alphabet.primitives, p=alphabet.primitive_weights))
        curve = _primitive(kind, t, alphabet.params)
        angle = rng.choice(alphabet.orientations) + rng.normal(0, 0.15)
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        curve = curve @ rot.T * alphabet.scale * rng.uniform(0.6, 1.1)
        if j > 0 and rng.random() < alphabet.join_prob:
            curve = curve - curve[0] + strokes[-1][-1]  # start where the last stroke ended
            joined = True
        else:
            curve = curve + rng.uniform(-0.4, 0.4, size=2)
        strokes.append(curve)
        kinds.append(kind)
    strokes = np.stack(strokes)
    shear = np.array([[1.0, alphabet.slant], [0.0, 1.0]])
    strokes = strokes @ shear.T
    lo, hi = strokes.reshape(-1, 2).min(0), strokes.reshape(-1, 2).max(0)
    extent = max(float((hi - lo).max()), 1e-6)
    strokes = (strokes - (lo + hi) / 2) * (rng.uniform(1.1, 1.45) / extent)
    return Character(alphabet=alphabet_id, strokes=strokes, kinds=kinds, joined=joined)


def character_attributes(char: Character) -> np.ndarray:
    """The description of a character: what a person could say about it without drawing it."""
    n = len(char.kinds)
    pts = char.strokes.reshape(-1, 2)
    width, height = pts.max(0) - pts.min(0)
    directions = np.diff(char.strokes, axis=1).reshape(-1, 2)
    horizontal = float(np.mean(np.abs(directions[:, 0]) > np.abs(directions[:, 1])))
    return np.array(
        [float(n == k) for k in range(1, MAX_STROKES + 1)]
        + [float(p in char.kinds) for p in PRIMITIVES]
        + [char.kinds.count("loop") / 2.0, float(char.joined), width / 1.5, height / 1.5,
           float(horizontal > 0.6), float(horizontal < 0.4)],
        dtype=np.float32,
    )


# --- drawers ---------------------------------------------------------------------------------------
def draw(char: Character, n_drawers: int, rng: np.random.Generator, drawer_styles: np.ndarray,
         noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Redraw ``char`` once per drawer with motor noise.

    Returns drawn strokes ``[D, S, P, 2]`` and stroke widths in pixels-at-28 ``[D]``.
    ``drawer_styles`` is ``[D, 4]``: slant, width, jitter multiplier, size.
    """
    D, (S, P, _) = n_drawers, char.strokes.shape
    jitter = noise * drawer_styles[:, 2][:, None]  # [D, 1]
    centre = char.strokes.mean(axis=1)  # [S, 2]
    pts = char.strokes[None] - centre[None, :, None]  # [D?, S, P, 2] after broadcast
    angle = rng.normal(0, 0.14, size=(D, S)) * jitter
    scale = 1 + rng.normal(0, 0.10, size=(D, S)) * jitter
    cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
    x, y = pts[..., 0], pts[..., 1]
    pts = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1) * scale[..., None, None]
    shift = rng.normal(0, 0.08, size=(D, S, 2)) * jitter[..., None]
    pts = pts + centre[None, :, None] + shift[:, :, None]
    # smooth wobble: three low-frequency sines per axis
    t = np.linspace(0, 1, P)
    freq = np.array([1.0, 2.0, 3.0])
    amp = rng.normal(0, 0.03, size=(D, S, 3, 2)) * jitter[..., None, None]
    phase = rng.uniform(0, 2 * np.pi, size=(D, S, 3, 2))
    wobble = (amp[:, :, None] * np.sin(2 * np.pi * freq[None, None, None, :, None] * t[None, None, :, None, None]
                                      + phase[:, :, None])).sum(axis=3)
    pts = pts + wobble
    # the drawer's global affine map: slant, size, small rotation, shift
    rot = rng.normal(0, 0.08, size=D) * noise
    shear = drawer_styles[:, 0] + rng.normal(0, 0.06, size=D) * noise
    size = drawer_styles[:, 3] * (1 + rng.normal(0, 0.05, size=D) * noise)
    c, s = np.cos(rot), np.sin(rot)
    A = np.stack([np.stack([c, -s + shear * c], -1), np.stack([s, c + shear * s], -1)], -2) * size[:, None, None]
    pts = np.einsum("dij,dspj->dspi", A, pts) + rng.normal(0, 0.05, size=(D, 1, 1, 2)) * noise
    widths = drawer_styles[:, 1] * (1 + rng.normal(0, 0.1, size=D))
    return pts.astype(np.float32), widths.astype(np.float32)


def render(strokes: torch.Tensor, widths: torch.Tensor, image_size: int = 28,
           mask: torch.Tensor | None = None, chunk: int = 128) -> torch.Tensor:
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
    g2 = (grid ** 2).sum(-1)
    out = torch.empty(B, image_size * image_size)
    for start in range(0, B, chunk):
        rows = order[start:start + chunk]
        m = int(n_points[rows].max())
        pts = strokes[rows, :m]
        if mask is not None:  # padding points go far off the canvas instead of being masked
            pts = torch.where(mask[rows, :m, None], pts, torch.full_like(pts, 1e3))
        # squared distances |g - p|^2 = |g|^2 + |p|^2 - 2 g.p, as one batched matrix product
        d2 = torch.baddbmm((pts ** 2).sum(-1)[:, None, :] + g2[None, :, None],
                           grid.expand(len(rows), -1, -1), pts.transpose(1, 2), alpha=-2.0)
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
            strokes.append(traj[start: i + 1, :2])
            start = i + 1
    if start < len(traj):
        strokes.append(traj[start:, :2])
    return strokes


# --- the dataset -------------------------------------------------------------------------------------
@dataclass(eq=False, repr=False)
class Glyphs(ImageSet):
    """Glyph drawings: an :class:`ImageSet` whose classes are characters and groups are alphabets.

    Extra per-sample fields: ``trajectories`` ``[N, T, 3]`` (x, y, pen_up; zero padded), ``lengths`` ``[N]``,
    ``drawers`` ``[N]``. Extra per-class fields: ``attributes`` ``[C, A]`` (names in ``attribute_names``),
    ``n_strokes`` ``[C]``.
    """

    trajectories: torch.Tensor | None = None
    lengths: torch.Tensor | None = None
    drawers: torch.Tensor | None = None
    attributes: torch.Tensor | None = None
    attribute_names: list = field(default_factory=list)
    n_strokes: torch.Tensor | None = None

    _sample_fields = ("images", "targets", "trajectories", "lengths", "drawers")
    _class_fields = ("groups", "attributes", "n_strokes")

    @property
    def alphabet_names(self) -> list:
        return self.group_names

    def characters_of(self, alphabet: int | str) -> torch.Tensor:
        """Class ids of the characters of one alphabet (by index or name)."""
        if isinstance(alphabet, str):
            if alphabet not in self.group_names:
                raise ValueError(f"unknown alphabet {alphabet!r}; known: {', '.join(self.group_names)}")
            alphabet = self.group_names.index(alphabet)
        if not 0 <= alphabet < len(self.group_names):
            raise ValueError(f"alphabet index must lie in [0, {len(self.group_names)}), got {alphabet}")
        return torch.nonzero(self.groups == alphabet).flatten()


def _alphabet_name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4)))).capitalize()


def _build(split: str, n_alphabets: int, chars_per_alphabet: int, n_drawers: int, image_size: int,
           seed: int, noise: float) -> Glyphs:
    images, targets, trajs, lengths, drawers, attrs, n_strokes, groups, classes, names = ([] for _ in range(10))
    style_rng = _rng(seed, split, "drawers")
    drawer_styles = np.stack([
        style_rng.normal(0, 0.12, n_drawers),  # slant
        style_rng.uniform(1.4, 2.4, n_drawers),  # stroke width in pixels at 28x28
        style_rng.uniform(0.7, 1.3, n_drawers),  # how shaky
        style_rng.uniform(0.85, 1.05, n_drawers),  # size
    ], -1)
    all_points, all_widths = [], []
    T = MAX_STROKES * TRAJECTORY_POINTS_PER_STROKE
    sub = np.linspace(0, POINTS_PER_STROKE - 1, TRAJECTORY_POINTS_PER_STROKE).round().astype(int)
    for a in range(n_alphabets):
        arng = _rng(seed, split, "alphabet", a)
        alphabet = make_alphabet(arng, _alphabet_name(arng))
        names.append(alphabet.name)
        for c in range(chars_per_alphabet):
            char_id = len(classes)
            char = make_character(_rng(seed, split, "character", a, c), alphabet, a)
            classes.append(f"{alphabet.name}/{c:02d}")
            groups.append(a)
            attrs.append(character_attributes(char))
            n_strokes.append(len(char.kinds))
            pts, widths = draw(char, n_drawers, _rng(seed, split, "draw", a, c), drawer_styles, noise)
            S = pts.shape[1]
            all_points.append(pts.reshape(n_drawers, S * POINTS_PER_STROKE, 2))
            all_widths.append(widths)
            traj = np.zeros((n_drawers, T, 3), dtype=np.float32)
            traj[:, : S * len(sub), :2] = pts[:, :, sub].reshape(n_drawers, -1, 2)
            traj[:, np.arange(1, S + 1) * len(sub) - 1, 2] = 1.0
            trajs.append(traj)
            lengths.append(np.full(n_drawers, S * len(sub)))
            targets.append(np.full(n_drawers, char_id))
            drawers.append(np.arange(n_drawers))
    # render everything in one batched pass, padding point lists to a common length
    M = max(p.shape[1] for p in all_points)
    padded = np.zeros((len(all_points) * n_drawers, M, 2), dtype=np.float32)
    mask = np.zeros((len(all_points) * n_drawers, M), dtype=bool)
    for i, p in enumerate(all_points):
        padded[i * n_drawers:(i + 1) * n_drawers, : p.shape[1]] = p
        mask[i * n_drawers:(i + 1) * n_drawers, : p.shape[1]] = True
    images = render(torch.from_numpy(padded), torch.from_numpy(np.concatenate(all_widths)), image_size,
                    torch.from_numpy(mask))
    images = (images * 255).round() / 255  # 8-bit levels, as a scanned image would have
    return Glyphs(
        images=images,
        targets=torch.from_numpy(np.concatenate(targets)).long(),
        classes=classes,
        groups=torch.tensor(groups),
        group_names=names,
        name=f"Glyphs ({split})",
        trajectories=torch.from_numpy(np.concatenate(trajs)),
        lengths=torch.from_numpy(np.concatenate(lengths)).long(),
        drawers=torch.from_numpy(np.concatenate(drawers)).long(),
        attributes=torch.from_numpy(np.stack(attrs)),
        attribute_names=list(ATTRIBUTE_NAMES),
        n_strokes=torch.tensor(n_strokes),
    )


def glyphs(split: str = "background", n_alphabets: int | None = None, chars_per_alphabet: int = 20,
           n_drawers: int = 20, image_size: int = 28, seed: int = 0, noise: float = 1.0,
           cache: bool = True) -> Glyphs:
    """Build (or load from the cache) a Glyphs split.

    ``split`` is ``"background"`` (30 alphabets by default, for training) or ``"evaluation"`` (20 alphabets,
    disjoint from the background ones, for testing transfer). The default background set has
    30 x 20 = 600 characters x 20 drawers = 12,000 drawings. One ``seed`` gives the same set every time;
    the cache (see :func:`tlearn.data.cache_dir`) only saves the work of drawing it again.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    n_alphabets = SPLITS[split] if n_alphabets is None else n_alphabets
    for pname, value, lo in [("n_alphabets", n_alphabets, 1), ("chars_per_alphabet", chars_per_alphabet, 1),
                             ("n_drawers", n_drawers, 1), ("image_size", image_size, 8)]:
        if not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{pname} must be an integer >= {lo}, got {value!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (1.0 is calibrated to Omniglot), got {noise}")
    from .cache import cached

    key = f"glyphs-v1-{split}-{n_alphabets}-{chars_per_alphabet}-{n_drawers}-{image_size}-{seed}-{noise:g}"
    return cached(key, lambda: _build(split, n_alphabets, chars_per_alphabet, n_drawers, image_size, seed, noise),
                  enabled=cache)
