"""The real-data path: no test downloads; a missing network fails fast with the offline default named."""

import socket
import time

import pytest
import torch

from tlearn.data import OfflineError, load, load_real, pretrained_torchvision
from tlearn.data.real import REGISTRY


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_real_dataset_offline_fails_fast_naming_the_default(no_network, name):
    start = time.perf_counter()
    with pytest.raises(OfflineError, match=f"DATASET = '{REGISTRY[name].offline_default}'"):
        load(name)
    assert time.perf_counter() - start < 5


def test_pretrained_weights_offline(no_network):
    with pytest.raises(OfflineError, match="offline default"):
        pretrained_torchvision("resnet18")


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown real dataset 'emnist'"):
        load_real("emnist")
    with pytest.raises(ValueError, match="unknown pretrained model"):
        pretrained_torchvision("vgg99")


# --- stand-ins written to disk in each dataset's own layout: used as they are, nothing downloaded -------
@pytest.fixture
def offline(no_network, monkeypatch):
    monkeypatch.setenv("TLEARN_OFFLINE", "1")


def _png(path, value):
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((105, 105), value, dtype=np.uint8)).save(path)


def test_omniglot_copied_folders_are_read_directly(offline, tmp_path):
    from tlearn.data.folders import load_data
    from tlearn.data.real import OmniglotFolders
    from tlearn.samplers import EpisodeSampler

    root = tmp_path / "real" / "omniglot-py"
    for split, alphabets in (("images_background", ("Latin", "Greek")), ("images_evaluation", ("Tengwar",))):
        for alphabet in alphabets:
            for c in range(3):
                for d in range(4):
                    _png(root / split / alphabet / f"character{c + 1:02d}" / f"{c}_{d:02d}.png", 255 - 40 * c)
    bg = load("omniglot")
    assert isinstance(bg, OmniglotFolders) and len(bg) == 2 * 3 * 4
    assert bg.group_names == ["Greek", "Latin"] and bg.groups.tolist() == [0, 0, 0, 1, 1, 1]
    assert bg.classes[0] == "Greek/character01" and bg.targets.tolist() == [c for c in range(6) for _ in range(4)]
    image, label = bg[5]
    assert image.shape == (1, 28, 28) and label == 1
    assert torch.allclose(image, torch.full_like(image, 40 / 255), atol=1e-3)  # inverted: 1 is ink
    ev = load_data("omniglot", split="evaluation")
    assert len(ev) == 12 and ev.groups.tolist() == [0, 0, 0]
    episode = next(iter(EpisodeSampler(bg, 3, 1, 2, n_episodes=1, within_groups=True)))
    assert episode.support.shape == (3, 1, 28, 28)


def test_omniglot_without_files_or_network_is_an_offline_error(offline):
    with pytest.raises(OfflineError, match="DATASET = 'glyphs'"):
        load_real("omniglot", train=False)
    with pytest.raises(OfflineError, match="download=False"):
        load_real("omniglot", download=False)


def test_offline_flag_fails_without_trying_the_network(monkeypatch, tmp_path):
    def must_not_connect(*args, **kwargs):
        raise AssertionError("TLEARN_OFFLINE is set: no connection may be tried")

    monkeypatch.setattr(socket, "create_connection", must_not_connect)
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))
    monkeypatch.setenv("TLEARN_OFFLINE", "1")
    with pytest.raises(OfflineError):
        load("mnist")


def test_mnist_usps_svhn_cifar_stand_ins(offline, tmp_path):
    import bz2
    import pickle

    import numpy as np
    from scipy.io import savemat

    real = tmp_path / "real"
    raw = real / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix in ("train", "t10k"):
        n = 6
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            (2051).to_bytes(4, "big")
            + n.to_bytes(4, "big")
            + (28).to_bytes(4, "big")
            + (28).to_bytes(4, "big")
            + (np.arange(n * 28 * 28) % 255).astype(np.uint8).tobytes()
        )
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            (2049).to_bytes(4, "big") + n.to_bytes(4, "big") + bytes(range(n))
        )
    mnist = load("mnist", train=False)
    assert len(mnist) == 6 and mnist.targets.tolist() == list(range(6)) and mnist[0][0].shape == (1, 28, 28)

    rows = [f"{d + 1} " + " ".join(f"{i + 1}:{-1 + 2 * ((i + d) % 7) / 6:.3f}" for i in range(256)) for d in range(4)]
    (real / "usps.bz2").write_bytes(bz2.compress("\n".join(rows).encode()))
    usps = load("usps")
    assert len(usps) == 4 and list(usps.targets) == [0, 1, 2, 3] and usps[0][0].shape == (1, 28, 28)

    X = np.random.default_rng(0).integers(0, 256, size=(32, 32, 3, 5), dtype=np.uint8)
    savemat(real / "test_32x32.mat", {"X": X, "y": np.array([[10], [1], [2], [3], [4]], dtype=np.uint8)})
    svhn = load("svhn", train=False)
    assert svhn.targets.tolist() == [0, 1, 2, 3, 4] and svhn[0][0].shape == (3, 28, 28)

    folder = real / "cifar-10-batches-py"
    folder.mkdir()
    for fname in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": np.random.default_rng(1).integers(0, 256, size=(3, 3072), dtype=np.uint8), "labels": [7, 8, 9]}
        (folder / fname).write_bytes(pickle.dumps(batch))
    cifar = load("cifar10", image_size=32)
    assert len(cifar) == 15 and cifar.targets.tolist()[:3] == [7, 8, 9] and cifar[0][0].shape == (3, 32, 32)
    # present files win over the network check: nothing above tried to connect (no_network would raise)
