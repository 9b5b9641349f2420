"""Oracle tests for tlearn.multitask: sharing schemes, penalties, task weights, the training loop."""

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parameters_to_vector

from tlearn.multitask import (
    CrossStitch,
    FixedWeighting,
    HardSharing,
    MultiTaskLoss,
    SoftSharing,
    UncertaintyWeighting,
    evaluate_multitask,
    fit_multitask,
    lambda_sweep,
    multitask_tensors,
    param_groups,
    parameter_distance,
    predict_multitask,
    squared_parameter_distance,
)

TASKS = {"left": 3, "right": 4}


class TinyConv(nn.Module):
    """Two conv blocks on 1x8x8 images; flattened output, like Conv4."""

    def __init__(self, width=4):
        super().__init__()
        self.blocks = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(2)),
                nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
            ]
        )
        self.out_features = width * 2 * 2

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x.flatten(1)


class TinyGRU(nn.Module):
    """GRU over [B, T, 3] sequences; the hidden state at each sequence's last valid step."""

    def __init__(self, hidden=5):
        super().__init__()
        self.gru = nn.GRU(3, hidden, batch_first=True)
        self.out_features = hidden

    def forward(self, x, lengths):
        out, _ = self.gru(x)
        return out[torch.arange(len(x)), lengths - 1]


def images(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 8, 8, generator=g)
    targets = {t: torch.randint(0, k, (n,), generator=g) for t, k in TASKS.items()}
    return x, targets


def learnable_images(n=96, seed=0):
    """Labels are functions of the image: left = brightest third of the left half, etc."""
    x, _ = images(n, seed)
    left = x[:, 0, :, :4].mean(dim=(1, 2))
    right = x[:, 0, :, 4:].mean(dim=(1, 2))
    y_left = torch.bucketize(left, left.quantile(torch.tensor([1 / 3, 2 / 3])))
    y_right = torch.bucketize(right, right.quantile(torch.tensor([0.25, 0.5, 0.75])))
    return x, {"left": y_left, "right": y_right}


# --------------------------------------------------------------------------- forward contract


@pytest.mark.parametrize("kind", ["hard", "soft", "stitch"])
def test_forward_returns_task_dict_in_train_and_eval(kind):
    torch.manual_seed(0)
    model = {
        "hard": lambda: HardSharing(TinyConv(), TASKS),
        "soft": lambda: SoftSharing(TinyConv, TASKS),
        "stitch": lambda: CrossStitch(TinyConv, TASKS),
    }[kind]()
    x, _ = images(6)
    for mode in (True, False):
        model.train(mode)
        out = model(x)
        assert isinstance(out, dict) and list(out) == list(TASKS)
        for t, k in TASKS.items():
            assert out[t].shape == (6, k)


def test_rnn_trunk_gets_lengths_in_hard_and_soft_sharing():
    torch.manual_seed(0)
    x = torch.randn(4, 7, 3)
    lengths = torch.tensor([7, 3, 5, 1])
    trunk = TinyGRU()
    hard = HardSharing(trunk, TASKS)
    out = hard(x, lengths)
    expected = hard.heads["left"](trunk(x, lengths))
    torch.testing.assert_close(out["left"], expected)
    soft = SoftSharing(TinyGRU, TASKS)
    out = soft(x, lengths)
    torch.testing.assert_close(out["right"], soft.heads["right"](soft.trunks["right"](x, lengths)))


def test_single_task_network_is_hard_sharing_with_one_head():
    trunk = TinyConv()
    single = HardSharing(trunk, {"left": 3})
    x, _ = images(5)
    single.eval()
    torch.testing.assert_close(single(x)["left"], single.heads["left"](trunk(x)))
    assert single.tasks == {"left": 3}


# --------------------------------------------------------------------------- hard sharing


def test_shared_trunk_receives_gradient_from_every_head():
    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    x, y = images(16)
    grads = {}
    for task in TASKS:
        model.zero_grad()
        F.cross_entropy(model(x)[task], y[task]).backward()
        grads[task] = [p.grad.clone() for p in model.trunk.parameters()]
        # this task's loss reaches every trunk tensor ...
        assert all(g.abs().sum() > 0 for g in grads[task])
        # ... and no other task's head
        for other in TASKS:
            if other != task:
                assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.heads[other].parameters())
    # the trunk's gradient of the summed loss is the sum of the per-task gradients
    model.zero_grad()
    sum(F.cross_entropy(model(x)[t], y[t]) for t in TASKS).backward()
    for p, gl, gr in zip(model.trunk.parameters(), grads["left"], grads["right"]):
        torch.testing.assert_close(p.grad, gl + gr)


