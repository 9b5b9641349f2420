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
    "omniglot": RealDataset("Omniglot", "raw.githubusercontent.com", 1, "glyphs",
                            "Lake et al. 2015: 1,623 characters of 50 alphabets, 20 drawers each"),
    "mnist": RealDataset("MNIST", "ossci-datasets.s3.amazonaws.com", 1, "handdigits",
                         "70,000 handwritten digits"),
    "usps": RealDataset("USPS", "www.csie.ntu.edu.tw", 1, "handdigits", "9,298 postal-code digits, 16x16"),
    "svhn": RealDataset("SVHN", "ufldl.stanford.edu", 3, "syndigits",
                        "house numbers from Street View, 32x32 colour"),
    "cifar10": RealDataset("CIFAR10", "www.cs.toronto.edu", 3, "syndigits",
                           "60,000 32x32 colour images of 10 object classes"),
}
PRETRAINED = {"resnet18": ("resnet18", "ResNet18_Weights"), "resnet50": ("resnet50", "ResNet50_Weights")}
WEIGHTS_HOST = "download.pytorch.org"
NETWORK_TIMEOUT = 3.0


def require_network(host: str, offline_default: str, timeout: float = NETWORK_TIMEOUT) -> None:
    """Raise :class:`OfflineError` quickly if ``host`` cannot be reached."""
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
            f"{cache_dir() / 'real'} and pass download=False."
        )


def load_real(name: str, train: bool = True, image_size: int = 28, root: str | Path | None = None,
              download: bool = True):
    """A torchvision dataset from the registry, resized to ``image_size`` and as tensors in ``[0, 1]``.

    The result is the torchvision dataset itself (so every sampler sees its labels without decoding an
    image), with a transform that resizes and converts to a tensor.
    """
    import torchvision
    from torchvision import transforms as T

    key = name.lower()
    if key not in REGISTRY:
        raise ValueError(f"unknown real dataset {name!r}; known: {', '.join(sorted(REGISTRY))}")
    entry = REGISTRY[key]
    root = Path(root) if root is not None else cache_dir() / "real"
    root.mkdir(parents=True, exist_ok=True)
    transform = T.Compose([T.Resize((image_size, image_size)), T.ToTensor()])
    cls = getattr(torchvision.datasets, entry.torchvision_name)
    if download and not _already_there(root, entry):
        require_network(entry.host, entry.offline_default)
    if key == "omniglot":
        # torchvision's Omniglot has black ink on white; invert so that 1 = ink, as in Glyphs
        transform = T.Compose([T.Resize((image_size, image_size)), T.ToTensor(), T.Lambda(lambda x: 1 - x)])
        return cls(str(root), background=train, transform=transform, download=download)
    if key == "svhn":
        return cls(str(root), split="train" if train else "test", transform=transform, download=download)
    return cls(str(root), train=train, transform=transform, download=download)


def _already_there(root: Path, entry: RealDataset) -> bool:
    folder = root / entry.torchvision_name
    candidates = [folder, root / entry.torchvision_name.lower(), root / "omniglot-py", root / "cifar-10-batches-py"]
    return any(p.exists() and any(p.iterdir()) for p in candidates if p.is_dir())


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
