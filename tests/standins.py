"""Stand-ins for the real datasets, written to disk in the layout the real files have under
``$TLEARN_CACHE/real`` (torchvision's), so that the real-data paths read them as they would read the real
files, with nothing downloaded.

Each writer takes images from one of tlearn's generated worlds (SynDigits, HandDigits, Glyphs), so that a
notebook run on a stand-in meets data with the statistics its claims were made on, and returns what it
wrote (counts), for a test to check that the notebook read exactly those files.

- :func:`write_mnist`: ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (idx files, 28x28 uint8,
  white digits on black);
- :func:`write_usps`: ``usps.bz2`` and ``usps.t.bz2`` (bzip2 text, one digit a line: ``label i:value ...``,
  label 1-10, 256 values in [-1, 1], 16x16, as the LIBSVM copy torchvision downloads);
- :func:`write_svhn`: ``{train,test}_32x32.mat`` (``X`` [32, 32, 3, N] uint8, ``y`` [N, 1] with 0 as 10);
- :func:`write_cifar10`: ``cifar-10-batches-py/{data_batch_1..5,test_batch}`` (pickled dicts);
- :func:`write_omniglot`: ``omniglot-py/images_{background,evaluation}/<alphabet>/<character>/*.png``
  (dark ink on white, as the scans);
- :func:`write_image_folder`: ``<root>/<class>/*.png``, a folder of your own images;
- :func:`write_resnet_weights`: torch.hub's ``checkpoints/resnet18-f37072fd.pth``, the file torchvision
  reads for ``ResNet18_Weights.IMAGENET1K_V1``, holding a ResNet-18 pretrained here on coloured SynDigits:
  a stand-in for ImageNet that, like ImageNet for CIFAR-10, is a large labelled source related to the target.
"""

from __future__ import annotations

import bz2
import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def _resized(images: torch.Tensor, size: int) -> torch.Tensor:
    """Grey images ``[N, 1, H, W]`` in [0, 1] at ``size x size`` (bilinear, antialiased)."""
    images = images[:, :1].float()
    if images.shape[-2:] != (size, size):
        images = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return images.clamp(0, 1)


def _labels(dataset) -> torch.Tensor:
    return torch.as_tensor(dataset.targets).long()


def write_mnist(real: Path, train, test) -> dict[str, int]:
    """``train`` and ``test`` (image sets with ``.images`` [N, 1, H, W], ink 1, and ``.targets`` 0-9) as MNIST's
    four idx files under ``real/MNIST/raw``. Returns the number of images per split."""
    raw = Path(real) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    counts = {}
    for prefix, dataset in (("train", train), ("t10k", test)):
        pixels = (255 * _resized(dataset.images, 28)).round().to(torch.uint8).numpy()
        n = len(pixels)
        header = (2051).to_bytes(4, "big") + n.to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header + pixels.tobytes())
        labels = _labels(dataset).numpy().astype(np.uint8)
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            (2049).to_bytes(4, "big") + n.to_bytes(4, "big") + labels.tobytes()
        )
        counts["train" if prefix == "train" else "test"] = n
    return counts


def write_usps(real: Path, train, test) -> dict[str, int]:
    """``train`` and ``test`` as USPS's ``usps.bz2`` and ``usps.t.bz2`` under ``real``: 16x16, each pixel
    ``2 x - 1`` (ink +1), labels 1-10 for the digits 0-9. Returns the number of images per split."""
    Path(real).mkdir(parents=True, exist_ok=True)
    counts = {}
    for fname, dataset in (("usps.bz2", train), ("usps.t.bz2", test)):
        values = (2 * _resized(dataset.images, 16) - 1).flatten(1).numpy()
        rows = [
            f"{label + 1} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row))
            for label, row in zip(_labels(dataset).tolist(), values)
        ]
        (Path(real) / fname).write_bytes(bz2.compress("\n".join(rows).encode()))
        counts["train" if fname == "usps.bz2" else "test"] = len(rows)
    return counts


def write_svhn(real: Path, split: str, images: np.ndarray, labels) -> int:
    """``images`` [N, 32, 32, 3] uint8 and ``labels`` 0-9 as SVHN's ``<split>_32x32.mat`` (SVHN writes the digit
    0 as 10). Returns N."""
    from scipy.io import savemat

    Path(real).mkdir(parents=True, exist_ok=True)
    y = np.asarray(labels, dtype=np.uint8).reshape(-1, 1)
    savemat(Path(real) / f"{split}_32x32.mat", {"X": images.transpose(1, 2, 3, 0), "y": np.where(y == 0, 10, y)})
    return len(images)