def test_parameter_counts_of_sharing_schemes():
    trunk_params = sum(p.numel() for p in TinyConv().parameters())
    feat = TinyConv().out_features
    heads = sum(feat * k + k for k in TASKS.values())

    def count(m):
        return sum(p.numel() for p in m.parameters())

    assert count(HardSharing(TinyConv(), TASKS)) == trunk_params + heads
    assert count(SoftSharing(TinyConv, TASKS)) == 2 * trunk_params + heads
    n_blocks = len(TinyConv().blocks)
    assert count(CrossStitch(TinyConv, TASKS)) == 2 * trunk_params + heads + n_blocks * 2 * 2


# --------------------------------------------------------------------------- soft sharing


def test_soft_penalty_equals_direct_sum_over_parameters():
    torch.manual_seed(0)
    tasks = {"a": 2, "b": 3, "c": 4}
    model = SoftSharing(TinyConv, tasks, lam=0.37, same_init=False)
    vecs = {t: parameters_to_vector(model.trunks[t].parameters()) for t in tasks}
    direct = sum(((vecs[s] - vecs[t]) ** 2).sum() for s, t in [("a", "b"), ("a", "c"), ("b", "c")])
    torch.testing.assert_close(model.penalty(), 0.37 * direct)
    assert math.isclose(model.parameter_distance(), float(direct.detach().sqrt()), rel_tol=1e-5)
    # per pair, the helper functions agree with the flattened vectors
    ab = float((vecs["a"] - vecs["b"]).detach().norm())
    assert math.isclose(parameter_distance(model.trunks["a"], model.trunks["b"]), ab, rel_tol=1e-5)
    torch.testing.assert_close(
        squared_parameter_distance(model.trunks["a"], model.trunks["b"]), (vecs["a"] - vecs["b"]).pow(2).sum()
    )


def test_soft_penalty_gradient_descent_contracts_by_the_closed_form_factor():
    # d/d theta_s of lam * sum_{pairs} ||theta_s - theta_t||^2 = 2 lam sum_t (theta_s - theta_t),
    # so plain SGD shrinks every difference by (1 - 2 lr lam K) per step, K tasks.
    torch.manual_seed(0)
    tasks = {"a": 2, "b": 2, "c": 2}
    lam, lr, steps = 0.5, 0.1, 4
    model = SoftSharing(TinyConv, tasks, lam=lam, same_init=False)
    d0 = model.parameter_distance()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        model.penalty().backward()
        opt.step()
    factor = 1 - 2 * lr * lam * len(tasks)
    assert math.isclose(model.parameter_distance(), d0 * abs(factor) ** steps, rel_tol=1e-4)


def test_large_lambda_makes_task_networks_converge():
    x, y = learnable_images(64)
    dist = {}
    for lam in (0.0, 10.0):
        torch.manual_seed(0)
        model = SoftSharing(TinyConv, TASKS, lam=lam, same_init=False)
        start = model.parameter_distance()
        sgd = torch.optim.SGD(model.parameters(), lr=1e-2)
        fit_multitask(model, (x, y), optimizer=sgd, epochs=5, batch_size=16, progress=False, device="cpu")
        dist[lam] = model.parameter_distance()
    assert dist[10.0] < 0.05 * start
    assert dist[10.0] < 0.05 * dist[0.0]
    assert dist[0.0] > 0.5 * start  # without the penalty nothing pulls them together


def test_soft_sharing_with_lambda_zero_is_independent_single_task_networks():
    x, y = learnable_images(48)
    torch.manual_seed(0)
    soft = SoftSharing(TinyConv, TASKS, lam=0.0)
    singles = {}
    for t, k in TASKS.items():
        singles[t] = HardSharing(TinyConv(), {t: k})
        singles[t].trunk.load_state_dict(soft.trunks[t].state_dict())
        singles[t].heads[t].load_state_dict(soft.heads[t].state_dict())
    kwargs = {"epochs": 2, "lr": 1e-2, "batch_size": 16, "progress": False, "device": "cpu", "seed": 3}
    fit_multitask(soft, (x, y), **kwargs)
    for t in TASKS:
        fit_multitask(singles[t], (x, y), **kwargs)  # extra targets in the data are ignored
        torch.testing.assert_close(
            parameters_to_vector(singles[t].trunk.parameters()),
            parameters_to_vector(soft.trunks[t].parameters()),
        )


@pytest.mark.parametrize("kind", [SoftSharing, CrossStitch])
def test_same_init_copies_the_first_trunk_into_separate_modules(kind):
    torch.manual_seed(0)
    model = kind(TinyConv, TASKS)
    left, right = model.trunks["left"], model.trunks["right"]
    assert left is not right
    for (name, a), (_, b) in zip(left.state_dict().items(), right.state_dict().items()):
        assert torch.equal(a, b), name
        assert a.data_ptr() != b.data_ptr(), name  # copies, not one shared tensor
    apart = kind(TinyConv, TASKS, same_init=False)
    assert parameter_distance(apart.trunks["left"], apart.trunks["right"]) > 0


