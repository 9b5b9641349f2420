"""The training loop: it learns, it is reproducible, and its accuracy is the plain definition."""

import pytest
import torch
import torch.nn as nn

from tlearn.train import History, count_parameters, evaluate, fit, get_device, predict


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.randn(n, 2, generator=g) * 0.3 + torch.tensor([[0.0, 2.0], [2.0, 0.0], [-2.0, -2.0]])[y]
    return X, y


def test_fit_learns_and_is_reproducible():
    X, y = blobs()
    runs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = nn.Linear(2, 3)
        hist = fit(model, (X, y), epochs=15, lr=0.05, batch_size=32, seed=0, progress=False, val=(X, y))
        runs.append((hist, model.weight.detach().clone()))
    hist = runs[0][0]
    assert isinstance(hist, History) and len(hist["loss"]) == 15 and len(hist["val_acc"]) == 15
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert hist.last("val_acc") > 0.95
    assert torch.equal(runs[0][1], runs[1][1]) and runs[0][0]["loss"] == runs[1][0]["loss"]


def test_evaluate_is_accuracy_by_definition():
    X = torch.randn(50, 4)
    y = torch.randint(0, 3, (50,))
    model = nn.Linear(4, 3)
    logits = model(X)
    want = (logits.argmax(1) == y).float().mean().item()
    assert evaluate(model, (X, y), batch_size=7) == pytest.approx(want)
    assert torch.allclose(predict(model, X, batch_size=7), logits, atol=1e-6)


def test_fit_bad_input():
    X, y = blobs(20)
    with pytest.raises(ValueError, match="integer class ids"):
        fit(nn.Linear(2, 3), (X, y.float()), epochs=1, progress=False)
    with pytest.raises(ValueError, match="same length"):
        fit(nn.Linear(2, 3), (X, y[:5]), epochs=1, progress=False)
    frozen = nn.Linear(2, 3).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(frozen, (X, y), epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(nn.Linear(2, 3), (X, y), epochs=0)


def test_device_and_parameter_count():
    assert get_device("cpu").type == "cpu"
    assert get_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="device must be"):
        get_device("tpu9")
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    m[0].requires_grad_(False)
    assert count_parameters(m) == 16 + 10 and count_parameters(m, trainable_only=True) == 10
