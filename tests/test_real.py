"""The real-data path: no test downloads; a missing network fails fast with the offline default named."""

import socket
import time

import pytest

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