def test_without_penalty_same_init_networks_drift_apart_and_a_penalty_holds_them():
    x, y = learnable_images(64)
    dist = {}
    for lam in (0.0, 20.0):
        torch.manual_seed(0)
        model = SoftSharing(TinyConv, TASKS, lam=lam)
        assert model.parameter_distance() == 0
        sgd = torch.optim.SGD(model.parameters(), lr=1e-2)
        fit_multitask(model, (x, y), optimizer=sgd, epochs=3, batch_size=16, progress=False, device="cpu")
        dist[lam] = model.parameter_distance()
    assert dist[0.0] > 0 and dist[20.0] < 0.1 * dist[0.0]


def test_lambda_sweep_measures_falling_distance():
    x, y = learnable_images(64)
    # Adam moves each parameter by about lr per step whatever the gradient's scale, so the pull
    # saturates for large lambda: the lambdas here sit below that, where the pull still grows
    rows = lambda_sweep(
        TinyConv, TASKS, (x, y), (x, y), [0.0, 0.1, 10.0], epochs=8, lr=1e-2, batch_size=16, device="cpu"
    )
    assert [r["lam"] for r in rows] == [0.0, 0.1, 10.0]
    assert len({r["initial_distance"] for r in rows}) == 1  # same initial networks for every lambda
    assert rows[0]["distance"] > rows[1]["distance"] > rows[2]["distance"]
    for r in rows:
        assert math.isclose(r["mean"], (r["left"] + r["right"]) / 2)
    assert rows[0]["mean"] > 1 / 3  # the unpenalised pair learned something (chance is 1/3 and 1/4)


# --------------------------------------------------------------------------- cross-stitch


def test_cross_stitch_with_identity_alpha_is_independent_networks():
    torch.manual_seed(0)
    model = CrossStitch(TinyConv, TASKS, same_init=False)  # different columns, so mixing would show
    with torch.no_grad():
        model.alpha.copy_(torch.eye(2).repeat(len(model.alpha), 1, 1))
    x, _ = images(5)
    model.eval()
    out = model(x)
    for t in TASKS:
        torch.testing.assert_close(out[t], model.heads[t](model.trunks[t](x)))


