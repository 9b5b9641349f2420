"""Oracle tests for tlearn.features: hooks vs a manual forward, pooling vs its formula, caching, probes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from sklearn.linear_model import LogisticRegression
from torchvision.models.feature_extraction import create_feature_extractor

from tlearn.backbones import Conv4, GRUEncoder
from tlearn.features import (
    FeatureCache,
    LayerTaps,
    extract_features,
    fit_probe,
    pool_features,
    probe_accuracy,
    tap_points,
)
from tlearn.pretrain import TrajectoryEncoder


def conv4(hidden=8):
    torch.manual_seed(0)
    model = Conv4(hidden=hidden)
    with torch.no_grad():  # non-trivial batch-norm statistics, so eval mode matters
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model


def images(n=10, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def manual_block_outputs(model, x):
    outs = []
    model.eval()
    with torch.no_grad():
        for block in model.blocks:
            x = block(x)
            outs.append(x)
    return outs


def test_taps_equal_a_manual_forward_through_the_blocks():
    model = conv4().eval()
    x = images()
    with LayerTaps(model, tap_points(model)) as taps, torch.no_grad():
        out = model(x)
    manual = manual_block_outputs(model, x)
    assert list(taps.outputs) == [f"blocks.{i}" for i in range(4)]
    for i, expected in enumerate(manual):
        assert torch.equal(taps.outputs[f"blocks.{i}"], expected)
    assert torch.equal(out, manual[-1].flatten(1))


def test_taps_are_removed_on_exit():
    model = conv4()
    with LayerTaps(model, ["blocks.1"]):
        assert len(model.blocks[1]._forward_hooks) == 1
    assert len(model.blocks[1]._forward_hooks) == 0


def test_taps_match_torchvision_feature_extractor_on_resnet18():
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    layers = ["layer1", "layer2", "layer3", "layer4"]
    x = torch.rand(2, 3, 32, 32)
    with LayerTaps(model, layers) as taps, torch.no_grad():
        model(x)
    reference = create_feature_extractor(model, return_nodes=layers).eval()
    with torch.no_grad():
        expected = reference(x)
    for name in layers:
        torch.testing.assert_close(taps.outputs[name], expected[name])


def test_pool_features_matches_direct_formulas():
    x = torch.rand(3, 5, 4, 4)
    torch.testing.assert_close(pool_features(x, 1), x.mean(dim=(2, 3)))
    quadrants = torch.stack(
        [
            x[:, :, :2, :2].mean((2, 3)),
            x[:, :, :2, 2:].mean((2, 3)),
            x[:, :, 2:, :2].mean((2, 3)),
            x[:, :, 2:, 2:].mean((2, 3)),
        ],
        dim=-1,
    )
    torch.testing.assert_close(pool_features(x, 2), quadrants.flatten(1))
    one = torch.rand(3, 5, 1, 1)
    assert torch.equal(pool_features(one, 2), one.flatten(1))  # the grid never exceeds the map
    flat = torch.rand(3, 7)
    assert pool_features(flat, 2) is flat


@pytest.mark.parametrize("pool", [1, 2])
def test_extract_features_equals_pooled_manual_forward_and_restores_mode(pool):
    model = conv4().train()
    x = images(13)
    feats = extract_features(model, x, pool=pool, batch_size=4, device="cpu")
    assert model.training, "the backbone's mode is restored"
    manual = manual_block_outputs(model, x)
    assert list(feats) == [f"blocks.{i}" for i in range(4)] + ["output"]
    for i, expected in enumerate(manual):
        torch.testing.assert_close(feats[f"blocks.{i}"], pool_features(expected, pool))
    torch.testing.assert_close(feats["output"], manual[-1].flatten(1))


def test_extract_features_does_not_depend_on_batch_size():
    model = conv4()
    x = images(9)
    a = extract_features(model, x, batch_size=2, device="cpu")
    b = extract_features(model, x, batch_size=256, device="cpu")
    for name in a:
        torch.testing.assert_close(a[name], b[name])


def test_extract_features_for_a_sequence_encoder_takes_a_tuple_of_inputs():
    torch.manual_seed(0)
    encoder = GRUEncoder(hidden_size=6, pool="mean").eval()
    X = torch.rand(5, 7, 3)
    lengths = torch.tensor([7, 3, 5, 1, 2])
    feats = extract_features(encoder, (X, lengths), layers=[], device="cpu")
    with torch.no_grad():
        expected = encoder(X, lengths)
    assert list(feats) == ["output"]
    torch.testing.assert_close(feats["output"], expected)


def test_feature_cache_reuses_and_invalidates(tmp_path):
    model = conv4()
    x = images(6)
    cache = FeatureCache(tmp_path)
    first = extract_features(model, x, cache=cache, device="cpu")
    again = extract_features(model, x, cache=cache, device="cpu")
    assert again is first and (cache.hits, cache.misses) == (1, 1)
    with torch.no_grad():
        model.blocks[0][0].weight.add_(0.1)  # a changed weight must never hit the old entry
    changed = extract_features(model, x, cache=cache, device="cpu")
    assert cache.misses == 2 and not torch.equal(changed["output"], first["output"])
    encoder = GRUEncoder(hidden_size=4)
    X, lengths = torch.rand(3, 5, 3), torch.tensor([5, 2, 3])
    last = extract_features(encoder, (X, lengths), [], cache=cache, device="cpu")
    encoder.pool = "mean"  # same weights, another read-out: must not come from the cache
    mean = extract_features(encoder, (X, lengths), [], cache=cache, device="cpu")
    assert not torch.equal(last["output"], mean["output"])
    fresh = FeatureCache(tmp_path)  # a new session loads from disk
    loaded = extract_features(model, x, cache=fresh, device="cpu")
    assert fresh.hits == 1 and all(torch.equal(loaded[k], changed[k]) for k in loaded)


# --- probes --------------------------------------------------------------------------------------------
def test_linear_probe_equals_sklearn_logistic_regression():
    """Mean cross-entropy + (wd/2)||W||^2 on standardised features is sklearn's objective with C = 1/(N wd)."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(60, 5, generator=g) * torch.tensor([1.0, 3.0, 0.5, 2.0, 1.0]) + 2.0
    y = (X[:, 0] + 0.3 * X[:, 1] + 0.5 * torch.randn(60, generator=g) > 2.5).long() + (X[:, 2] > 2.3).long()
    wd = 0.05
    probe = fit_probe(X, y, kind="linear", weight_decay=wd, steps=500)
    Z = ((X - X.mean(0)) / X.std(0, unbiased=False)).double().numpy()
    reference = LogisticRegression(C=1 / (len(X) * wd), tol=1e-10, max_iter=10_000).fit(Z, y.numpy())
    with torch.no_grad():
        ours = F.softmax(probe(X), 1).double().numpy()
    np.testing.assert_allclose(ours, reference.predict_proba(Z), atol=2e-3)


