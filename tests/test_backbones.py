"""Backbones: output sizes match .out_features, padding never leaks into the GRU, bad shapes are named."""

import pytest
import torch

from tlearn.backbones import Classifier, Conv4, GRUEncoder, ResNet, TorchvisionBackbone


@pytest.mark.parametrize("size, features", [(28, 64), ((28, 56), 192), (32, 64 * 4), (84, 64 * 25)])
def test_conv4_out_features(size, features):
    h, w = (size, size) if isinstance(size, int) else size
    net = Conv4(image_size=size)
    assert net(torch.rand(2, 1, h, w)).shape == (2, features) and net.out_features == features


def test_conv4_is_the_standard_encoder():
    net = Conv4()
    assert len(net.blocks) == 4
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64] * 4 and all(c.kernel_size == (3, 3) for c in convs)


def test_conv4_rejects_images_it_cannot_take():
    with pytest.raises(ValueError, match="image_size=8 is too small for Conv4"):
        Conv4(image_size=8)
    with pytest.raises(ValueError, match=r"expects images of shape \[B, 1, 28, 28\], got \[2, 3, 28, 28\]"):
        Conv4()(torch.rand(2, 3, 28, 28))


def test_resnet_is_residual_and_size_agnostic():
    net = ResNet(widths=(8, 16), blocks_per_stage=2)
    assert net(torch.rand(3, 1, 28, 28)).shape == (3, 16)
    assert net(torch.rand(3, 1, 40, 40)).shape == (3, 16) and net.out_features == 16
    # a block whose body outputs zero is the identity (after ReLU) on non-negative input
    block = net.stages[0][1]
    for p in block.body[-1].parameters():
        torch.nn.init.zeros_(p)
    x = torch.rand(2, 8, 5, 5)
    assert torch.allclose(block.eval()(x), x)
    with pytest.raises(ValueError, match="at least 8x8"):
        net(torch.rand(1, 1, 4, 4))


@pytest.mark.parametrize("pool", ["last", "mean"])
def test_gru_padding_does_not_leak(pool):
    torch.manual_seed(0)
    enc = GRUEncoder(input_size=3, hidden_size=16, pool=pool)
    seqs = [torch.randn(n, 3) for n in (5, 9, 2)]
    padded = torch.zeros(3, 9, 3)
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    padded[0, 5:] = 100.0  # garbage after the end must not matter
    batch = enc(padded, torch.tensor([5, 9, 2]))
    for i, s in enumerate(seqs):
        out, h = enc.gru(s[None])
        want = h[-1, 0] if pool == "last" else out[0].mean(0)
        assert torch.allclose(batch[i], want, atol=1e-5)
    with pytest.raises(ValueError, match="lengths"):
        enc(padded, torch.tensor([5, 10, 2]))
    with pytest.raises(ValueError, match=r"expects sequences \[B, T, 3\]"):
        enc(torch.zeros(2, 4, 2))


def test_torchvision_adapter_and_classifier():
    net = TorchvisionBackbone("resnet18")
    assert net.out_features == 512
    clf = Classifier(net, 7).eval()
    assert clf(torch.rand(1, 3, 32, 32)).shape == (1, 7)
    with pytest.raises(ValueError, match="RGB"):
        net(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="weights must be None or 'imagenet'"):
        TorchvisionBackbone("resnet18", weights="places")
    with pytest.raises(TypeError, match="out_features"):
        Classifier(torch.nn.ReLU(), 2)
