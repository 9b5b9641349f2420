"""Labelled image sets from folders and by name, and rotations as new classes.

- :func:`image_folder`: a folder of your own images, one subfolder per class;
- :func:`load_data`: ``"glyphs"``, ``"omniglot"`` or ``"folder:<path>"`` by name, the one switch of
  notebook 05 and of ``python -m tlearn.fewshot``;
- :func:`rotate_classes`: rotations by multiples of 90 degrees as new classes, the Omniglot papers'
  augmentation.

A folder is read lazily, one file per item, through torchvision's ``ImageFolder``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .. import checks

__all__ = ["RotatedClasses", "has_splits", "image_folder", "images_of", "load_data", "rotate_classes"]


def images_of(dataset):
    """The image tensor of an in-memory set (ImageSet and anything with a 4-D ``.images``), else None."""
    images = getattr(dataset, "images", None)
    return images if isinstance(images, torch.Tensor) and images.dim() == 4 else None


class RotatedClasses(torch.utils.data.Dataset):
    """A lazily rotated copy of any labelled image dataset in which each rotation is a new class:
    item ``r * len(base) + i`` is image ``i`` rotated by ``angles[r]`` with label ``r * n_classes + y_i``."""

    def __init__(self, base, angles, labels: torch.Tensor):
        self.base, self.angles, self.base_labels = base, tuple(angles), labels
        self.n_base_classes = int(labels.max()) + 1
        self.targets = torch.cat([labels + r * self.n_base_classes for r in range(len(self.angles))])
        base_groups = getattr(base, "groups", None)
        self.groups = None if base_groups is None else torch.as_tensor(base_groups).repeat(len(self.angles))

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        r, j = divmod(int(i), len(self.base))
        image, _ = self.base[j]
        return torch.rot90(image, self.angles[r] // 90, dims=(-2, -1)), int(self.targets[i])


def rotate_classes(dataset, angles=(0, 90, 180, 270)):
    """Rotations as new classes, the augmentation of the Omniglot papers (Santoro et al. 2016, Vinyals et al.
    2016, Snell et al. 2017): a character rotated by 90 degrees is treated as a different character,
    multiplying the training classes by ``len(angles)``.

    An :class:`tlearn.data.ImageSet` comes back as an ``ImageSet`` (groups kept: a rotated character stays
    in its alphabet); any other dataset (torchvision's Omniglot, an ``ImageFolder``) is wrapped lazily.
    """
    from ..samplers import labels_of
    from .base import ImageSet

    angles = tuple(angles)
    if (not angles or any((not isinstance(a, int)) or a % 90 for a in angles)
            or len({a % 360 for a in angles}) != len(angles)):
        raise ValueError(f"angles must be distinct multiples of 90 degrees, e.g. (0, 90, 180, 270), got {angles}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    images = images_of(dataset)
    if isinstance(dataset, ImageSet) and images is not None:
        n = dataset.n_classes
        groups = None if dataset.groups is None else dataset.groups.repeat(len(angles))
        return ImageSet(
            images=torch.cat([torch.rot90(images, a // 90, dims=(-2, -1)) for a in angles]),
            targets=torch.cat([dataset.targets + r * n for r in range(len(angles))]),
            classes=[f"{c}@{a}" for a in angles for c in dataset.classes],
            groups=groups, group_names=list(dataset.group_names),
            name=f"{dataset.name or 'images'} x{len(angles)} rotations",
        )
    return RotatedClasses(dataset, angles, labels_of(dataset))


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def image_folder(path, image_size: int = 28, channels: int = 1, invert: bool = False):
    """A folder of your own images as a labelled dataset: ``path/<class name>/<image file>``.

    Returns a :class:`torchvision.datasets.ImageFolder` that resizes every image to ``image_size`` square,
    converts it to ``channels`` (1 grey or 3 colour) and to a tensor in ``[0, 1]``; ``invert=True`` turns
    dark strokes on a light background (scans, Omniglot's files) into light on dark, like Glyphs. Raises a
    ``ValueError`` naming the problem if the folder is not one-class-per-subfolder.
    """
    from torchvision import datasets, transforms

    root = Path(path).expanduser()
    if not root.is_dir():
        raise ValueError(f"path {str(path)!r} is not a folder; expected a folder with one subfolder per class")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels!r}")
    checks.positive_int("image_size", image_size)
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
    if not subdirs:
        hint = f" (it holds images such as {loose[0]!r} directly)" if loose else ""
        raise ValueError(f"folder {str(path)!r} has no class subfolders{hint}; expected one subfolder per class, "
                         "e.g. path/cat/1.png, path/dog/1.png")
    empty = [p.name for p in subdirs
             if not any(f.suffix.lower() in _IMAGE_SUFFIXES for f in p.rglob("*") if f.is_file())]
    if empty:
        raise ValueError(f"folder {str(path)!r} is not one-class-per-subfolder: class subfolder(s) "
                         f"{empty[:5]} hold no images ({', '.join(_IMAGE_SUFFIXES)})")
    steps = [transforms.Grayscale(channels) if channels == 1 else transforms.Lambda(lambda im: im.convert("RGB")),
             transforms.Resize((image_size, image_size), antialias=True), transforms.ToTensor()]
    if invert:
        steps.append(transforms.Lambda(lambda x: 1.0 - x))
    return datasets.ImageFolder(str(root), transform=transforms.Compose(steps))


def has_splits(spec: str) -> bool:
    """Whether ``spec`` is ``folder:<path>`` with ``background/`` and ``evaluation/`` subfolders."""
    if not isinstance(spec, str) or not spec.startswith("folder:"):
        return False
    path = Path(spec[len("folder:"):]).expanduser()
    return (path / "background").is_dir() and (path / "evaluation").is_dir()


def _omniglot_groups(dataset) -> torch.Tensor:
    """The alphabet of each torchvision Omniglot character (its class names are ``alphabet/character``)."""
    alphabets = [name.split("/")[0] for name in dataset._characters]
    ids = {a: i for i, a in enumerate(dict.fromkeys(alphabets))}
    return torch.tensor([ids[a] for a in alphabets])


def load_data(spec: str, split: str = "background", image_size: int = 28, seed: int = 0, invert: bool = False):
    """A labelled image set by name: one switch for the notebook and the command line.

    ``spec``:

    - ``"glyphs"``: the offline procedural Omniglot (``split`` ``"background"`` for training,
      ``"evaluation"`` for testing; see :func:`tlearn.data.glyphs`);
    - ``"omniglot"``: torchvision's Omniglot, background or evaluation alphabets, downloaded once into the
      cache folder by :func:`tlearn.data.real.load_real` (``.groups`` is set to each character's alphabet,
      for within-alphabet episodes);
    - ``"folder:<path>"``: an ``ImageFolder`` of your own images (:func:`image_folder`; ``invert`` for
      dark-on-light scans). If ``<path>`` holds ``background/`` and ``evaluation/`` subfolders, ``split``
      picks one; otherwise the folder itself is used whatever ``split`` says.
    """
    if split not in ("background", "evaluation"):
        raise ValueError(f"split must be 'background' (training classes) or 'evaluation' (test classes), "
                         f"got {split!r}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string such as 'glyphs', 'omniglot' or 'folder:/path', "
                        f"got {type(spec).__name__}")
    if spec == "glyphs":
        from .glyphs import glyphs

        return glyphs(split, image_size=image_size, seed=seed)
    if spec == "omniglot":
        from .real import load_real

        dataset = load_real("omniglot", train=split == "background", image_size=image_size)
        dataset.groups = _omniglot_groups(dataset)
        return dataset
    if spec.startswith("folder:"):
        path = Path(spec[len("folder:"):]).expanduser()
        return image_folder(path / split if has_splits(spec) else path, image_size=image_size, invert=invert)
    raise ValueError(f"unknown dataset {spec!r}; use 'glyphs' (offline default), 'omniglot' or 'folder:<path>'")