def write_cifar10(real: Path, batches: dict[str, tuple[np.ndarray, list[int]]]) -> int:
    """``batches`` (file name -> (images [N, 32, 32, 3] uint8, labels)) as CIFAR-10's pickled batches in
    ``real/cifar-10-batches-py`` (rows of 3072 bytes: the red plane, then green, then blue). Returns the
    number of images written."""
    folder = Path(real) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for fname, (images, labels) in batches.items():
        data = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)
        (folder / fname).write_bytes(pickle.dumps({"data": data, "labels": list(labels)}))
        n += len(images)
    return n


def cifar10_batches(images: torch.Tensor, labels: torch.Tensor, test_images: torch.Tensor, test_labels) -> dict:
    """RGB images ``[N, 3, 32, 32]`` in [0, 1] and their labels as :func:`write_cifar10`'s batches: the
    training images dealt into ``data_batch_1`` .. ``data_batch_5``, the test images into ``test_batch``."""

    def uint8(x: torch.Tensor) -> np.ndarray:
        return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()

    parts = torch.arange(len(images)).chunk(5)
    batches = {f"data_batch_{i + 1}": (uint8(images[idx]), labels[idx].tolist()) for i, idx in enumerate(parts)}
    batches["test_batch"] = (uint8(test_images), torch.as_tensor(test_labels).tolist())
    return batches


def write_resnet_weights(torch_home: Path, source, epochs: int = 4, seed: int = 0) -> Path:
    """Train a ResNet-18 on ``source`` (an RGB ImageSet) for ``epochs`` passes with tlearn's training loop,
    fed as :class:`tlearn.imagenet.ImageNetBackbone` feeds it (ImageNet's channel normalisation), and save it
    where torch.hub keeps ``ResNet18_Weights.IMAGENET1K_V1`` under ``torch_home``: torchvision's state dict,
    the trained head in the first rows of its 1000-way layer. About 40 s for 4,000 images on 2 CPU cores."""
    import torchvision

    from tlearn.backbones import Classifier
    from tlearn.imagenet import ImageNetBackbone
    from tlearn.train import fit_classifier

    torch.manual_seed(seed)
    resnet = torchvision.models.resnet18(weights=None)
    model = Classifier(ImageNetBackbone(resnet=resnet), source.n_classes)  # trains resnet's own modules
    fit_classifier(model, source, epochs=epochs, lr=1e-3, batch_size=64, device="cpu", seed=seed, progress=False)
    with torch.no_grad():
        resnet.fc.weight[: source.n_classes] = model.head.weight
        resnet.fc.bias[: source.n_classes] = model.head.bias
    state = resnet.state_dict()
    url = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url
    path = Path(torch_home) / "hub" / "checkpoints" / Path(url).name
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def _save_ink(ink: torch.Tensor, path: Path, dark: bool = True) -> None:
    """One grey image (1 is ink) as a PNG: dark ink on white (a scan's polarity), or light on black."""
    from PIL import Image

    ink = ink.clamp(0, 1).numpy()
    Image.fromarray(np.round(255 * (1 - ink if dark else ink)).astype(np.uint8)).save(path)


def write_omniglot(
    real: Path, split: str, glyphs, alphabets: int | None = None, characters_per_alphabet: int | None = None
) -> int:
    """The Glyphs set ``glyphs`` as Omniglot's extracted folders
    ``real/omniglot-py/images_<split>/<alphabet>/<character>/*.png`` (``split``: ``"background"`` or
    ``"evaluation"``), dark ink on white as the real scans, every drawing of the first ``alphabets``
    alphabets and of the first ``characters_per_alphabet`` characters of each (None: all). Glyphs is
    calibrated against Omniglot, so the pixel statistics are those of a calibrated world. Returns the
    number of files written."""
    folder = Path(real) / "omniglot-py" / f"images_{split}"
    n = 0
    for a in range(len(glyphs.alphabet_names))[:alphabets]:
        for c in glyphs.characters_of(a)[:characters_per_alphabet].tolist():
            character = folder / f"Alphabet_{a:02d}" / f"character{c:03d}"
            character.mkdir(parents=True)
            for d, i in enumerate(torch.nonzero(glyphs.targets == c).flatten().tolist()):
                _save_ink(glyphs.images[i, 0], character / f"{c:04d}_{d:02d}.png")
                n += 1
    return n


def write_image_folder(root: Path, dataset, classes, dark: bool = False) -> int:
    """The images of ``classes`` (class ids of ``dataset``) as ``root/<class name>/*.png``: light ink on black,
    as tlearn reads a folder by default, or with ``dark`` dark ink on white (a scan's polarity, read with
    ``invert=True``). Returns the number of files written."""
    n = 0
    for c in classes:
        folder = Path(root) / f"class_{c:04d}"
        folder.mkdir(parents=True)
        for d, i in enumerate(torch.nonzero(_labels(dataset) == c).flatten().tolist()):
            _save_ink(dataset.images[i, 0], folder / f"{d:02d}.png", dark=dark)
            n += 1
    return n
