"""The real-data path: no test downloads; a missing network fails fast with the offline default named."""

import socket
import time

import pytest
import torch
from standins import write_cifar10, write_mnist, write_svhn, write_usps

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
    """Each stand-in writer's files, read back by the real loader: the same labels, the same pixels (up to
    each format's rounding), nothing downloaded."""
    import numpy as np

    from tlearn.data import hand_digits

    real = tmp_path / "real"
    digits = hand_digits(28).subset(range(12))
    assert write_mnist(real, digits.subset(range(6)), digits.subset(range(6, 12))) == {"train": 6, "test": 6}
    mnist = load("mnist", train=False)
    assert len(mnist) == 6 and mnist.targets.tolist() == digits.targets[6:].tolist()
    assert mnist[0][0].shape == (1, 28, 28) and torch.allclose(mnist[0][0], digits.images[6], atol=0.5 / 255 + 1e-6)

    small = hand_digits(16).subset(range(4))
    assert write_usps(real, small, small.subset(range(2))) == {"train": 4, "test": 2}
    usps = load("usps")  # torchvision reads 16x16 and stores (v + 1) / 2 * 255 as uint8; resized to 28
    assert len(usps) == 4 and list(usps.targets) == small.targets.tolist() and usps[0][0].shape == (1, 28, 28)
    assert len(load("usps", train=False)) == 2
    usps16 = load("usps", image_size=16)
    assert torch.allclose(usps16[1][0], small.images[1], atol=1.5 / 255)

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    assert write_svhn(real, "test", X, [0, 1, 2, 3, 4]) == 5
    svhn = load("svhn", train=False, image_size=32)
    assert svhn.targets.tolist() == [0, 1, 2, 3, 4] and svhn[0][0].shape == (3, 32, 32)
    assert torch.allclose(svhn[2][0], torch.from_numpy(X[2]).permute(2, 0, 1) / 255, atol=1e-6)

    batches = {
        f"data_batch_{i}": (rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8), [7, 8, 9]) for i in range(1, 6)
    }
    batches["test_batch"] = (rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8), [0, 1])
    assert write_cifar10(real, batches) == 17
    cifar = load("cifar10", image_size=32)
    assert len(cifar) == 15 and cifar.targets.tolist()[:3] == [7, 8, 9] and cifar[0][0].shape == (3, 32, 32)
    image = batches["data_batch_2"][0][1]  # the fifth image: the second of the second batch
    assert torch.allclose(cifar[4][0], torch.from_numpy(image).permute(2, 0, 1) / 255, atol=1e-6)
    # present files win over the network check: nothing above tried to connect (no_network would raise)
