"""Real datasets and ImageNet weights, on request.

The course runs offline on generated data by default. Set a notebook's ``DATASET`` parameter to one of
the names below (or call :func:`load_real`) to use the real thing instead; files are downloaded once into
``cache_dir() / "real"`` (move it with ``$TLEARN_CACHE``).

Without a network the download would otherwise hang for minutes inside torchvision. :func:`require_network`
tries a TCP connection with a short timeout first and raises :class:`OfflineError` within seconds, naming
the offline dataset to use instead.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import torch

from .cache import cache_dir


class OfflineError(RuntimeError):
    """Raised when a download is needed and the network is not there."""


@dataclass(frozen=True)
class RealDataset:
    torchvision_name: str
    host: str
    channels: int
    offline_default: str
    note: str


REGISTRY = {
    "omniglot": RealDataset(
        "Omniglot",
        "raw.githubusercontent.com",
        1,
        "glyphs",
        "Lake et al. 2015: 1,623 characters of 50 alphabets, 20 drawers each",
    ),
    "mnist": RealDataset("MNIST", "ossci-datasets.s3.amazonaws.com", 1, "handdigits", "70,000 handwritten digits"),
    "usps": RealDataset("USPS", "www.csie.ntu.edu.tw", 1, "handdigits", "9,298 postal-code digits, 16x16"),
    "svhn": RealDataset("SVHN", "ufldl.stanford.edu", 3, "syndigits", "house numbers from Street View, 32x32 colour"),
    "cifar10": RealDataset(
        "CIFAR10", "www.cs.toronto.edu", 3, "syndigits", "60,000 32x32 colour images of 10 object classes"
    ),
}
PRETRAINED = {"resnet18": ("resnet18", "ResNet18_Weights"), "resnet50": ("resnet50", "ResNet50_Weights")}
WEIGHTS_HOST = "download.pytorch.org"
NETWORK_TIMEOUT = 3.0


def require_network(host: str, offline_default: str, timeout: float = NETWORK_TIMEOUT) -> None:
    """Raise :class:`OfflineError` quickly if ``host`` cannot be reached, or at once if ``$TLEARN_OFFLINE`` is set."""
    if os.environ.get("TLEARN_OFFLINE"):
        reachable = False
    else:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                reachable = True
        except OSError:
            reachable = False
    if not reachable:
        raise OfflineError(
            f"cannot reach {host} to download it (no network?). Use the offline default instead: "
            f"DATASET = {offline_default!r} (tlearn.data.load({offline_default!r})), or copy the files into "
            f"{cache_dir() / 'real'} in torchvision's layout (they are then used as they are)."
        )


def load_real(
    name: str, train: bool = True, image_size: int = 28, root: str | Path | None = None, download: bool = True
):
    """A real dataset from the registry, resized to ``image_size`` and as tensors in ``[0, 1]``.

    Files already on disk under ``root`` (default ``cache_dir() / "real"``) are used as they are, in
    torchvision's own layout, whether torchvision downloaded them or you copied them in; nothing is
    re-verified or downloaded again:

    - Omniglot: ``omniglot-py/images_background/<alphabet>/<character>/*.png`` (``train=True``) and
      ``omniglot-py/images_evaluation/...``, read directly (:class:`OmniglotFolders`; ink is 1);
    - MNIST: ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``;
    - USPS: ``usps.bz2`` and ``usps.t.bz2``;
    - SVHN: ``train_32x32.mat`` and ``test_32x32.mat``;
    - CIFAR-10: ``cifar-10-batches-py/data_batch_{1..5}`` and ``test_batch``.

    Only when the files are missing is torchvision asked to download them; with no network (or with
    ``$TLEARN_OFFLINE`` set) that fails within seconds with :class:`OfflineError`, never a raw ``URLError``.
    The result has ``.targets`` (or ``.labels``), so every sampler reads its labels without decoding an image.
    """
    key = str(name).lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown real dataset {name!r}; known: {', '.join(sorted(REGISTRY))}")
    entry = REGISTRY[key]
    root = Path(root) if root is not None else cache_dir() / "real"
    if not on_disk(key, root, train):
        if not download:
            raise OfflineError(f"{entry.torchvision_name} is not in {root} and download=False. {_hint(entry, root)}")
        _download(key, entry, root, train)
    # imported after the network check, so that offline fails within seconds
    from torchvision import transforms as T

    transform = T.Compose([T.Resize((image_size, image_size), antialias=True), T.ToTensor()])
    if key == "omniglot":
        return OmniglotFolders(
            root / "omniglot-py" / ("images_background" if train else "images_evaluation"), image_size
        )
    if key == "mnist":
        from torchvision.datasets import MNIST

        return MNIST(str(root), train=train, transform=transform, download=False)
    if key == "usps":
        from torchvision.datasets import USPS

        return USPS(str(root), train=train, transform=transform, download=False)
    if key == "svhn":
        return _svhn(root, train, transform)
    return _cifar10(root, train, transform)


_FILES = {  # what must be on disk, per dataset and split (train, test)
    "omniglot": (["omniglot-py/images_background"], ["omniglot-py/images_evaluation"]),
    "mnist": (
        ["MNIST/raw/train-images-idx3-ubyte", "MNIST/raw/train-labels-idx1-ubyte"],
        ["MNIST/raw/t10k-images-idx3-ubyte", "MNIST/raw/t10k-labels-idx1-ubyte"],
    ),
    "usps": (["usps.bz2"], ["usps.t.bz2"]),
    "svhn": (["train_32x32.mat"], ["test_32x32.mat"]),
    "cifar10": ([f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)], ["cifar-10-batches-py/test_batch"]),
}


def on_disk(key: str, root: Path, train: bool) -> bool:
    """Whether the files of one split are already under ``root`` (a folder must hold something)."""
    paths = [Path(root) / p for p in _FILES[key][0 if train else 1]]
    return all(p.is_file() or (p.is_dir() and any(p.iterdir())) for p in paths)


def _hint(entry: RealDataset, root: Path) -> str:
    return (
        f"Use the offline default instead: DATASET = {entry.offline_default!r} "
        f"(tlearn.data.load({entry.offline_default!r})), or copy the files into {root} in torchvision's layout."
    )


def _download(key: str, entry: RealDataset, root: Path, train: bool) -> None:
    """Fetch the files through torchvision (its only job here), turning any network failure into OfflineError."""
    import urllib.error

    require_network(entry.host, entry.offline_default)
    import torchvision

    root.mkdir(parents=True, exist_ok=True)
    cls = getattr(torchvision.datasets, entry.torchvision_name)
    try:
        if key == "omniglot":
            cls(str(root), background=train, download=True)
        elif key == "svhn":
            cls(str(root), split="train" if train else "test", download=True)
        else:
            cls(str(root), train=train, download=True)
    except (urllib.error.URLError, OSError) as err:
        raise OfflineError(f"downloading {entry.torchvision_name} failed ({err}). {_hint(entry, root)}") from err


class OmniglotFolders(torch.utils.data.Dataset):
    """Omniglot's extracted folders ``<split>/<alphabet>/<character>/*.png``, read directly.

    ``targets`` gives each image its character, ``groups`` each character its alphabet (for within-alphabet
    episodes), ``classes`` are ``alphabet/character`` (also as ``_characters``, torchvision's name for them).
    Images are read lazily, resized to ``image_size`` and inverted, so that 1 is ink as in Glyphs.
    """

    def __init__(self, folder: str | Path, image_size: int = 28):
        from torchvision import transforms as T

        self.folder = Path(folder)
        alphabets = sorted(p for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        self.group_names = [a.name for a in alphabets]
        self.classes, groups, self.files, targets = [], [], [], []
        for g, alphabet in enumerate(alphabets):
            for character in sorted(p for p in alphabet.iterdir() if p.is_dir()):
                images = sorted(character.glob("*.png"))
                if not images:
                    continue
                self.classes.append(f"{alphabet.name}/{character.name}")
                groups.append(g)
                self.files += images
                targets += [len(self.classes) - 1] * len(images)
        if not self.files:
            raise ValueError(f"no Omniglot images in {self.folder}; expected <alphabet>/<character>/*.png")
        self._characters = list(self.classes)
        self.groups = torch.tensor(groups)
        self.targets = torch.tensor(targets)
        self.transform = T.Compose(
            [
                T.Grayscale(1),
                T.Resize((image_size, image_size), antialias=True),
                T.ToTensor(),
                T.Lambda(lambda x: 1 - x),
            ]
        )

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image

        with Image.open(self.files[i]) as img:
            return self.transform(img.convert("L")), int(self.targets[i])

    def __repr__(self) -> str:
        return (
            f"Omniglot ({self.folder.name}): {len(self)} images, {len(self.classes)} characters of "
            f"{len(self.group_names)} alphabets"
        )


class ArrayImages(torch.utils.data.Dataset):
    """Images held as a uint8 array ``[N, H, W, C]`` with labels, transformed on access (SVHN, CIFAR-10)."""

    def __init__(self, array, labels, transform, classes=None, name: str = ""):
        self.array, self.targets, self.transform, self.name = array, torch.as_tensor(labels).long(), transform, name
        self.classes = classes or [str(c) for c in range(int(self.targets.max()) + 1)]

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        from PIL import Image

        return self.transform(Image.fromarray(self.array[i])), int(self.targets[i])


def _svhn(root: Path, train: bool, transform) -> ArrayImages:
    from scipy.io import loadmat

    mat = loadmat(str(root / ("train_32x32.mat" if train else "test_32x32.mat")))
    labels = mat["y"].astype("int64").reshape(-1) % 10  # SVHN writes the digit 0 as label 10
    return ArrayImages(mat["X"].transpose(3, 0, 1, 2), labels, transform, name="SVHN")


def _cifar10(root: Path, train: bool, transform) -> ArrayImages:
    import pickle

    import numpy as np

    folder = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    arrays, labels = [], []
    for fname in names:
        with open(folder / fname, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        arrays.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels += list(batch["labels"])
    classes = None
    meta = folder / "batches.meta"
    if meta.is_file():
        with open(meta, "rb") as f:
            classes = pickle.load(f, encoding="latin1").get("label_names")
    return ArrayImages(np.concatenate(arrays), labels, transform, classes, name="CIFAR10")


def pretrained_torchvision(name: str = "resnet18"):
    """An ImageNet-pretrained torchvision model (weights cached by torch.hub), failing fast offline."""
    import torchvision

    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; known: {', '.join(sorted(PRETRAINED))}")
    builder, weights_enum = PRETRAINED[name]
    weights = getattr(torchvision.models, weights_enum).DEFAULT
    hub_file = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if not hub_file.exists():
        require_network(WEIGHTS_HOST, "the package's own pretrained Conv4 (tlearn.pretrain)")
    return getattr(torchvision.models, builder)(weights=weights)
