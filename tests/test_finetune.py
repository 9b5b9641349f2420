"""Oracle tests for tlearn.finetune: heads, freezing, parameter groups, unfreezing schedules."""

import pytest
import torch
import torch.nn.functional as F
import torchvision

from tlearn.backbones import Classifier, Conv4, GRUEncoder, ResNet
from tlearn.finetune import (
    backbone_blocks,
    fine_tune,
    freeze,
    layer_groups,
    param_groups,
    replace_head,
    trainable_fraction,
    unfreeze,
    unfreeze_top,
    unfreezing_schedule,
)
from tlearn.pretrain import TrajectoryEncoder


def conv_model(n_classes=5, hidden=8):
    torch.manual_seed(0)
    return Classifier(Conv4(hidden=hidden), n_classes)


def models():
    torch.manual_seed(0)
    return {
        "conv4": Classifier(Conv4(hidden=8), 5),
        "resnet": Classifier(ResNet(widths=(4, 8)), 5),
        "gru": Classifier(TrajectoryEncoder(GRUEncoder(hidden_size=8, num_layers=2)), 5),
        "torchvision": torchvision.models.resnet18(weights=None, num_classes=5),
    }


def tiny_data(n=24, n_classes=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.arange(n) % n_classes


def one_step(model, X, y, optimizer):
    model.train()
    optimizer.zero_grad(set_to_none=True)
    F.cross_entropy(model(X), y).backward()
    optimizer.step()


# --- replace_head --------------------------------------------------------------------------------------
def test_replace_head_gives_fresh_linear_of_right_shape_and_keeps_backbone():
    model = conv_model(n_classes=5)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    old = model.head
    new = replace_head(model, 7)
    assert model.head is new and new is not old
    assert (new.in_features, new.out_features) == (old.in_features, 7)
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, before[k])
    assert model.eval()(torch.rand(2, 1, 28, 28)).shape == (2, 7)


def test_replace_head_seed_is_reproducible_and_leaves_global_rng_alone():
    a, b = conv_model(), conv_model()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    replace_head(a, 4, seed=9)
    assert torch.equal(torch.rand(3), expected_next)
    replace_head(b, 4, seed=9)
    assert torch.equal(a.head.weight, b.head.weight) and torch.equal(a.head.bias, b.head.bias)


def test_replace_head_on_torchvision_model_uses_fc():
    model = torchvision.models.resnet18(weights=None)
    replace_head(model, 3)
    assert model.fc.out_features == 3 and model.eval()(torch.rand(1, 3, 32, 32)).shape == (1, 3)


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, "10", True])
def test_replace_head_rejects_bad_class_count(bad):
    with pytest.raises(ValueError, match="n_classes"):
        replace_head(conv_model(), bad)


def test_replace_head_rejects_model_without_linear_head():
    with pytest.raises(ValueError, match="Classifier"):
        replace_head(Conv4(hidden=4), 3)


# --- blocks and groups ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["conv4", "resnet", "gru", "torchvision"])
def test_layer_groups_partition_every_parameter_exactly_once(name):
    model = models()[name]
    groups = layer_groups(model)
    ids = [id(p) for _, params in groups for p in params]
    assert len(ids) == len(set(ids))
    assert set(ids) == {id(p) for p in model.parameters()}
    head = model.fc if name == "torchvision" else model.head
    assert groups[-1][0] == "head" and {id(p) for p in groups[-1][1]} == {id(p) for p in head.parameters()}


def test_blocks_follow_the_declared_order():
    assert [n for n, _ in backbone_blocks(Conv4(hidden=4))] == [f"blocks.{i}" for i in range(4)]
    assert [n for n, _ in layer_groups(Classifier(ResNet(widths=(4, 8, 16)), 3))] == [
        "stem",
        "stages.0",
        "stages.1",
        "stages.2",
        "head",
    ]
    names = [n for n, _ in backbone_blocks(torchvision.models.resnet18(weights=None))]
    assert names == ["conv1", "bn1", "layer1", "layer2", "layer3", "layer4"]
    assert [n for n, _ in backbone_blocks(TrajectoryEncoder(GRUEncoder(hidden_size=4)))] == ["encoder.gru"]


@pytest.mark.parametrize("decay", [1.0, 0.5])
def test_param_groups_rates_follow_the_formula(decay):
    model = conv_model()
    lr = 1e-3
    groups = param_groups(model, lr, head_mult=10.0, decay=decay)
    assert [g["name"] for g in groups] == ["blocks.0", "blocks.1", "blocks.2", "blocks.3", "head"]
    L = len(groups) - 1
    for depth, g in enumerate(groups[:-1]):
        assert g["lr"] == pytest.approx(lr * decay ** (L - 1 - depth))
    assert groups[-1]["lr"] == pytest.approx(10 * lr)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    # torch accepts the groups as they are and keeps the rates
    opt = torch.optim.SGD([{"params": g["params"], "lr": g["lr"]} for g in groups])
    assert [pg["lr"] for pg in opt.param_groups] == [g["lr"] for g in groups]