def test_mlp_probe_solves_xor_where_a_linear_probe_cannot():
    g = torch.Generator().manual_seed(1)
    X = torch.rand(200, 2, generator=g) * 2 - 1
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).long()
    linear = probe_accuracy(fit_probe(X, y, kind="linear"), X, y)
    mlp = probe_accuracy(fit_probe(X, y, kind="mlp", hidden=32, steps=500, weight_decay=1e-4), X, y)
    assert mlp > 0.95 and linear < 0.75


def test_probe_is_deterministic_for_a_seed():
    X, y = torch.randn(30, 4), torch.arange(30) % 3
    a = fit_probe(X, y, kind="mlp", seed=4, steps=20)
    b = fit_probe(X, y, kind="mlp", seed=4, steps=20)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize(
    "features, labels, kwargs, match",
    [
        (torch.randn(4, 3), torch.arange(4), {"kind": "svm"}, "kind"),
        (torch.randn(4, 3, 2), torch.arange(4), {}, "2-D"),
        (torch.randn(4, 3), torch.arange(5), {}, "one label per row"),
        (torch.tensor([[0.0, float("nan")]] * 4), torch.arange(4), {}, "NaN"),
        (torch.randn(4, 3), torch.arange(4), {"n_classes": 2}, "labels must lie"),
        (torch.randn(4, 3), torch.arange(4), {"steps": 0}, "steps"),
    ],
)
def test_fit_probe_rejects_bad_input(features, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_probe(features, labels, **kwargs)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: extract_features(m, images(2), pool=0), ValueError, "pool"),
        (lambda m: extract_features(m, images(2), layers=["block9"]), ValueError, "not submodules"),
        (lambda m: LayerTaps(m, "blocks.0"), TypeError, "list of names"),
        (lambda m: extract_features(m, images(0)), ValueError, "empty"),
        (lambda m: extract_features(m, [1, 2, 3]), TypeError, "ImageSet"),
        (lambda m: extract_features(m, images(2), batch_size=0), ValueError, "batch_size"),
        (lambda m: extract_features("not a model", images(2)), TypeError, "nn.Module"),
    ],
)
def test_extract_features_rejects_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(conv4())