def test_cross_stitch_mixes_activations_by_alpha():
    torch.manual_seed(0)
    model = CrossStitch(TinyConv, {"a": 2, "b": 2, "c": 2}, init_self=0.8)
    # initial alpha: 0.8 on the diagonal, the rest split evenly, rows summing to 1
    expected = torch.tensor([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    for a in model.alpha:
        torch.testing.assert_close(a.detach(), expected)
    hs = [torch.randn(2, 4, 3, 3) for _ in range(3)]
    alpha = torch.randn(3, 3)
    mixed = model.stitch(hs, alpha)
    for s in range(3):
        torch.testing.assert_close(mixed[s], sum(alpha[s, t] * hs[t] for t in range(3)))


def test_cross_stitch_forward_is_the_hand_written_linear_combination():
    torch.manual_seed(0)
    model = CrossStitch(TinyConv, TASKS, same_init=False).eval()
    with torch.no_grad():
        model.alpha.copy_(torch.tensor([[[0.7, 0.3], [-0.2, 1.1]], [[0.5, 0.5], [0.25, 0.6]]]))
    x, _ = images(5)
    left, right = model.trunks["left"].blocks, model.trunks["right"].blocks
    a = model.alpha.detach()
    h_l = left[0](x)
    h_r = right[0](x)
    h_l, h_r = a[0, 0, 0] * h_l + a[0, 0, 1] * h_r, a[0, 1, 0] * h_l + a[0, 1, 1] * h_r
    h_l, h_r = left[1](h_l), right[1](h_r)
    h_l, h_r = a[1, 0, 0] * h_l + a[1, 0, 1] * h_r, a[1, 1, 0] * h_l + a[1, 1, 1] * h_r
    with torch.no_grad():
        out = model(x)
        torch.testing.assert_close(out["left"], model.heads["left"](h_l.flatten(1)))
        torch.testing.assert_close(out["right"], model.heads["right"](h_r.flatten(1)))


def test_param_groups_boost_the_cross_stitch_units_only():
    torch.manual_seed(0)
    model = CrossStitch(TinyConv, TASKS)
    rest, stitch = param_groups(model, 0.02, cross_stitch_mult=100)
    assert stitch["params"] == [model.alpha] and math.isclose(stitch["lr"], 2.0) and rest["lr"] == 0.02
    assert {id(p) for p in rest["params"]} == {id(p) for n, p in model.named_parameters() if n != "alpha"}
    hard = HardSharing(TinyConv(), TASKS)
    (only,) = param_groups(hard, 0.02, cross_stitch_mult=100)  # any other model: one group at lr
    assert only["lr"] == 0.02 and len(only["params"]) == len(list(hard.parameters()))


def test_cross_stitch_alpha_learns_and_gets_its_own_learning_rate():
    x, y = learnable_images(48)
    torch.manual_seed(0)
    model = CrossStitch(TinyConv, TASKS)
    before = model.alpha.detach().clone()
    groups = model.param_groups(lr=1e-3, stitch_lr=0.1)
    assert groups[1]["params"][0] is model.alpha and groups[1]["lr"] == 0.1
    n_rest = sum(p.numel() for p in groups[0]["params"])
    assert n_rest + model.alpha.numel() == sum(p.numel() for p in model.parameters())
    fit_multitask(
        model, (x, y), optimizer=torch.optim.Adam(groups), epochs=1, batch_size=16, progress=False, device="cpu"
    )
    assert not torch.equal(before, model.alpha.detach())


# --------------------------------------------------------------------------- task weighting


def test_uncertainty_weighting_follows_its_formula():
    w = UncertaintyWeighting(["cls", "reg"], regression=["reg"])
    with torch.no_grad():
        w.log_variance.copy_(torch.tensor([0.3, -0.7]))
    losses = {"cls": torch.tensor(1.7), "reg": torch.tensor(0.4)}
    direct = math.exp(-0.3) * 1.7 + 0.3 / 2 + 0.5 * math.exp(0.7) * 0.4 - 0.7 / 2
    assert math.isclose(float(w(losses).detach()), direct, rel_tol=1e-6)
    assert math.isclose(w.weights()["cls"], math.exp(-0.3), rel_tol=1e-6)
    assert math.isclose(w.weights()["reg"], 0.5 * math.exp(0.7), rel_tol=1e-6)


def test_uncertainty_weighting_settles_at_the_analytic_optimum():
    # for fixed losses, d/ds [c e^{-s} L + s/2] = 0  at  s* = log(2 c L): weight c e^{-s*} = 1 / (2 L)
    losses = {"cls": torch.tensor(2.5), "reg": torch.tensor(0.2)}
    w = UncertaintyWeighting(["cls", "reg"], regression=["reg"])
    opt = torch.optim.SGD(w.parameters(), lr=0.5)
    for _ in range(500):
        opt.zero_grad()
        w(losses).backward()
        opt.step()
    torch.testing.assert_close(
        w.log_variance.detach(), torch.tensor([math.log(2 * 2.5), math.log(2 * 0.5 * 0.2)]), atol=1e-4, rtol=0
    )
    assert math.isclose(w.weights()["cls"], 1 / (2 * 2.5), rel_tol=1e-3)
    assert math.isclose(w.weights()["reg"], 1 / (2 * 0.2), rel_tol=1e-3)


def test_fixed_weighting_is_a_weighted_sum_equal_by_default():
    losses = {"left": torch.tensor(0.5), "right": torch.tensor(2.0)}
    assert float(FixedWeighting(["left", "right"])(losses)) == 2.5
    weighted = FixedWeighting(["left", "right"], {"left": 0.2, "right": 3.0})
    assert math.isclose(float(weighted(losses)), 0.2 * 0.5 + 3.0 * 2.0, rel_tol=1e-6)


def test_fit_with_uncertainty_weighting_trains_the_log_variances():
    x, y = learnable_images(48)
    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    weighting = UncertaintyWeighting(list(TASKS))
    hist = fit_multitask(
        model, (x, y), weighting=weighting, epochs=3, lr=1e-2, batch_size=16, progress=False, device="cpu"
    )
    assert weighting.log_variance.abs().sum() > 0
    assert hist["weight_left"][-1] == weighting.weights()["left"]
    assert hist["weight_left"][0] != 1.0  # the weights moved from their initial value during training


# --------------------------------------------------------------------------- training loop


def test_fit_is_deterministic_and_learns():
    x, y = learnable_images(96)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = HardSharing(TinyConv(), TASKS)
        hist = fit_multitask(model, (x, y), epochs=12, lr=1e-2, batch_size=16, seed=1, progress=False, device="cpu")
        runs.append((parameters_to_vector(model.parameters()).detach(), hist))
    torch.testing.assert_close(runs[0][0], runs[1][0], rtol=0, atol=0)
    hist = runs[0][1]
    assert hist.steps_per_epoch == 6 and hist.steps == 12 * 6
    assert len(hist["loss"]) == len(hist["train_acc_left"]) == len(hist["loss_right"]) == 12 * 6
    assert len(hist["weight_left"]) == 12  # logged once per epoch
    losses = hist.per_epoch("loss", hist.steps_per_epoch)
    assert losses[-1] < 0.8 * losses[0]
    assert hist.total_seconds == hist.seconds > 0
    acc = evaluate_multitask(model, (x, y), device="cpu")
    assert acc["left"] > 1 / 3 + 0.1 and acc["right"] > 1 / 4 + 0.1


def test_evaluate_matches_direct_argmax_and_keeps_mode():
    x, y = images(30)
    torch.manual_seed(0)
    model = SoftSharing(TinyConv, TASKS)
    model.train()
    acc = evaluate_multitask(model, (x, y), device="cpu", batch_size=7)
    assert model.training  # evaluation restored the training mode
    model.eval()
    with torch.no_grad():
        out = model(x)
    for t in TASKS:
        assert math.isclose(acc[t], (out[t].argmax(1) == y[t]).float().mean().item(), rel_tol=1e-6)
    assert math.isclose(acc["mean"], (acc["left"] + acc["right"]) / 2)
    logits = predict_multitask(model, x, device="cpu", batch_size=7)
    torch.testing.assert_close(logits["right"], out["right"])


def test_multidigits_like_objects_are_accepted():
    class Multi:
        def __init__(self):
            self.images, self.tasks = learnable_images(20)

    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    acc = evaluate_multitask(model, Multi(), device="cpu")
    assert set(acc) == {"left", "right", "mean"}


def test_rnn_data_as_a_tuple_of_inputs():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 6, 3, generator=g)
    lengths = torch.randint(1, 7, (20,), generator=g)
    y = {t: torch.randint(0, k, (20,), generator=g) for t, k in TASKS.items()}
    torch.manual_seed(0)
    model = HardSharing(TinyGRU(), TASKS)
    hist = fit_multitask(model, ((x, lengths), y), epochs=2, batch_size=8, progress=False, device="cpu")
    assert len(hist["loss"]) == 2 * 3  # 20 sequences in batches of 8: 3 steps an epoch
    assert set(evaluate_multitask(model, ((x, lengths), y), device="cpu")) == {"left", "right", "mean"}


# --------------------------------------------------------------------------- the loop: fit and MultiTaskLoss


def test_multitask_loss_is_the_weighted_sum_plus_the_penalty():
    x, y = learnable_images(12)
    torch.manual_seed(0)
    model = SoftSharing(TinyConv, TASKS, lam=0.3, same_init=False)
    weighting = UncertaintyWeighting(list(TASKS))
    with torch.no_grad():
        weighting.log_variance.copy_(torch.tensor([0.4, -0.2]))
    method = MultiTaskLoss(model, weighting, list(TASKS))
    total, logs = method.loss((x, y["left"], y["right"]), 0.0)
    out = model(x)
    ce = {t: F.cross_entropy(out[t], y[t]) for t in TASKS}
    vecs = [parameters_to_vector(model.trunks[t].parameters()) for t in TASKS]
    direct = (
        math.exp(-0.4) * ce["left"]
        + 0.4 / 2
        + math.exp(0.2) * ce["right"]
        - 0.2 / 2
        + 0.3 * (vecs[0] - vecs[1]).pow(2).sum()
    )
    torch.testing.assert_close(total, direct)
    torch.testing.assert_close(logs["loss_right"], ce["right"])
    torch.testing.assert_close(logs["train_acc_left"], (out["left"].argmax(1) == y["left"]).float().mean())


def test_fit_multitask_equals_a_plain_pytorch_loop():
    # SGD with momentum, a half-cosine learning rate, soft sharing's penalty: the loop written out by hand
    x, y = learnable_images(40)
    epochs, batch_size, lr, lam = 3, 16, 0.05, 0.02

    def build():
        torch.manual_seed(0)
        return SoftSharing(TinyConv, TASKS, lam=lam)

    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    fit_multitask(
        model,
        (x, y),
        optimizer=opt,
        epochs=epochs,
        batch_size=batch_size,
        cosine=True,
        seed=5,
        progress=False,
        device="cpu",
    )
    plain = build()
    opt = torch.optim.SGD(plain.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(5)
    steps = epochs * math.ceil(len(x) / batch_size)
    step = 0
    plain.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            opt.param_groups[0]["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            out = plain(x[idx])
            loss = sum(F.cross_entropy(out[t], y[t][idx]) for t in TASKS) + plain.penalty()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    torch.testing.assert_close(parameters_to_vector(model.parameters()), parameters_to_vector(plain.parameters()))


def test_fit_leaves_the_model_in_eval_mode_and_logs_validation_per_epoch():
    x, y = learnable_images(32)
    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    hist = fit_multitask(
        model,
        (x, y),
        val=(x[:10], {t: v[:10] for t, v in y.items()}),
        epochs=3,
        batch_size=16,
        progress=False,
        device="cpu",
    )
    assert not model.training and not model.trunk.training
    assert len(hist["val_acc_left"]) == len(hist["weight_right"]) == 3 and len(hist["loss"]) == 3 * 2
    assert (
        hist["val_acc_right"][-1]
        == evaluate_multitask(model, (x[:10], {t: v[:10] for t, v in y.items()}), device="cpu")["right"]
    )


def test_a_given_optimizer_gets_the_uncertainty_weights():
    x, y = learnable_images(32)
    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    weighting = UncertaintyWeighting(list(TASKS))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    fit_multitask(
        model, (x, y), weighting=weighting, optimizer=opt, epochs=1, batch_size=16, progress=False, device="cpu"
    )
    assert opt.param_groups[-1]["params"] == [weighting.log_variance]
    assert weighting.log_variance.abs().sum() > 0


# --------------------------------------------------------------------------- bad input

X8, Y8 = images(8)
HARD = HardSharing(TinyConv(), TASKS)
TRUNK = TinyConv()


def _fit(data=(X8, Y8), model=HARD, **kwargs):
    return fit_multitask(model, data, progress=False, device="cpu", **kwargs)


REJECTED = [
    # model constructors
    ("tasks not a dict", lambda: HardSharing(TinyConv(), ["left", "right"]), TypeError, "tasks must be a dict"),
    ("no tasks", lambda: HardSharing(TinyConv(), {}), ValueError, "tasks is empty"),
    ("one class", lambda: HardSharing(TinyConv(), {"left": 1}), ValueError, r"tasks\['left'\] = 1"),
    ("classes not an int", lambda: HardSharing(TinyConv(), {"left": 2.5}), ValueError, r"tasks\['left'\] = 2.5"),
    ("no out_features", lambda: HardSharing(nn.Sequential(nn.Flatten()), TASKS), TypeError, "out_features"),
    ("negative lambda", lambda: SoftSharing(TinyConv, TASKS, lam=-1), ValueError, "lam must be >= 0, got -1"),
    (
        "same_init not bool",
        lambda: SoftSharing(TinyConv, TASKS, same_init="yes"),
        TypeError,
        "same_init must be True or False",
    ),
    ("one module", lambda: SoftSharing(TRUNK, TASKS), TypeError, "single module"),
    (
        "same object twice",
        lambda: SoftSharing({"left": TRUNK, "right": TRUNK}, TASKS),
        ValueError,
        "same module object",
    ),
    (
        "trunks for other tasks",
        lambda: SoftSharing({"left": TinyConv(), "middle": TinyConv()}, TASKS),
        ValueError,
        "one trunk per task",
    ),
    (
        "widths differ",
        lambda: SoftSharing({"left": TinyConv(4), "right": TinyConv(6)}, TASKS),
        ValueError,
        "mismatched architectures.*shape",
    ),
    (
        "classes differ",
        lambda: SoftSharing({"left": TinyConv(4), "right": TinyGRU(16)}, TASKS),
        ValueError,
        "mismatched architectures",
    ),
    (
        "distance of different nets",
        lambda: parameter_distance(TinyConv(4), TinyConv(6)),
        ValueError,
        "mismatched architectures",
    ),
    (
        "stitch widths differ",
        lambda: CrossStitch({"left": TinyConv(4), "right": TinyConv(6)}, TASKS),
        ValueError,
        "mismatched architectures",
    ),
    ("stitch without blocks", lambda: CrossStitch(TinyGRU, TASKS), TypeError, "no .blocks"),
    ("init_self above 1", lambda: CrossStitch(TinyConv, TASKS, init_self=1.5), ValueError, "init_self must be in"),
    ("stitch_lr zero", lambda: CrossStitch(TinyConv, TASKS).param_groups(1e-3, 0), ValueError, "stitch_lr must be > 0"),
    (
        "multiplier negative",
        lambda: param_groups(HARD, 1e-3, cross_stitch_mult=-2),
        ValueError,
        "cross_stitch_mult must be > 0",
    ),
    # task weighting
    (
        "negative weight",
        lambda: FixedWeighting(["left", "right"], {"left": -1, "right": 1}),
        ValueError,
        r"weights\['left'\] must be >= 0, got -1",
    ),
    ("weight missing", lambda: FixedWeighting(["left", "right"], {"left": 1}), ValueError, r"missing \['right'\]"),
    ("weights not a dict", lambda: FixedWeighting(["left"], [1.0]), TypeError, "weights must be a dict"),
    ("task names a string", lambda: UncertaintyWeighting("left"), TypeError, "list of task names"),
    ("repeated task", lambda: UncertaintyWeighting(["left", "left"]), ValueError, "distinct task names"),
    (
        "unknown regression task",
        lambda: UncertaintyWeighting(["left"], regression=["right"]),
        ValueError,
        "regression = ",
    ),
    # data
    ("data of a wrong type", lambda: multitask_tensors(X8), TypeError, "MultiDigits-like"),
    ("no examples", lambda: multitask_tensors((X8[:0], {"left": Y8["left"][:0]})), ValueError, "data is empty"),
    ("inputs of unequal rows", lambda: multitask_tensors(((X8, X8[:5]), Y8)), ValueError, r"inputs\[1\] has 5 rows"),
    ("float targets", lambda: multitask_tensors((X8, {"left": Y8["left"].float()})), ValueError, "int64"),
    ("targets shorter", lambda: _fit((X8, {**Y8, "left": Y8["left"][:5]})), ValueError, r"shape \(8,\)"),
    # training and evaluation
    (
        "task with no head",
        lambda: _fit((X8, {**Y8, "middle": Y8["left"]}), tasks=["left", "middle"]),
        ValueError,
        r"\['middle'\] have no head",
    ),
    (
        "scoring a task with no head",
        lambda: evaluate_multitask(HARD, (X8, Y8), tasks=["middle"], device="cpu"),
        ValueError,
        "have no head",
    ),
    (
        "targets missing a task",
        lambda: _fit((X8, {"left": Y8["left"]})),
        ValueError,
        r"targets are missing task\(s\) \['right'\]",
    ),
    (
        "scoring without targets",
        lambda: evaluate_multitask(HARD, (X8, {"left": Y8["left"]}), device="cpu"),
        ValueError,
        "targets are missing",
    ),
    (
        "label beyond the head",
        lambda: _fit((X8, {**Y8, "left": torch.full((8,), 3)})),
        ValueError,
        r"targets\['left'\] has labels in \[3, 3\]",
    ),
    (
        "weighting for other tasks",
        lambda: _fit(weighting=UncertaintyWeighting(["left", "middle"])),
        ValueError,
        "weighting is built for tasks",
    ),
    ("weighting of a wrong type", lambda: _fit(weighting=nn.Identity()), TypeError, "weighting must be"),
    ("zero epochs", lambda: _fit(epochs=0), ValueError, "epochs must be a positive integer, got 0"),
    ("zero batch size", lambda: _fit(batch_size=0), ValueError, "batch_size must be a positive integer"),
    ("negative learning rate", lambda: _fit(lr=-1.0), ValueError, "lr must be > 0"),
    ("no lambdas", lambda: lambda_sweep(TinyConv, TASKS, (X8, Y8), (X8, Y8), []), ValueError, "lams = "),
]


@pytest.mark.parametrize("call, error, message", [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_bad_input_is_rejected_with_a_message_that_names_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_history_total_loss_is_the_weighted_sum_of_task_losses():
    x, y = learnable_images(48)
    torch.manual_seed(0)
    model = HardSharing(TinyConv(), TASKS)
    weights = {"left": 0.3, "right": 2.0}
    hist = fit_multitask(
        model,
        (x, y),
        weighting=FixedWeighting(list(TASKS), weights),
        epochs=2,
        batch_size=16,
        progress=False,
        device="cpu",
    )
    assert len(hist["loss"]) == 2 * 3
    for step, total in enumerate(hist["loss"]):
        direct = sum(w * hist[f"loss_{t}"][step] for t, w in weights.items())
        assert math.isclose(total, direct, rel_tol=1e-5)


# --------------------------------------------------------------------------- figures and panel


def test_plots_return_figures_and_reject_bad_rows():
    import matplotlib.pyplot as plt

    from tlearn.viz import plot_accuracy_vs_size, plot_lambda_sweep

    rows = [
        {"method": m, "train size": n, "mean": a}
        for m, n, a in [("single", 100, 0.5), ("single", 300, 0.7), ("hard", 100, 0.6), ("hard", 300, 0.75)]
    ]
    fig = plot_accuracy_vs_size(rows)
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="'train size'"):
        plot_accuracy_vs_size([{"method": "single", "mean": 0.5}])
    sweep = [
        {"lam": lam, "distance": d, "initial_distance": 0.0, "left": 0.5, "right": 0.6, "mean": 0.55}
        for lam, d in [(0.0, 3.0), (0.01, 1.0), (0.1, 0.2)]
    ]
    fig = plot_lambda_sweep(sweep, ["left", "right"], references={"hard sharing": 0.6}, runs=[sweep[1]])
    assert len(fig.axes) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_lambda_sweep([], ["left", "right"])


def test_soft_sharing_panel_shows_what_lambda_sweep_measures():
    from tlearn import widgets

    x, y = learnable_images(32)
    kwargs = {"epochs": 1, "lr": 1e-2, "batch_size": 16, "seed": 0, "device": "cpu"}
    panel = widgets.soft_sharing_panel(TinyConv, TASKS, (x, y), (x, y), lams=(0.0, 1.0), **kwargs)
    widgets.drive(panel, click="train", lam=1.0, weight_left=0.5, weight_right=1.5)
    direct = lambda_sweep(TinyConv, TASKS, (x, y), (x, y), [1.0], weights={"left": 0.5, "right": 1.5}, **kwargs)[0]
    (run,) = panel.runs
    assert run["lam"] == 1.0 and math.isclose(run["distance"], direct["distance"], rel_tol=1e-6)
    assert run["mean"] == direct["mean"]
    assert f"{direct['distance']:.3f}" in panel.children[-2].value  # the summary line under the plot
    with pytest.raises(ValueError, match="every task weight is 0"):
        widgets.drive(panel, click="train", weight_left=0.0, weight_right=0.0)


# --- next pen point: the second trajectory task ------------------------------------------------------------
def test_next_point_tasks_cut_zero_the_unseen_points_and_name_the_next_step_sector():
    from tlearn.multitask import next_point_tasks

    # one drawing going right, then up; one going left, then down (6 points each, padded to 8)
    right_up = torch.tensor([[0.0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [3, 1, 0], [3, 2, 1]])
    traj = torch.zeros(2, 8, 3)
    traj[0, :6], traj[1, :6] = right_up, -right_up
    lengths, chars = torch.tensor([6, 6]), torch.tensor([4, 7])
    (cut_traj, cuts), targets = next_point_tasks(traj, lengths, chars, sectors=4, min_seen=0.5, seed=0)
    assert torch.equal(targets["character"], chars)
    assert ((cuts >= 3) & (cuts <= 5)).all()  # at least half seen, at least one point left to predict
    for i in range(2):
        c = int(cuts[i])
        assert torch.equal(cut_traj[i, :c], traj[i, :c]) and not cut_traj[i, c:].any()
        step = traj[i, c, :2] - traj[i, c - 1, :2]
        angle = math.atan2(float(step[1]), float(step[0])) + math.pi
        assert int(targets["next"][i]) == int(angle * 4 / (2 * math.pi)) % 4
    # one draw per seed: the same seed gives the same cuts
    again = next_point_tasks(traj, lengths, chars, sectors=4, seed=0)
    assert torch.equal(again[0][1], cuts)


def test_next_point_tasks_on_glyphs_is_not_a_function_of_the_character():
    from tlearn import data
    from tlearn.multitask import next_point_tasks

    glyphs = data.glyphs("background", n_alphabets=2, chars_per_alphabet=5, seed=0)
    _, targets = next_point_tasks(glyphs.trajectories, glyphs.lengths, glyphs.targets, seed=0)
    assert targets["next"].min() >= 0 and targets["next"].max() < 8
    per_character = [len(targets["next"][targets["character"] == c].unique()) for c in range(glyphs.n_classes)]
    assert min(per_character) > 1  # drawings of one character point the pen different ways


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"sectors": 0}, ValueError),
        ({"min_seen": 1.5}, ValueError),
        ({"lengths": torch.tensor([1, 6])}, ValueError),
        ({"characters": torch.tensor([1])}, ValueError),
    ],
)
def test_next_point_tasks_rejects_bad_arguments(kwargs, error):
    from tlearn.multitask import next_point_tasks

    args = {"trajectories": torch.zeros(2, 8, 3), "lengths": torch.tensor([6, 6]), "characters": torch.tensor([1, 2])}
    args.update(kwargs)
    with pytest.raises(error):
        next_point_tasks(args.pop("trajectories"), args.pop("lengths"), args.pop("characters"), **args)


def test_next_point_baselines_majority_and_repeat_last_step():
    from tlearn.multitask import next_point_baselines, next_point_tasks

    straight = torch.zeros(3, 6, 3)
    straight[:, :, 0] = torch.arange(6.0)  # every drawing goes straight right: repeating the last step is right
    data = next_point_tasks(straight, torch.full((3,), 6), torch.tensor([0, 1, 2]), seed=0)
    assert next_point_baselines(data) == {"majority": 1.0, "repeat last step": 1.0}


def test_digit_canvases_from_a_named_set_resized():
    from tlearn.multitask import digit_canvases

    multi = digit_canvases("handdigits", 12, seed=0, size=(16, 32))
    assert multi.images.shape == (12, 1, 16, 32) and set(multi.tasks) == {"left", "right"}
    assert torch.equal(digit_canvases("handdigits", 12, seed=0, size=(16, 32)).images, multi.images)
    with pytest.raises(ValueError):
        digit_canvases("handdigits", 0)