def test_param_groups_head_moves_ten_times_further_under_sgd():
    """With plain SGD a step is -lr * grad: the head's step over its gradient is 10x the backbone's."""
    model = conv_model()
    X, y = tiny_data()
    groups = param_groups(model, 1e-2)
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD([{"params": g["params"], "lr": g["lr"]} for g in groups])
    one_step(model, X, y, opt)
    rate = {id(p): g["lr"] for g in groups for p in g["params"]}
    for p, p0 in zip(model.parameters(), before):
        if p.grad is not None and p.grad.abs().sum() > 0:
            torch.testing.assert_close(p0 - p.detach(), rate[id(p)] * p.grad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lr": 0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"head_mult": -1}, "head_mult"),
        ({"decay": 0}, "decay"),
        ({"decay": 1.5}, "decay"),
    ],
)
def test_param_groups_rejects_bad_rates(kwargs, match):
    args = {"lr": 1e-3, **kwargs}
    with pytest.raises(ValueError, match=match):
        param_groups(conv_model(), args.pop("lr"), **args)


# --- freezing ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt_name", ["adam", "sgd_momentum_wd"])
def test_frozen_parameters_get_no_gradient_and_stay_bit_identical(opt_name):
    model = conv_model()
    freeze(model.backbone.blocks[:2])
    frozen = [p for b in model.backbone.blocks[:2] for p in b.parameters()]
    snapshot = [p.detach().clone() for p in frozen]
    trainable_before = [p.detach().clone() for p in model.head.parameters()]
    params = list(model.parameters())  # the optimizer is given everything, frozen included
    opt = (
        torch.optim.Adam(params, lr=1e-2, weight_decay=1e-2)
        if opt_name == "adam"
        else torch.optim.SGD(params, lr=1e-2, momentum=0.9, weight_decay=1e-2)
    )
    X, y = tiny_data()
    for _ in range(2):
        one_step(model, X, y, opt)
    for p, p0 in zip(frozen, snapshot):
        assert p.grad is None and not p.requires_grad
        assert torch.equal(p, p0)
    assert any(not torch.equal(p, p0) for p, p0 in zip(model.head.parameters(), trainable_before))
    unfreeze(model)
    assert all(p.requires_grad for p in model.parameters())


def test_freeze_accepts_parameters_and_rejects_other_things():
    model = conv_model()
    freeze([model.head.weight])
    assert not model.head.weight.requires_grad and model.head.bias.requires_grad
    with pytest.raises(TypeError, match="module"):
        freeze(3)


@pytest.mark.parametrize("n_blocks", range(5))
def test_unfreeze_top_trains_the_head_and_exactly_the_top_blocks(n_blocks):
    model = conv_model()
    unfreeze_top(model, n_blocks)
    groups = layer_groups(model)
    for i, (_, params) in enumerate(groups):
        expected = i >= len(groups) - 1 - n_blocks
        assert all(p.requires_grad == expected for p in params)
    total = sum(p.numel() for p in model.parameters())
    expected_fraction = sum(p.numel() for _, ps in groups[len(groups) - 1 - n_blocks :] for p in ps) / total
    assert trainable_fraction(model) == pytest.approx(expected_fraction)


@pytest.mark.parametrize("bad", [-1, 5, 1.0])
def test_unfreeze_top_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="n_blocks"):
        unfreeze_top(conv_model(), bad)


# --- schedules -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_blocks, epochs", [(4, 10), (4, 5), (4, 13), (1, 6), (0, 3), (4, 3), (4, 2), (6, 4)])
def test_unfreezing_schedule_invariants(n_blocks, epochs):
    s = unfreezing_schedule(n_blocks, epochs)
    assert len(s) == epochs
    assert all(a <= b for a, b in zip(s, s[1:])), "never re-freezes"
    assert s[-1] == n_blocks, "ends with everything unfrozen"
    assert s[0] == 0 or epochs == 1
    if epochs >= n_blocks + 1:  # every stage appears, in equal shares up to one epoch
        counts = [s.count(k) for k in range(n_blocks + 1)]
        assert min(counts) >= 1 and max(counts) - min(counts) <= 1
        assert all(b - a <= 1 for a, b in zip(s, s[1:])), "one block at a time"


