"""Labelled image sets from folders and by name, and rotations as new classes.

- :func:`image_folder`: a folder of your own images, one subfolder per class;
- :func:`load_data`: ``"glyphs"``, ``"omniglot"`` or ``"folder:<path>"`` by name, the one switch of
  notebook 05 and of ``python -m tlearn.fewshot``;
- :func:`rotate_classes`: rotations by multiples of 90 degrees as new classes, the Omniglot papers'
  augmentation;
- :func:`in_memory`: any labelled image dataset decoded once into an :class:`~tlearn.data.ImageSet`.

**Memory or disk.** A folder (and Omniglot's folders) is decoded once, every file opened a single time,
into an ``ImageSet`` in memory whenever the decoded images fit ``memory_budget`` bytes (default
:data:`MEMORY_BUDGET`, 1 GB: 20,000 Omniglot images at 28x28 take 63 MB). Training then indexes one
tensor, as fast as on Glyphs, and :func:`rotate_classes` is one ``torch.rot90`` per angle. Above the
budget the folder stays on disk (:class:`FolderImages`) and each episode's images are decoded as they are
drawn, by a pool of threads. Either way an unreadable file is a ``ValueError`` that names it.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from .. import checks

__all__ = [
    "MEMORY_BUDGET",
    "FolderImages",
    "RotatedClasses",
    "decoded_bytes",
    "has_splits",
    "image_folder",
    "images_of",
    "in_memory",
    "load_data",
    "rotate_classes",
]

MEMORY_BUDGET = 1e9  # bytes of decoded float32 images below which a folder is held in memory
_THREADS = min(8, max(4, os.cpu_count() or 1))  # decoding waits on files too: 4 threads beat 2 on 2 cores


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
        base_classes = list(getattr(base, "classes", None) or range(self.n_base_classes))
        self.classes = [f"{c}@{a}" for a in self.angles for c in base_classes]
        self.group_names = list(getattr(base, "group_names", None) or [])

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        r, j = divmod(int(i), len(self.base))
        image, _ = self.base[j]
        return torch.rot90(image, self.angles[r] // 90, dims=(-2, -1)), int(self.targets[i])

    def fetch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels for many indices, decoded by the base set's own ``fetch`` where it has one."""
        index = torch.as_tensor(indices, dtype=torch.long)
        rot, base_index = index // len(self.base), index % len(self.base)
        if hasattr(self.base, "fetch"):
            images = self.base.fetch(base_index)[0]
        else:
            images = torch.stack([torch.as_tensor(self.base[int(j)][0]) for j in base_index])
        out = torch.stack([torch.rot90(im, self.angles[r] // 90, dims=(-2, -1)) for im, r in zip(images, rot.tolist())])
        return out, self.targets[index]


def rotate_classes(dataset, angles=(0, 90, 180, 270)):
    """Rotations as new classes, the augmentation of the Omniglot papers (Santoro et al. 2016, Vinyals et al.
    2016, Snell et al. 2017): a character rotated by 90 degrees is treated as a different character,
    multiplying the training classes by ``len(angles)``.

    An :class:`tlearn.data.ImageSet` (what :func:`image_folder` returns when the folder fits in memory)
    comes back as an ``ImageSet``, rotated as one tensor per angle; class names become ``name@angle`` and
    groups are kept (a rotated character stays in its alphabet). Any other dataset (a folder above the
    memory budget, torchvision's Omniglot) is wrapped lazily in :class:`RotatedClasses`, image for image
    the same.
    """
    from ..samplers import labels_of
    from .base import ImageSet

    angles = tuple(angles)
    if (
        not angles
        or any((not isinstance(a, int)) or a % 90 for a in angles)
        or len({a % 360 for a in angles}) != len(angles)
    ):
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
            groups=groups,
            group_names=list(dataset.group_names),
            name=f"{dataset.name or 'images'} x{len(angles)} rotations",
        )
    return RotatedClasses(dataset, angles, labels_of(dataset))


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def _decode(path, image_size: int, channels: int, invert: bool) -> torch.Tensor:
    """One file as a float tensor ``[channels, image_size, image_size]`` in ``[0, 1]`` (bilinear, antialiased,
    as torchvision's ``Resize`` on an image); a file that cannot be read is a ``ValueError`` naming it."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if img.size != (image_size, image_size):
                img = img.resize((image_size, image_size), Image.BILINEAR)
            array = np.asarray(img, dtype=np.uint8)
    except Exception as err:  # PIL raises several types for a broken file
        raise ValueError(
            f"cannot read image file {str(path)!r} ({type(err).__name__}: {err}); "
            "remove it or replace it with a readable image"
        ) from err
    x = torch.from_numpy(array.copy()).float().div_(255)
    x = x[None] if x.dim() == 2 else x.permute(2, 0, 1)
    return 1.0 - x if invert else x


class FolderImages(torch.utils.data.Dataset):
    """A folder of images ``root/<class>/<file>`` read from disk on access: ``.targets``, ``.classes``,
    ``.samples`` (path, label), as torchvision's ``ImageFolder``. ``fetch`` decodes many files at once on
    a pool of threads (the samplers' path); :func:`image_folder` returns one only above its memory budget."""

    def __init__(self, root, image_size: int = 28, channels: int = 1, invert: bool = False):
        self.root = Path(root)
        self.image_size, self.channels, self.invert = image_size, channels, invert
        self.classes = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = [
            (str(f), y)
            for y, c in enumerate(self.classes)
            for f in sorted((self.root / c).rglob("*"))
            if f.is_file() and f.suffix.lower() in _IMAGE_SUFFIXES
        ]
        self.targets = torch.tensor([y for _, y in self.samples], dtype=torch.long)
        self.groups, self.group_names, self.name = None, [], self.root.name
        self._pool = None

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[int(i)]
        return _decode(path, self.image_size, self.channels, self.invert), label

    def fetch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels for many indices, decoded in parallel threads."""
        index = torch.as_tensor(indices, dtype=torch.long)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_THREADS)
        paths = [self.samples[i][0] for i in index.tolist()]
        images = self._pool.map(lambda p: _decode(p, self.image_size, self.channels, self.invert), paths)
        return torch.stack(list(images)), self.targets[index]

    def __getstate__(self):  # a DataLoader worker gets the list of files, not the thread pool
        return {**self.__dict__, "_pool": None}

    def __repr__(self) -> str:
        return f"{self.name} (on disk): {len(self)} images, {len(self.classes)} classes"


def decoded_bytes(n_images: int, image_shape) -> int:
    """Memory of ``n_images`` decoded float32 images of shape ``image_shape`` (C, H, W), in bytes."""
    return int(n_images) * int(np.prod(image_shape)) * 4


def in_memory(dataset, name: str = "", progress: bool = True, workers: int = _THREADS):
    """Any labelled image dataset decoded once into an :class:`~tlearn.data.ImageSet`, with a progress bar.

    Labels come from :func:`tlearn.samplers.labels_of`; ``classes``, ``groups`` (one per class) and
    ``group_names`` are kept when the dataset has them. Images are decoded by ``workers`` threads through
    the dataset's ``fetch`` if it has one, else one ``dataset[i]`` at a time.
    """
    from tqdm.auto import tqdm

    from ..samplers import labels_of
    from .base import ImageSet

    if isinstance(dataset, ImageSet):
        return dataset
    labels = labels_of(dataset)
    chunk = 256
    disable = not progress or bool(os.environ.get("TLEARN_NO_PROGRESS"))
    parts = []
    pool = ThreadPoolExecutor(max(1, workers)) if not hasattr(dataset, "fetch") else None
    with tqdm(
        total=len(labels), desc=f"decoding {name or type(dataset).__name__}", unit="img", disable=disable, leave=False
    ) as bar:
        for start in range(0, len(labels), chunk):
            index = torch.arange(start, min(start + chunk, len(labels)))
            if hasattr(dataset, "fetch"):
                parts.append(dataset.fetch(index)[0])
            else:
                parts.append(
                    torch.stack([torch.as_tensor(x) for x in pool.map(lambda i: dataset[i][0], index.tolist())])
                )
            bar.update(len(index))
    if pool is not None:
        pool.shutdown()
    groups = getattr(dataset, "groups", None)
    return ImageSet(
        images=torch.cat(parts),
        targets=labels,
        classes=list(getattr(dataset, "classes", None) or []),
        groups=None if groups is None else torch.as_tensor(groups),
        group_names=list(getattr(dataset, "group_names", None) or []),
        name=name,
    )


def _fits(n_images: int, image_shape, memory_budget: float) -> bool:
    return decoded_bytes(n_images, image_shape) <= memory_budget


def image_folder(
    path,
    image_size: int = 28,
    channels: int = 1,
    invert: bool = False,
    memory_budget: float = MEMORY_BUDGET,
    progress: bool = True,
):
    """A folder of your own images as a labelled dataset: ``path/<class name>/<image file>``.

    Every image is resized to ``image_size`` square, converted to ``channels`` (1 grey or 3 colour) and to
    a tensor in ``[0, 1]``; ``invert=True`` turns dark strokes on a light background (scans, Omniglot's
    files) into light on dark, like Glyphs. Class ids follow the sorted subfolder names (``.classes``).

    If the decoded images fit ``memory_budget`` bytes (default :data:`MEMORY_BUDGET`, 1 GB; they take
    ``4 * channels * image_size**2`` bytes each), each file is decoded once, with a progress bar, and an
    :class:`~tlearn.data.ImageSet` comes back; otherwise a :class:`FolderImages` that decodes on access.
    Raises a ``ValueError`` naming the problem if the folder is not one-class-per-subfolder, or naming the
    file that cannot be read.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ValueError(f"path {str(path)!r} is not a folder; expected a folder with one subfolder per class")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels!r}")
    checks.positive_int("image_size", image_size)
    checks.number("memory_budget", memory_budget, non_negative=True)
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
    if not subdirs:
        hint = f" (it holds images such as {loose[0]!r} directly)" if loose else ""
        raise ValueError(
            f"folder {str(path)!r} has no class subfolders{hint}; expected one subfolder per class, "
            "e.g. path/cat/1.png, path/dog/1.png"
        )
    empty = [
        p.name for p in subdirs if not any(f.suffix.lower() in _IMAGE_SUFFIXES for f in p.rglob("*") if f.is_file())
    ]
    if empty:
        raise ValueError(
            f"folder {str(path)!r} is not one-class-per-subfolder: class subfolder(s) "
            f"{empty[:5]} hold no images ({', '.join(_IMAGE_SUFFIXES)})"
        )
    lazy = FolderImages(root, image_size=image_size, channels=channels, invert=invert)
    if not _fits(len(lazy), (channels, image_size, image_size), memory_budget):
        return lazy
    return in_memory(lazy, name=root.name, progress=progress)


def has_splits(spec: str) -> bool:
    """Whether ``spec`` is ``folder:<path>`` with ``background/`` and ``evaluation/`` subfolders."""
    if not isinstance(spec, str) or not spec.startswith("folder:"):
        return False
    path = Path(spec[len("folder:") :]).expanduser()
    return (path / "background").is_dir() and (path / "evaluation").is_dir()


def _omniglot_groups(dataset) -> torch.Tensor:
    """The alphabet of each torchvision Omniglot character (its class names are ``alphabet/character``)."""
    alphabets = [name.split("/")[0] for name in dataset._characters]
    ids = {a: i for i, a in enumerate(dict.fromkeys(alphabets))}
    return torch.tensor([ids[a] for a in alphabets])


def load_data(
    spec: str,
    split: str = "background",
    image_size: int = 28,
    seed: int = 0,
    invert: bool = False,
    memory_budget: float = MEMORY_BUDGET,
    progress: bool = True,
):
    """A labelled image set by name: one switch for the notebook and the command line.

    ``spec``:

    - ``"glyphs"``: the offline procedural Omniglot (``split`` ``"background"`` for training,
      ``"evaluation"`` for testing; see :func:`tlearn.data.glyphs`);
    - ``"omniglot"``: Omniglot's background or evaluation alphabets, downloaded once into the cache folder
      by :func:`tlearn.data.real.load_real` (``.groups`` is each character's alphabet, for within-alphabet
      episodes), decoded once into memory when it fits ``memory_budget`` (it does at any usual size);
    - ``"folder:<path>"``: a folder of your own images (:func:`image_folder`, with ``memory_budget``;
      ``invert`` for dark-on-light scans). If ``<path>`` holds ``background/`` and ``evaluation/``
      subfolders, ``split`` picks one; otherwise the folder itself is used whatever ``split`` says.
    """
    if split not in ("background", "evaluation"):
        raise ValueError(f"split must be 'background' (training classes) or 'evaluation' (test classes), got {split!r}")
    if not isinstance(spec, str):
        raise TypeError(
            f"spec must be a string such as 'glyphs', 'omniglot' or 'folder:/path', got {type(spec).__name__}"
        )
    if spec == "glyphs":
        from .glyphs import glyphs

        return glyphs(split, image_size=image_size, seed=seed)
    if spec == "omniglot":
        from .real import load_real

        dataset = load_real("omniglot", train=split == "background", image_size=image_size)
        dataset.groups = _omniglot_groups(dataset)
        if not _fits(len(dataset), (1, image_size, image_size), memory_budget):
            return dataset
        return in_memory(dataset, name=f"Omniglot {split}", progress=progress)
    if spec.startswith("folder:"):
        path = Path(spec[len("folder:") :]).expanduser()
        return image_folder(
            path / split if has_splits(spec) else path,
            image_size=image_size,
            invert=invert,
            memory_budget=memory_budget,
            progress=progress,
        )
    raise ValueError(f"unknown dataset {spec!r}; use 'glyphs' (offline default), 'omniglot' or 'folder:<path>'")