def test_mlp_probe_is_full_batch_adam_on_the_penalised_loss():
    """Oracle: the MLP probe trained through train.fit equals a hand-written full-batch Adam loop."""
    import torch.nn.functional as F

    from tlearn.features import Probe

    X, y = torch.randn(40, 6), torch.arange(40) % 4
    probe = fit_probe(X, y, kind="mlp", hidden=8, steps=15, lr=1e-2, weight_decay=1e-2, seed=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        manual = Probe(6, 4, hidden=8)
    manual.mean.copy_(X.mean(0))
    manual.std.copy_(X.std(0, unbiased=False).clamp_min(1e-6))
    optimizer = torch.optim.Adam(manual.parameters(), lr=1e-2)
    for _ in range(15):
        penalty = sum((w**2).sum() for n, w in manual.named_parameters() if n.endswith("weight"))
        loss = F.cross_entropy(manual(X), y) + 0.5 * 1e-2 * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for p, q in zip(probe.parameters(), manual.parameters()):
        torch.testing.assert_close(p, q)
    assert not probe.training


def test_only_the_convex_probe_calls_backward():
    from pathlib import Path

    import tlearn.probes

    assert Path(tlearn.probes.__file__).read_text().count(".backward()") == 1  # the L-BFGS closure


def test_per_class_indices_pick_what_take_per_class_picks():
    """Notebook 07 indexes cached features with per_class_indices and trains on take_per_class subsets:
    the two must pick the same examples for a seed."""
    from tlearn.data import ImageSet
    from tlearn.features import per_class_indices

    y = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2, 1])
    pool = ImageSet(torch.arange(len(y), dtype=torch.float32).view(-1, 1, 1, 1), y)
    for k, seed in [(1, 0), (2, 3), (3, 7)]:
        picked, _ = pool.take_per_class(k, seed=seed)
        idx = per_class_indices(y, k, seed=seed)
        assert torch.equal(picked.images.flatten().long(), idx) and torch.equal(picked.targets, y[idx])


def test_sequence_output_tapped_inside_gru_is_refused_with_advice():
    encoder = TrajectoryEncoder(GRUEncoder(hidden_size=4))
    X = torch.zeros(2, 5, 3)
    X[:, -1, 2] = 1
    with pytest.raises(ValueError, match="layers=\\[\\]"):
        extract_features(encoder, X, device="cpu")  # the GRU module's output is a packed sequence


def test_probe_budget_averages_probe_layers_over_draws():
    from tlearn.features import per_class_indices, probe_budget, probe_layers

    g = torch.Generator().manual_seed(0)
    y = torch.arange(4).repeat(10)
    pool = {"a": torch.randn(40, 3, generator=g) + y[:, None], "b": torch.randn(40, 5, generator=g)}
    ty = torch.arange(4).repeat(5)
    test = {"a": torch.randn(20, 3, generator=g) + ty[:, None], "b": torch.randn(20, 5, generator=g)}
    got = probe_budget(pool, y, test, ty, 2, draws=3, seed=7)
    manual = {"a": 0.0, "b": 0.0}
    for d in range(3):
        idx = per_class_indices(y, 2, seed=7 + d)
        assert torch.equal(torch.bincount(y[idx]), torch.full((4,), 2))
        for k, v in probe_layers({n: f[idx] for n, f in pool.items()}, y[idx], test, ty).items():
            manual[k] += v / 3
    assert got == pytest.approx(manual)
    with pytest.raises(ValueError, match="smallest class"):
        per_class_indices(y, 11)
    with pytest.raises(ValueError, match="draws"):
        probe_budget(pool, y, test, ty, 2, draws=0)


def test_probe_panel_fits_the_chosen_layer_and_probe():
    from tlearn import widgets

    g = torch.Generator().manual_seed(0)
    y = torch.arange(3).repeat(8)
    train = {"low": torch.randn(24, 4, generator=g), "high": torch.randn(24, 6, generator=g) + y[:, None]}
    test = {k: v.clone() for k, v in train.items()}
    panel = widgets.probe_panel(train, y, test, y)
    widgets.drive(panel, layer="low", probe="mlp")
    expected = probe_accuracy(fit_probe(train["low"], y, kind="mlp", n_classes=3, seed=0), test["low"], y)
    assert panel.results[("low", "mlp")] == expected
    assert "low" in panel.output.last_figure.axes[0].get_title()
    with pytest.raises(ValueError, match="empty"):
        widgets.probe_panel({}, y, test, y)


def test_layer_and_curve_plots_draw_what_they_are_given():
    import matplotlib

    matplotlib.use("Agg")
    from tlearn import viz

    fig = viz.plot_learning_curve([1, 5, 20], {"scratch": [0.2, 0.5, 0.8], "tuned": [0.5, 0.7, 0.85]})
    lines = [l for l in fig.axes[0].get_lines() if l.get_label() in ("scratch", "tuned")]
    assert [list(l.get_ydata()) for l in lines] == [[0.2, 0.5, 0.8], [0.5, 0.7, 0.85]]
    with pytest.raises(ValueError, match="one per budget"):
        viz.plot_learning_curve([1, 5], {"scratch": [0.2]})
    fig = viz.plot_layer_accuracy(["a", "b", "c"], {"near": [0.1, 0.9, 0.5]})
    star = [l for l in fig.axes[0].get_lines() if l.get_marker() == "*"][0]
    assert list(star.get_xdata()) == [1] and list(star.get_ydata()) == [0.9]
    with pytest.raises(ValueError, match="3 layers"):
        viz.plot_layer_accuracy(["a", "b", "c"], {"near": [0.1]})
    fig = viz.plot_accuracy_and_time([{"method": "m", "accuracy": 0.5, "seconds": 2.0}])
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="seconds"):
        viz.plot_accuracy_and_time([{"method": "m", "accuracy": 0.5}])