def test_unfreezing_schedule_example():
    assert unfreezing_schedule(4, 10) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert unfreezing_schedule(3, 1) == [3]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: unfreezing_schedule(3, 0), ValueError, "epochs"),
        (lambda: unfreezing_schedule(3, True), ValueError, "epochs"),
        (lambda: unfreezing_schedule(-1, 3), ValueError, "n_blocks"),
        (lambda: unfreezing_schedule(2.0, 3), ValueError, "n_blocks"),
        (lambda: layer_groups("a model"), TypeError, "nn.Module"),
        (lambda: backbone_blocks(None), TypeError, "nn.Module"),
        (lambda: trainable_fraction([1]), TypeError, "nn.Module"),
    ],
)
def test_helpers_reject_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- fine_tune -----------------------------------------------------------------------------------------
def test_fine_tune_head_only_leaves_backbone_parameters_untouched():
    model = conv_model()
    snapshot = {n: p.detach().clone() for n, p in model.backbone.named_parameters()}
    head0 = model.head.weight.detach().clone()
    history = fine_tune(model, tiny_data(), method="head", epochs=2, lr=1e-2, progress=False)
    assert len(history["loss"]) == 2
    for n, p in model.backbone.named_parameters():
        assert torch.equal(p, snapshot[n]), n
    assert not torch.equal(model.head.weight, head0)


