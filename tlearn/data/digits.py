"""Digits: synthetic, real, textured, and two at a time.

Domain adaptation needs two domains that share labels but not appearance; multi-task learning needs one
image with several labels. Four generators provide them without a download:

- :func:`syn_digits` renders the digits of the fonts that ship with matplotlib (DejaVu, STIX, Computer
  Modern) with random size, rotation, position, thickness and, optionally, colour and clutter: the
  "synthetic" domain. It is in the spirit of SynDigits (Ganin and Lempitsky, *Unsupervised Domain
  Adaptation by Backpropagation*, ICML 2015), not the same set: theirs is 500,000 images of one- to
  three-digit numbers from Windows fonts with blur and colour, made to resemble SVHN; ours is single
  digits from 13 open fonts.
- :func:`hand_digits` is scikit-learn's bundled set of 1,797 real handwritten digits
  (:func:`sklearn.datasets.load_digits`: the test part of the UCI "Optical Recognition of Handwritten
  Digits" set, 8x8 images of 0-16 counts; the UCI set was written by 43 people, this part by 13 of them),
  resized and padded like MNIST: the "real" domain. No writer ids are shipped, so every split of it
  (:meth:`~tlearn.data.ImageSet.split`, :meth:`~tlearn.data.ImageSet.take_per_class`) is random over
  images and puts the same writers in the pool and in the test set; a writer-disjoint split is
  impossible. Its test accuracies are therefore optimistic for new writers.
- :func:`textured` blends any digit set with patches of 19 real photographs shipped by scikit-image, as
  MNIST-M does for MNIST with BSDS500 (see its docstring for how the sources differ):
  :math:`x' = |p - x|` per channel, with :math:`p` a random photo patch.
- :func:`multi_digits` puts two digits side by side on a 28x56 canvas, with one label per side.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .base import ImageSet

DIGIT_CLASSES = [str(d) for d in range(10)]
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralBol.ttf",
    "STIXGeneralItalic.ttf",
    "cmr10.ttf",
    "cmss10.ttf",
    "cmtt10.ttf",
)
_TEMPLATE = 64  # digit outlines are rasterised once per font at this size, then warped per sample


@lru_cache(maxsize=1)
def digit_templates() -> torch.Tensor:
    """Anti-aliased masks ``[n_fonts, 10, 64, 64]`` of the ten digits in every shipped font."""
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fine = 2 * _TEMPLATE  # supersample, then average down: smooth edges
    centres = (np.arange(fine) + 0.5) / fine
    gx, gy = np.meshgrid(centres, 1 - centres)
    grid = np.stack([gx.ravel(), gy.ravel()], -1)
    masks = []
    for fname in FONT_FILES:
        prop = FontProperties(fname=str(font_dir / fname))
        for d in range(10):
            path = TextPath((0, 0), str(d), size=1.0, prop=prop)
            verts = path.vertices
            lo, hi = verts.min(0), verts.max(0)
            scale = 0.7 / max(hi - lo)  # the digit's height fills 70% of the template
            centre = (lo + hi) / 2
            path = path.transformed(
                matplotlib.transforms.Affine2D().translate(*-centre).scale(scale).translate(0.5, 0.5)
            )
            # even-odd rule: a point is ink if it lies inside an odd number of outlines (holes of 0, 6, 8, 9)
            inside = np.zeros(len(grid), dtype=bool)
            for polygon in path.to_polygons(closed_only=True):
                inside ^= matplotlib.path.Path(polygon).contains_points(grid)
            masks.append(inside.reshape(fine, fine).astype(np.float32))
    masks = torch.from_numpy(np.stack(masks))[:, None]
    masks = F.avg_pool2d(masks, 2)[:, 0]
    return masks.reshape(len(FONT_FILES), 10, _TEMPLATE, _TEMPLATE)


def _random_affine(n: int, g: torch.Generator, rotation: float, scale: tuple, shift: float) -> torch.Tensor:
    angle = (torch.rand(n, generator=g) * 2 - 1) * math.radians(rotation)
    s = scale[0] + torch.rand(n, generator=g) * (scale[1] - scale[0])
    shear = (torch.rand(n, generator=g) * 2 - 1) * 0.15
    t = (torch.rand(n, 2, generator=g) * 2 - 1) * shift
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output coords to input coords, so use the inverse scale
    theta = torch.stack([torch.stack([cos, -sin + shear, t[:, 0]], -1), torch.stack([sin, cos, t[:, 1]], -1)], 1)
    theta[:, :, :2] /= s[:, None, None]
    return theta


def _check_n(n, name="n"):
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")


def syn_digits(
    n: int = 5000, image_size: int = 28, seed: int = 0, color: bool = False, clutter: float = 0.0
) -> ImageSet:
    """Digits rendered from fonts with random size, rotation, position and thickness.

    ``color=True`` gives 3-channel images with a random foreground and background colour; ``clutter``
    in ``[0, 1]`` adds that much intensity of random background strokes. Classes are balanced.
    """
    _check_n(n)
    if not 0.0 <= clutter <= 1.0:
        raise ValueError(f"clutter must lie in [0, 1], got {clutter}")
    g = torch.Generator().manual_seed(seed)
    templates = digit_templates()
    labels = torch.arange(n) % 10
    labels = labels[torch.randperm(n, generator=g)]
    fonts = torch.randint(len(FONT_FILES), (n,), generator=g)
    thickness = torch.randint(-1, 2, (n,), generator=g)  # -1 thinner, 0 as drawn, +1 bolder
    theta = _random_affine(n, g, rotation=15, scale=(0.75, 1.15), shift=0.15)
    chunks = []
    for i in torch.arange(n).split(256):  # 256 digits at a time: the 64x64 intermediates stay small
        base = templates[fonts[i], labels[i]][:, None]  # [256, 1, 64, 64]
        bolder = F.max_pool2d(base, 5, 1, 2)
        thinner = -F.max_pool2d(-base, 3, 1, 1)
        t = thickness[i, None, None, None]
        base = torch.where(t > 0, bolder, torch.where(t < 0, thinner, base))
        # warp at twice the size, then average 2x2 blocks: thin strokes stay visible instead of aliasing away
        grid = F.affine_grid(theta[i], (len(i), 1, 2 * image_size, 2 * image_size), align_corners=False)
        chunks.append(F.avg_pool2d(F.grid_sample(base, grid, align_corners=False), 2).clamp(0, 1))
    images = torch.cat(chunks)
    if clutter > 0:
        from .render import render

        ends = torch.rand(n * 3, 2, 2, generator=g) * 2 - 1
        t = torch.linspace(0, 1, 24)[None, :, None]
        lines = ends[:, :1] + t * (ends[:, 1:] - ends[:, :1])  # [3n, 24, 2] straight strokes
        strokes = render(lines, torch.full((n * 3,), 1.2), image_size).reshape(n, 3, image_size, image_size)
        images = torch.maximum(images, clutter * strokes.max(1, keepdim=True).values)
    if color:
        fg = torch.rand(n, 3, 1, 1, generator=g)
        bg = torch.rand(n, 3, 1, 1, generator=g)
        weak = (fg - bg).abs().mean(1, keepdim=True) < 0.3  # keep the digit readable
        bg = torch.where(weak, 1 - fg, bg)
        images = bg * (1 - images) + fg * images
    images = (images * 255).round() / 255
    return ImageSet(images, labels, classes=list(DIGIT_CLASSES), name="SynDigits")


def hand_digits(image_size: int = 28) -> ImageSet:
    """scikit-learn's 1,797 real handwritten digits by 13 writers, upsampled and padded like MNIST (digit
    in the central 20/28 of the canvas). Writers are not recorded, so any split shares them between its
    sides (see the module docstring)."""
    _check_n(image_size, "image_size")
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
    inner = max(1, round(image_size * 20 / 28))
    x = F.interpolate(x, size=(inner, inner), mode="bilinear", align_corners=False).clamp(0, 1)
    pad = image_size - inner
    x = F.pad(x, (pad // 2, pad - pad // 2, pad // 2, pad - pad // 2))
    x = (x * 255).round() / 255
    return ImageSet(x, torch.tensor(digits.target), classes=list(DIGIT_CLASSES), name="HandDigits")


# Every real photograph in scikit-image's data module that ships inside its wheel (so it loads with no
# network). Left out: synthetic images (binary_blobs, checkerboard, colorwheel, horse, logo,
# shepp_logan_phantom), duplicates (cat is chelsea; the right view of stereo_motorcycle repeats the left),
# lfw_subset (25x25 faces, smaller than a patch), and the 3-D and large images that need a download.
TEXTURE_PHOTOS = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "microaneurysms",
    "moon",
    "stereo_motorcycle",
    "page",
    "retina",
    "rocket",
    "text",
)


@lru_cache(maxsize=1)
def texture_photos() -> list[torch.Tensor]:
    """The texture source: the photographs named in ``TEXTURE_PHOTOS`` as ``uint8`` tensors ``[C, H, W]``,
    ``C`` = 3 for colour and 1 for grey ones (kept as bytes: 10 MB rather than 74 MB as float RGB)."""
    import skimage.data

    photos = []
    for name in TEXTURE_PHOTOS:
        img = getattr(skimage.data, name)()
        if isinstance(img, tuple):  # stereo_motorcycle: (left, right, disparity)
            img = img[0]
        x = torch.as_tensor(np.asarray(img, dtype=np.uint8))
        x = x[None] if x.dim() == 2 else x[..., :3].permute(2, 0, 1)
        photos.append(x.contiguous())
    return photos


def textured(ds: ImageSet, seed: int = 0, grey: bool = False) -> ImageSet:
    """Blend a digit set with random patches of real photographs, after MNIST-M (Ganin et al., *Domain-
    Adversarial Training of Neural Networks*, JMLR 2016): every pixel becomes :math:`|p - x|` per colour
    channel, so the digit shows as an inversion of the photo underneath it.

    The texture source is the 19 real photographs that scikit-image ships in its wheel
    (``TEXTURE_PHOTOS``: people, animals, objects, a rocket, a motorcycle, bricks, grass, gravel, coins,
    text, the moon, the Hubble deep field, microscopy and retina images; 8 in colour, 11 grey). MNIST-M
    draws its patches from BSDS500 (Arbelaez et al. 2011): 500 natural colour photographs, mostly
    outdoor scenes, people and animals. So the textures here are fewer, less varied in colour, and
    include scientific images BSDS500 does not; a model adapted on them has seen a narrower texture
    distribution than one adapted on MNIST-M. Each patch is a random square crop of ``h``-``3h`` pixels
    (clipped to the photo), resized to the digit's size. ``grey=True`` averages the three channels, for a
    network that reads grey images (the Conv4 pretrained on glyphs): the digit then shows as a change of
    brightness in a grey photograph.
    """
    if not isinstance(ds, ImageSet):
        raise TypeError(f"ds must be an ImageSet (e.g. hand_digits()), got {type(ds).__name__}")
    g = torch.Generator().manual_seed(seed)
    n, _, h, w = ds.images.shape
    photos = texture_photos()
    which = torch.randint(len(photos), (n,), generator=g)
    patches = torch.empty(n, 3, h, w)
    for i in range(n):
        photo = photos[int(which[i])]
        largest = min(3 * max(h, w), photo.shape[1], photo.shape[2])
        size = int(torch.randint(max(h, w), largest + 1, (1,), generator=g))  # zoom: a crop of h..3h pixels
        top = int(torch.randint(photo.shape[1] - size + 1, (1,), generator=g))
        left = int(torch.randint(photo.shape[2] - size + 1, (1,), generator=g))
        crop = photo[:, top : top + size, left : left + size].float() / 255.0  # grey: one channel, for all three
        patches[i] = F.interpolate(crop[None], size=(h, w), mode="bilinear", align_corners=False)[0]
    digits = ds.images if ds.images.shape[1] == 3 else ds.images.repeat(1, 3, 1, 1)
    images = ((patches - digits).abs() * 255).round() / 255  # x' = |p - x|
    if grey:
        images = images.mean(1, keepdim=True)
    name = f"Textured{ds.name}" + (" (grey)" if grey else "")
    return ImageSet(images, ds.targets.clone(), classes=list(ds.classes), name=name)


class MultiDigits(torch.utils.data.Dataset):
    """Two digits on one ``28 x 56`` canvas; tasks ``"left"`` and ``"right"`` label each side."""

    def __init__(self, images: torch.Tensor, tasks: dict, name: str = "MultiDigits"):
        self.images = images
        self.tasks = {k: torch.as_tensor(v).long() for k, v in tasks.items()}
        for k, v in self.tasks.items():
            if v.shape != (len(images),):
                raise ValueError(f"task {k!r} needs one label per image ({len(images)}), got {tuple(v.shape)}")
        self.name = name

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], {k: int(v[i]) for k, v in self.tasks.items()}

    def __repr__(self):
        return f"{self.name}: {len(self)} images of shape {list(self.images.shape[1:])}, tasks {list(self.tasks)}"

    @property
    def targets(self):
        return self.tasks

    def subset(self, indices) -> MultiDigits:
        index = torch.as_tensor(indices, dtype=torch.long)
        return MultiDigits(self.images[index], {k: v[index] for k, v in self.tasks.items()}, self.name)

    def split(self, test_fraction: float = 0.3, seed: int = 0) -> tuple[MultiDigits, MultiDigits]:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
        perm = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        n_test = max(1, round(test_fraction * len(self)))
        return self.subset(perm[n_test:].sort().values), self.subset(perm[:n_test].sort().values)


def multi_digits(n: int = 4000, seed: int = 0, source: str = "syn") -> MultiDigits:
    """``n`` canvases with a digit on the left and one on the right (each shifted a few pixels).

    ``source="syn"`` draws fresh font digits; ``source="hand"`` reuses scikit-learn's handwritten ones.
    """
    _check_n(n)
    g = torch.Generator().manual_seed(seed)
    if source == "syn":
        pool = syn_digits(2 * n, seed=seed + 7919)
        left, right = torch.arange(n), torch.arange(n, 2 * n)
    elif source == "hand":
        pool = hand_digits()
        left = torch.randint(len(pool), (n,), generator=g)
        right = torch.randint(len(pool), (n,), generator=g)
    else:
        raise ValueError(f"source must be 'syn' or 'hand', got {source!r}")
    shifts = torch.randint(-3, 4, (2, n, 2), generator=g).float()  # (dy, dx) pixels per side
    halves = []
    for j, idx in enumerate((left, right)):
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = 1.0
        theta[:, 0, 2] = -2 * shifts[j, :, 1] / 28  # whole-pixel shifts: sampling stays exact
        theta[:, 1, 2] = -2 * shifts[j, :, 0] / 28
        grid = F.affine_grid(theta, (n, 1, 28, 28), align_corners=False)
        halves.append(F.grid_sample(pool.images[idx], grid, align_corners=False))
    canvas = torch.cat(halves, dim=3)
    return MultiDigits(canvas, {"left": pool.targets[left], "right": pool.targets[right]})
