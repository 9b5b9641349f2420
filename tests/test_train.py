"""The one training loop: it is plain SGD/Adam by definition, reproducible, and leaves the model ready."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from tlearn.train import (
    Classification,
    History,
    Method,
    count_parameters,
    evaluate,
    fit,
    fit_classifier,
    get_device,
    predict,
    shuffled_batches,
)


def blobs(n=200, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.randn(n, 2, generator=g) * 0.3 + torch.tensor([[0.0, 2.0], [2.0, 0.0], [-2.0, -2.0]])[y]
    return X, y


def test_fit_is_the_plain_loop():
    """fit with SGD and a schedule takes exactly the steps of a hand-written loop on the same batches."""
    X, y = blobs(60)
    data = [(X[i : i + 20], y[i : i + 20]) for i in range(0, 60, 20)]
    torch.manual_seed(1)
    model = nn.Linear(2, 3)
    reference = nn.Linear(2, 3)
    reference.load_state_dict(model.state_dict())
    schedule = lambda p: 1.0 - 0.5 * p  # noqa: E731
    hist = fit(
        Classification(model),
        data,
        steps=5,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        lr_schedule=schedule,
        progress=False,
        device="cpu",
    )
    losses = []
    for step in range(5):  # the finite list is iterated again when it runs out
        xb, yb = data[step % 3]
        loss = F.cross_entropy(reference(xb), yb)
        reference.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in reference.parameters():
                p -= 0.1 * schedule(step / 5) * p.grad
        losses.append(loss.item())
    assert hist["loss"] == pytest.approx(losses, abs=1e-6)
    assert torch.allclose(model.weight, reference.weight, atol=1e-6)
    assert len(hist["train_acc"]) == 5 and hist.steps == 5 and hist.seconds > 0


def test_fit_leaves_eval_mode_on_device_and_passes_progress():
    seen = []

    class Recorder(Method):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))

        def loss(self, batch, progress):
            seen.append((progress, self.training, batch.device.type))
            return self.net(batch).pow(2).mean()

    method = Recorder()
    fit(method, [torch.randn(4, 2)], steps=4, progress=False, device="cpu")
    assert [p for p, _, _ in seen] == [0.0, 0.25, 0.5, 0.75]
    assert all(training for _, training, _ in seen) and {d for _, _, d in seen} == {"cpu"}
    assert not method.training and not method.net[1].training
    assert next(method.parameters()).device.type == "cpu"


def test_fit_is_reproducible_and_seeded():
    X, y = blobs()
    runs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = nn.Sequential(nn.Linear(2, 16), nn.Dropout(0.3), nn.Linear(16, 3))
        torch.manual_seed(999)  # fit reseeds: what ran before does not matter
        hist = fit(
            Classification(model),
            shuffled_batches(X, y, batch_size=32, seed=0),
            steps=40,
            lr=0.05,
            seed=0,
            progress=False,
        )
        runs.append((hist["loss"], model[0].weight.detach().clone()))
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])
    assert sum(runs[0][0][-5:]) < 0.5 * sum(runs[0][0][:5])


def test_fit_trains_parameters_unfrozen_by_a_hook():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 3))
    model[0].requires_grad_(False)
    before = model[0].weight.detach().clone()
    X, y = blobs(40)

    def hook(step, p):
        if step == 2:
            model[0].requires_grad_(True)
        return {"unfrozen": float(model[0].weight.requires_grad)}

    hist = fit(Classification(model), [(X, y)], steps=4, lr=0.1, hook=hook, progress=False)
    assert hist["unfrozen"] == [0.0, 1.0, 1.0, 1.0]
    assert not torch.equal(before, model[0].weight)


def test_fit_classifier_learns_per_epoch_logs():
    X, y = blobs()
    torch.manual_seed(123)
    model = nn.Linear(2, 3)
    epochs_seen = []
    hist = fit_classifier(
        model,
        (X, y),
        epochs=15,
        lr=0.05,
        batch_size=32,
        seed=0,
        progress=False,
        val=(X, y),
        on_epoch_end=lambda epoch, m: epochs_seen.append(epoch),
    )
    assert isinstance(hist, History) and len(hist["val_acc"]) == 15 and epochs_seen == list(range(15))
    per_epoch = hist.per_epoch("loss", hist.steps_per_epoch)
    assert len(per_epoch) == 15 and per_epoch[-1] < 0.5 * per_epoch[0]
    assert hist.last("val_acc") > 0.95 and hist.total_seconds == hist.seconds


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda X, y: fit_classifier(nn.Linear(2, 3), (X, y.float()), epochs=1, progress=False), "integer class ids"),
        (lambda X, y: fit_classifier(nn.Linear(2, 3), (X, y[:5]), epochs=1, progress=False), "same length"),
        (
            lambda X, y: fit_classifier(nn.Linear(2, 3).requires_grad_(False), (X, y), epochs=1, progress=False),
            "no trainable parameters",
        ),
        (lambda X, y: fit_classifier(nn.Linear(2, 3), (X, y), epochs=0), "epochs"),
        (lambda X, y: fit(Classification(nn.Linear(2, 3)), [(X, y)], steps=0), "steps"),
        (lambda X, y: fit(Classification(nn.Linear(2, 3)), [(X, y)], steps=1, lr=-1.0), "lr"),
        (lambda X, y: fit(Classification(nn.Linear(2, 3)), [], steps=1, progress=False), "yielded nothing"),
    ],
)
def test_fit_bad_input(call, match):
    X, y = blobs(20)
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_evaluate_is_accuracy_by_definition():
    X = torch.randn(50, 4)
    y = torch.randint(0, 3, (50,))
    model = nn.Linear(4, 3)
    logits = model(X)
    want = (logits.argmax(1) == y).float().mean().item()
    assert evaluate(model, (X, y), batch_size=7) == pytest.approx(want)
    assert torch.allclose(predict(model, X, batch_size=7), logits, atol=1e-6)


def test_device_and_parameter_count():
    assert get_device("cpu").type == "cpu"
    assert get_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="device must be"):
        get_device("tpu9")
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    m[0].requires_grad_(False)
    assert count_parameters(m) == 16 + 10 and count_parameters(m, trainable_only=True) == 10


def test_to_device_takes_the_gpu_path_on_a_cpu_build():
    """The pinned, asynchronous copy is requested (as for a GPU) and must work where CUDA is absent."""
    from tlearn.samplers import Episode
    from tlearn.train import to_device

    x = torch.arange(6.0).reshape(2, 3)
    batch = {"x": x, "pair": (x, x.long())}
    moved = to_device(batch, torch.device("cpu"), non_blocking=True)
    assert torch.equal(moved["x"], x) and torch.equal(moved["pair"][1], x.long())
    episode = Episode(
        x,
        torch.tensor([0, 1]),
        x,
        torch.tensor([0, 1]),
        torch.tensor([3, 4]),
        torch.tensor([0, 1]),
        torch.tensor([2, 3]),
    )
    assert torch.equal(to_device(episode, torch.device("cpu"), non_blocking=True).query, x)