def test_fine_tune_gradual_moves_lower_blocks_only_once_unfrozen(monkeypatch):
    """A 1-block GRU over 4 epochs: the schedule is [0, 0, 1, 1], so the GRU must be bit-identical
    before epochs 0, 1 and 2 (head only) and must have moved by the end."""
    from tlearn import finetune as ft

    torch.manual_seed(0)
    model = Classifier(TrajectoryEncoder(GRUEncoder(hidden_size=8)), 3)
    X = torch.zeros(12, 6, 3)
    X[:, :, :2] = torch.rand(12, 6, 2)
    X[:, -1, 2] = 1.0
    data = (X, torch.arange(12) % 3)
    stages, snapshots = [], []
    original = ft.unfreeze_top

    def recording(m, k):  # called before epoch 0, then after every epoch but the last
        stages.append(k)
        snapshots.append([p.detach().clone() for p in model.backbone.parameters()])
        return original(m, k)

    monkeypatch.setattr(ft, "unfreeze_top", recording)
    fine_tune(model, data, method="gradual", epochs=4, lr=1e-2, progress=False)
    assert stages == unfreezing_schedule(1, 4) == [0, 0, 1, 1]
    for before_epoch in (1, 2):
        assert all(torch.equal(a, b) for a, b in zip(snapshots[0], snapshots[before_epoch]))
    assert any(not torch.equal(a, p) for a, p in zip(snapshots[0], model.backbone.parameters()))
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"method": "everything"}, "method"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"lr": 0.0}, "lr"),
        ({"head_mult": float("nan")}, "head_mult"),
        ({"decay": 2.0}, "decay"),
        ({"method": "gradual", "trainable_blocks": 1}, "gradual"),
        ({"method": "head", "trainable_blocks": 2}, "head alone"),
        ({"trainable_blocks": 9}, "n_blocks"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_fine_tune_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fine_tune(conv_model(), tiny_data(), progress=False, **kwargs)


@pytest.mark.parametrize("freeze_bn", [False, True])
def test_head_only_updates_batch_norm_statistics_unless_frozen(freeze_bn):
    """ "0 unfrozen blocks" still moves the backbone's batch-norm running statistics in train mode;
    freeze_bn=True keeps them as stored (and the affine parameters never move)."""
    model = conv_model()
    stats = {n: b.clone() for n, b in model.backbone.named_buffers() if "running" in n}
    fine_tune(model, tiny_data(), method="head", epochs=1, lr=1e-2, progress=False, freeze_bn=freeze_bn)
    moved = [n for n, b in model.backbone.named_buffers() if "running" in n and not torch.equal(b, stats[n])]
    assert (moved == []) == freeze_bn, moved
    assert not model.training  # fit leaves the model in eval mode
    assert not any(m._forward_pre_hooks for m in model.modules())  # the hooks are removed


def test_freeze_bn_lets_unfrozen_blocks_update_their_statistics():
    model = conv_model()
    stats = [b.clone() for b in model.backbone.blocks[3].buffers()]
    low = [b.clone() for n, b in model.backbone.blocks[0].named_buffers() if "running" in n]
    fine_tune(model, tiny_data(), method="layerwise", trainable_blocks=1, epochs=1, progress=False, freeze_bn=True)
    assert any(not torch.equal(a, b) for a, b in zip(stats, model.backbone.blocks[3].buffers()))
    assert all(
        torch.equal(a, b)
        for a, b in zip(low, [b for n, b in model.backbone.blocks[0].named_buffers() if "running" in n])
    )


def test_fine_tune_equals_fit_classifier_over_layerwise_param_groups():
    """Oracle: fine_tune('layerwise') is fit_classifier with Adam over param_groups, nothing else."""
    from tlearn.train import fit_classifier

    a, b = conv_model(), conv_model()
    fine_tune(a, tiny_data(), method="layerwise", lr=1e-3, head_mult=10, epochs=2, batch_size=8, seed=5, progress=False)
    groups = param_groups(b, 1e-3, head_mult=10)
    optimizer = torch.optim.Adam([{"params": g["params"], "lr": g["lr"]} for g in groups])
    fit_classifier(b, tiny_data(), epochs=2, batch_size=8, optimizer=optimizer, seed=5, progress=False)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_fine_tune_is_deterministic_for_a_seed():
    a, b = conv_model(), conv_model()
    fine_tune(a, tiny_data(), method="layerwise", epochs=2, lr=1e-3, seed=3, progress=False)
    fine_tune(b, tiny_data(), method="layerwise", epochs=2, lr=1e-3, seed=3, progress=False)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


# --- fine_tune_run and the panel -----------------------------------------------------------------------
def tiny_sets(n_per_class=6, n_classes=3):
    from tlearn.data import ImageSet

    g = torch.Generator().manual_seed(0)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    X = torch.rand(len(y), 1, 28, 28, generator=g) * 0.2
    X[torch.arange(len(y)), 0, 4 + 6 * y, 4 + 6 * y] = 1.0  # a class-dependent bright pixel
    return ImageSet(X, y), ImageSet(X.clone(), y.clone())


def test_fine_tune_run_uses_the_budget_and_equals_a_manual_run():
    from tlearn.finetune import fine_tune_run
    from tlearn.train import evaluate

    pool, test = tiny_sets()
    make = lambda: Classifier(Conv4(hidden=4), 3)  # noqa: E731
    out = fine_tune_run(
        make, pool, test, labels_per_class=2, method="layerwise", lr=1e-3, steps=5, batch_size=4, seed=1
    )
    assert out["n_train"] == 6 and out["epochs"] == 4  # ceil(5 steps * 4 / 6 examples)
    torch.manual_seed(1)
    manual = make()
    picked, _ = pool.take_per_class(2, seed=1)
    fine_tune(manual, picked, method="layerwise", lr=1e-3, epochs=4, batch_size=4, seed=1, progress=False)
    assert out["accuracy"] == evaluate(manual, test)


@pytest.mark.parametrize(
    "make, kwargs, error, match",
    [
        (None, {}, TypeError, "make_model"),
        ("ok", {"steps": 0}, ValueError, "steps"),
        ("ok", {"min_epochs": 0}, ValueError, "min_epochs"),
        ("ok", {"inputs": "trajectories"}, TypeError, "trajectories"),
        ("ok", {"labels_per_class": 99}, ValueError, "smallest class"),
    ],
)
def test_fine_tune_run_rejects_bad_arguments(make, kwargs, error, match):
    from tlearn.finetune import fine_tune_run

    pool, test = tiny_sets()
    make = (lambda: Classifier(Conv4(hidden=4), 3)) if make == "ok" else make
    with pytest.raises(error, match=match):
        fine_tune_run(make, pool, test, **kwargs)


def test_fine_tune_with_trainable_blocks_freezes_the_rest():
    model = conv_model()
    low = [p.detach().clone() for p in model.backbone.blocks[0].parameters()]
    fine_tune(model, tiny_data(), method="layerwise", trainable_blocks=2, epochs=1, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(model.backbone.blocks[0].parameters(), low))
    assert not any(p.requires_grad for p in model.backbone.blocks[1].parameters())
    assert all(p.requires_grad for p in model.backbone.blocks[2].parameters())


def test_fine_tune_panel_trains_what_its_controls_say():
    from tlearn import widgets
    from tlearn.finetune import fine_tune_run

    pool, test = tiny_sets()
    make = lambda: Classifier(Conv4(hidden=4), 3)  # noqa: E731
    panel = widgets.fine_tune_panel(
        make,
        pool,
        test,
        n_blocks=4,
        budgets=(1, 2),
        steps=3,
        batch_size=4,
        curve=([1, 2], {"a": [0.5, 0.6], "b": [0.4, 0.7]}),
    )
    widgets.drive(panel, click="train", lr=1e-2, blocks=1, labels=2)
    expected = fine_tune_run(
        make,
        pool,
        test,
        labels_per_class=2,
        method="layerwise",
        lr=panel.controls["lr"].value,
        trainable_blocks=1,
        steps=3,
        batch_size=4,
    )
    assert panel.runs[-1]["accuracy"] == expected["accuracy"] and panel.runs[-1]["blocks"] == 1
    assert panel.output.last_figure is not None

    def broken():
        raise RuntimeError("no model today")

    bad = widgets.fine_tune_panel(broken, pool, test, n_blocks=4, budgets=(1,), steps=2)
    with pytest.raises(RuntimeError, match="no model today"):
        widgets.drive(bad, click="train")
