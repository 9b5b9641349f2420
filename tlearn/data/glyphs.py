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
3. **A drawer** redraws a character with motor noise: a small rotation, scale, shift and smooth wobble
   per stroke, the drawer's own slant, size and stroke width, and a heavy-tailed placement on the canvas
   (:mod:`tlearn.data.drawers` gives the equation; every standard deviation is in :class:`DrawerNoise`).

Each drawing is available as an image (rendered by distance to the drawn curve, anti-aliased), as a pen
trajectory ``(x, y, pen_up)`` for sequence models, and each character has an attribute vector (stroke
count, primitive types, loops, extent) for zero-shot learning. The attributes are the generator's own
noise-free values, computed from the character's canonical strokes: they are exact by construction, not
human annotations (real attribute sets, such as AwA's or CUB's, are noisy human judgements).

What it is not. Glyphs is not Omniglot: its primitives are Bézier-like curves from a short list, not
people's handwriting, and 20 "drawers" are one noise model with 20 habits. It is calibrated so that
pixel-space difficulty matches. Pixel nearest neighbour on the evaluation alphabets, Vinyals et al.'s
protocol (classes across alphabets, 28x28, 1,000 fixed episodes of 5 queries per class, seed 0;
:func:`tlearn.data.calibration.pixel_nn_calibration`), against Omniglot's published pixel figures
(Vinyals et al. 2016, Table 1):

==============  =========  =================  ==================
protocol        Glyphs     Omniglot, pixels   Glyphs before (v1)
==============  =========  =================  ==================
5-way 1-shot    41.5%      41.7%              60.4%
5-way 5-shot    63.6%      63.2%              80.3%
20-way 1-shot   23.8%      26.7%              36.7%
20-way 5-shot   44.9%      42.6%              59.0%
==============  =========  =================  ==================

``tests/test_data.py`` holds all four within 4 points. Only the drawer-to-drawer variation was tuned (the
heavy-tailed placement did most of it: pixel nearest neighbour works when two drawings happen to line up
and is near chance otherwise, as on Omniglot); the alphabets and characters are the same programs as before.
Learned features need not transfer the same way: a network may find Glyphs easier or harder than Omniglot.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .base import ImageSet
from .cache import cached
from .drawers import NOISE, Character, DrawerNoise, draw, drawer_styles  # noqa: F401 (re-exported)
from .render import POINTS_PER_STROKE, render, render_points, trajectory_to_strokes  # noqa: F401 (re-exported)

PRIMITIVES = ("line", "arc", "loop", "hook", "zigzag", "wave", "corner")
TRAJECTORY_POINTS_PER_STROKE = 8
MAX_STROKES = 4
ATTRIBUTE_NAMES = (
    [f"strokes_{k}" for k in range(1, MAX_STROKES + 1)]
    + [f"has_{p}" for p in PRIMITIVES]
    + ["n_loops", "joined", "width", "height", "mostly_horizontal", "mostly_vertical"]
)
SPLITS = {"background": 30, "evaluation": 20}
_SYLLABLES = (
    "ka",
    "ro",
    "ven",
    "ti",
    "mar",
    "lu",
    "shi",
    "dor",
    "ae",
    "qua",
    "zel",
    "no",
    "bri",
    "sa",
    "tem",
    "ur",
    "gal",
    "phi",
    "xo",
    "len",
    "dru",
    "mi",
    "ost",
    "yan",
)


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
        + [
            char.kinds.count("loop") / 2.0,
            float(char.joined),
            width / 1.5,
            height / 1.5,
            float(horizontal > 0.6),
            float(horizontal < 0.4),
        ],
        dtype=np.float32,
    )


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


def _build(
    split: str,
    n_alphabets: int,
    chars_per_alphabet: int,
    n_drawers: int,
    image_size: int,
    seed: int,
    noise: float,
    knobs: DrawerNoise = NOISE,
) -> Glyphs:
    images, targets, trajs, lengths, drawers, attrs, n_strokes, groups, classes, names = ([] for _ in range(10))
    styles = drawer_styles(_rng(seed, split, "drawers"), n_drawers, knobs)
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
            pts, widths = draw(char, n_drawers, _rng(seed, split, "draw", a, c), styles, noise, knobs)
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
        padded[i * n_drawers : (i + 1) * n_drawers, : p.shape[1]] = p
        mask[i * n_drawers : (i + 1) * n_drawers, : p.shape[1]] = True
    images = render(
        torch.from_numpy(padded), torch.from_numpy(np.concatenate(all_widths)), image_size, torch.from_numpy(mask)
    )
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


def glyphs(
    split: str = "background",
    n_alphabets: int | None = None,
    chars_per_alphabet: int = 20,
    n_drawers: int = 20,
    image_size: int = 28,
    seed: int = 0,
    noise: float = 1.0,
    cache: bool = True,
) -> Glyphs:
    """Build (or load from the cache) a Glyphs split.

    ``split`` is ``"background"`` (30 alphabets by default, for training) or ``"evaluation"`` (20 alphabets,
    disjoint from the background ones, for testing transfer). The default background set has
    30 x 20 = 600 characters x 20 drawers = 12,000 drawings. One ``seed`` gives the same set every time;
    the cache (see :func:`tlearn.data.cache_dir`) only saves the work of drawing it again.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    n_alphabets = SPLITS[split] if n_alphabets is None else n_alphabets
    for pname, value, lo in [
        ("n_alphabets", n_alphabets, 1),
        ("chars_per_alphabet", chars_per_alphabet, 1),
        ("n_drawers", n_drawers, 1),
        ("image_size", image_size, 8),
    ]:
        if not isinstance(value, (int, np.integer)) or value < lo:
            raise ValueError(f"{pname} must be an integer >= {lo}, got {value!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0 (1.0 is the setting calibrated to Omniglot), got {noise}")
    knobs = hashlib.sha256(repr(NOISE).encode()).hexdigest()[:8]  # a retuned noise model never loads old files
    key = f"glyphs-{knobs}-{split}-{n_alphabets}-{chars_per_alphabet}-{n_drawers}-{image_size}-{seed}-{noise:g}"
    return cached(
        key,
        lambda: _build(split, n_alphabets, chars_per_alphabet, n_drawers, image_size, seed, noise),
        Glyphs,
        enabled=cache,
    )
