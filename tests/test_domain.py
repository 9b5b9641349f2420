"""Oracle tests for tlearn.domain: each loss against its definition, written out the slow way."""

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from tlearn import domain
from tlearn.domain import (
    DomainDiscriminator,
    GradientReversal,
    coral,
    domain_adversarial_loss,
    gap_recovered,
    gradient_reversal,
    lambda_schedule,
    learning_rate_schedule,
    median_bandwidth,
    mmd,
    proxy_a_distance,
)
from tlearn.train import History


def gaussian(a, b, sigmas):
    """The multi-kernel, one pair at a time."""
    d2 = sum((float(u) - float(v)) ** 2 for u, v in zip(a, b))
    return sum(math.exp(-d2 / (2 * s * s)) for s in sigmas) / len(sigmas)


def brute_force_mmd(x, y, sigmas, estimator):
    m, n = len(x), len(y)
    if estimator == "linear":
        b = min(m, n) // 2
        total = 0.0
        for i in range(b):
            x1, x2, y1, y2 = x[2 * i], x[2 * i + 1], y[2 * i], y[2 * i + 1]
            total += gaussian(x1, x2, sigmas) + gaussian(y1, y2, sigmas)
            total -= gaussian(x1, y2, sigmas) + gaussian(x2, y1, sigmas)
        return total / b
    skip_self = estimator == "unbiased"
    xx = [gaussian(x[i], x[j], sigmas) for i in range(m) for j in range(m) if not (skip_self and i == j)]
    yy = [gaussian(y[i], y[j], sigmas) for i in range(n) for j in range(n) if not (skip_self and i == j)]
    xy = [gaussian(x[i], y[j], sigmas) for i in range(m) for j in range(n)]
    return sum(xx) / len(xx) + sum(yy) / len(yy) - 2 * sum(xy) / len(xy)


# ---------------------------------------------------------------- gradient reversal
@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 7.5])
def test_gradient_reversal_is_identity_forward_and_flips_and_scales_backward(lam):
    torch.manual_seed(0)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(5, 3, dtype=torch.float64)
    y = gradient_reversal(x, lam)
    assert torch.equal(y, x)
    y.backward(upstream)
    assert torch.equal(x.grad, -lam * upstream)


def test_gradient_reversal_module_follows_its_lambda():
    layer = GradientReversal(2.0)
    x = torch.ones(4, requires_grad=True)
    layer(x).sum().backward()
    assert torch.equal(x.grad, torch.full((4,), -2.0))
    layer.lambda_ = 0.5
    x.grad = None
    (3 * layer(x)).sum().backward()
    assert torch.equal(x.grad, torch.full((4,), -1.5))


def test_gradient_reversal_in_a_chain_reverses_only_what_lies_below_it():
    w = torch.tensor(2.0, requires_grad=True)  # below the layer: reversed
    v = torch.tensor(3.0, requires_grad=True)  # above the layer: untouched
    (v * gradient_reversal(w * 5.0, 0.5)).backward()
    assert w.grad.item() == pytest.approx(-0.5 * 3.0 * 5.0)
    assert v.grad.item() == pytest.approx(10.0)


# ---------------------------------------------------------------- schedules
@pytest.mark.parametrize("p", [0.0, 0.05, 0.1, 0.33, 0.5, 0.9, 1.0])
def test_lambda_schedule_matches_its_equation(p):
    assert lambda_schedule(p) == pytest.approx(2 / (1 + math.exp(-10 * p)) - 1, abs=1e-15)
    assert lambda_schedule(p, gamma=3.0) == pytest.approx(2 / (1 + math.exp(-3 * p)) - 1, abs=1e-15)


def test_lambda_schedule_starts_at_zero_and_rises_towards_one():
    values = [lambda_schedule(p) for p in np.linspace(0, 1, 21)]
    assert values[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(values))
    assert 0.999 < values[-1] < 1.0


@pytest.mark.parametrize("p", [0.0, 0.25, 0.7, 1.0])
def test_learning_rate_schedule_matches_its_equation(p):
    assert learning_rate_schedule(p) == pytest.approx(0.01 / (1 + 10 * p) ** 0.75, abs=1e-15)
    assert learning_rate_schedule(p, mu0=0.1, alpha=5, beta=0.5) == pytest.approx(0.1 / (1 + 5 * p) ** 0.5)


# ---------------------------------------------------------------- discriminator and adversarial loss
def test_domain_adversarial_loss_matches_direct_formula_and_accuracy():
    torch.manual_seed(1)
    disc = DomainDiscriminator(4, hidden_sizes=(8,))
    fs, ft = torch.randn(6, 4), torch.randn(10, 4) + 0.5
    out = domain_adversarial_loss(disc, fs, ft, lambda_=0.7)
    ls, lt = disc(fs), disc(ft)
    # -log(1 - sigmoid) for source (label 0), -log(sigmoid) for target (label 1), each domain weighs one half
    expected = 0.5 * (-torch.log(1 - torch.sigmoid(ls)).mean() - torch.log(torch.sigmoid(lt)).mean())
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-5)
    expected_acc = 0.5 * ((ls < 0).float().mean() + (lt > 0).float().mean())
    assert out.accuracy == pytest.approx(expected_acc.item())


def test_domain_adversarial_loss_reverses_the_feature_gradient_and_not_the_discriminators():
    torch.manual_seed(2)
    disc = DomainDiscriminator(3, hidden_sizes=(5,))
    fs = torch.randn(4, 3, requires_grad=True)
    ft = torch.randn(4, 3, requires_grad=True)
    domain_adversarial_loss(disc, fs, ft, lambda_=0.25).loss.backward()
    reversed_grads = (fs.grad.clone(), ft.grad.clone())
    disc_grads = [p.grad.clone() for p in disc.parameters()]

    fs.grad = ft.grad = None
    disc.zero_grad()
    ls, lt = disc(fs), disc(ft)
    plain = 0.5 * (
        nn.functional.binary_cross_entropy_with_logits(ls, torch.zeros(4))
        + nn.functional.binary_cross_entropy_with_logits(lt, torch.ones(4))
    )
    plain.backward()
    torch.testing.assert_close(reversed_grads[0], -0.25 * fs.grad)
    torch.testing.assert_close(reversed_grads[1], -0.25 * ft.grad)
    for g, p in zip(disc_grads, disc.parameters()):
        torch.testing.assert_close(g, p.grad)


def test_discriminator_shapes_and_logistic_variant():
    assert DomainDiscriminator(7)(torch.randn(5, 7)).shape == (5,)
    logistic = DomainDiscriminator(7, hidden_sizes=())
    assert [type(m) for m in logistic.net] == [nn.Linear]


# ---------------------------------------------------------------- MMD
@pytest.mark.parametrize("estimator", ["biased", "unbiased", "linear"])
@pytest.mark.parametrize("sigmas", [[1.0], [0.5, 1.0, 3.0]])
def test_mmd_equals_brute_force_double_sum(estimator, sigmas):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(7, 3, generator=g, dtype=torch.float64)
    y = torch.randn(9, 3, generator=g, dtype=torch.float64) + 0.7
    got = mmd(x, y, estimator=estimator, bandwidths=sigmas).item()
    assert got == pytest.approx(brute_force_mmd(x.tolist(), y.tolist(), sigmas, estimator), rel=1e-10, abs=1e-12)


def test_median_bandwidth_is_the_median_pairwise_distance_of_the_pooled_sample():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(6, 2, generator=g, dtype=torch.float64)
    y = torch.randn(5, 2, generator=g, dtype=torch.float64) * 2
    z = torch.cat([x, y]).tolist()
    distances = sorted(math.dist(a, b) for a, b in itertools.combinations(z, 2))
    assert median_bandwidth(x, y) == pytest.approx(distances[(len(distances) - 1) // 2], rel=1e-10)


@pytest.mark.parametrize("estimator", ["biased", "unbiased", "linear"])
def test_mmd_with_batch_bandwidths_uses_median_times_multipliers(estimator):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(8, 3, generator=g, dtype=torch.float64)
    y = torch.randn(8, 3, generator=g, dtype=torch.float64) + 1
    sigma = median_bandwidth(x, y)
    got = mmd(x, y, estimator=estimator, multipliers=(0.5, 2.0)).item()
    assert got == pytest.approx(brute_force_mmd(x.tolist(), y.tolist(), [0.5 * sigma, 2 * sigma], estimator))


# the linear-time estimator averages only n/2 terms, so its noise around 0 is several times larger
@pytest.mark.parametrize("estimator, tolerance", [("biased", 0.01), ("unbiased", 0.005), ("linear", 0.03)])
def test_mmd_is_near_zero_for_one_distribution_and_clearly_positive_for_shifted_ones(estimator, tolerance):
    g = torch.Generator().manual_seed(6)
    x, y = torch.randn(400, 5, generator=g), torch.randn(400, 5, generator=g)
    same = mmd(x, y, estimator=estimator).item()
    shifted = mmd(x, y + 1.0, estimator=estimator).item()
    assert abs(same) < tolerance
    assert shifted > 0.08
    assert shifted > 3 * tolerance


def test_unbiased_mmd_has_mean_zero_for_one_distribution_and_goes_negative_while_biased_stays_above():
    g = torch.Generator().manual_seed(7)
    unbiased, biased = [], []
    for _ in range(40):
        x, y = torch.randn(20, 2, generator=g), torch.randn(20, 2, generator=g)
        unbiased.append(mmd(x, y, estimator="unbiased", bandwidths=1.0).item())
        biased.append(mmd(x, y, estimator="biased", bandwidths=1.0).item())
    # the unbiased estimate has mean 0 here (not median 0): negative in a good share of the draws
    assert 0.2 < np.mean(np.array(unbiased) < 0) < 0.8
    assert abs(np.mean(unbiased)) < 0.25 * np.mean(biased)
    # the biased one is pushed up by the self-pairs k(x_i, x_i) = 1: about 1/m + 1/n above the unbiased one
    assert np.mean(biased) - np.mean(unbiased) == pytest.approx(0.1 * (1 - np.mean(biased)), rel=0.5)


def test_mmd_is_differentiable():
    x = torch.randn(10, 3, requires_grad=True)
    y = torch.randn(10, 3) + 1
    mmd(x, y).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


# ---------------------------------------------------------------- CORAL
def test_coral_matches_its_formula_with_numpy_covariances():
    rng = np.random.default_rng(8)
    xs, xt = rng.normal(size=(30, 4)), rng.normal(size=(20, 4)) @ rng.normal(size=(4, 4))
    cs, ct = np.cov(xs, rowvar=False), np.cov(xt, rowvar=False)
    expected = np.sum((cs - ct) ** 2) / (4 * 4**2)
    assert coral(torch.from_numpy(xs), torch.from_numpy(xt)).item() == pytest.approx(expected, rel=1e-10)


def test_coral_is_zero_for_equal_covariances_whatever_the_means():
    x = torch.randn(50, 3, dtype=torch.float64)
    assert coral(x, x + 5.0).item() == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- proxy A-distance
def test_proxy_a_distance_is_near_zero_for_one_distribution_and_near_two_for_separated_ones():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(400, 5)), rng.normal(size=(400, 5))
    assert proxy_a_distance(x, y) < 0.3
    assert proxy_a_distance(x, y + 4.0) > 1.9


def test_proxy_a_distance_equals_two_times_one_minus_twice_the_held_out_error():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 3)) + 0.6
    got = proxy_a_distance(x, y, seed=3)
    r = np.random.default_rng(3)
    xs, xt = x[r.choice(100, 100, replace=False)], y[r.choice(100, 100, replace=False)]
    pooled, d = np.concatenate([xs, xt]), np.repeat([0.0, 1.0], 100)
    a, b, da, db = train_test_split(pooled, d, test_size=100, stratify=d, random_state=3)
    scaler = StandardScaler().fit(a)
    clf = LogisticRegression(max_iter=2000).fit(scaler.transform(a), da)
    err = np.mean(clf.predict(scaler.transform(b)) != db)
    assert got == pytest.approx(2 * (1 - 2 * err))


def test_proxy_a_distance_accepts_tensors_and_is_deterministic():
    x, y = torch.randn(60, 3), torch.randn(80, 3) + 1
    assert proxy_a_distance(x, y, seed=1) == proxy_a_distance(x.numpy(), y.numpy(), seed=1)


# ---------------------------------------------------------------- gap recovered
def test_gap_recovered_matches_definition():
    assert gap_recovered(0.7, 0.5, 0.9) == pytest.approx(0.5)
    assert gap_recovered(0.5, 0.5, 0.9) == 0.0
    assert gap_recovered(0.4, 0.5, 0.9) == pytest.approx(-0.25)


# ---------------------------------------------------------------- batch norm per domain (AdaBN)
def test_adapt_batch_norm_sets_running_statistics_to_those_of_the_data():
    torch.manual_seed(11)
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3))
    x = torch.randn(50, 2, 4, 4) * 3 + 1
    domain.adapt_batch_norm(model, x, batch_size=10)  # five equal batches: the average must cover all of them
    with torch.no_grad():
        h = model[0](x)
    torch.testing.assert_close(model[1].running_mean, h.mean((0, 2, 3)))
    n = h.numel() / 3
    # batch norm keeps each batch's unbiased variance around that batch's mean; their average is close to
    # the variance of all the data (it misses the small spread of the batch means), so compare loosely
    torch.testing.assert_close(model[1].running_var, h.var((0, 2, 3)) * n / (n - 1), rtol=0.05, atol=0)
    assert model[1].momentum == 0.1  # restored


# ---------------------------------------------------------------- the training loop
def moons_data(rotation=30.0, n=200):
    from tlearn.data import moons

    return moons(n, seed=0), moons(n, rotation=rotation, seed=1)


def fresh_network(seed=0):
    torch.manual_seed(seed)
    return domain.ShallowNetwork()


@pytest.mark.parametrize("method", domain.ADAPTATION_METHODS)
def test_adapt_is_deterministic_and_records_its_history(method):
    (xs, ys), (xt, _) = moons_data()
    runs = [
        domain.adapt(method, fresh_network(), (xs, ys), xt, steps=30, batch_size=32, lr=0.3, seed=4, device="cpu")
        for _ in range(2)
    ]
    for a, b in zip(runs[0].model.parameters(), runs[1].model.parameters()):
        assert torch.equal(a, b)
    history = runs[0].history
    assert all(len(history[k]) == 30 for k in ("task_loss", "domain_loss", "domain_accuracy", "lambda", "lr"))
    # fit's progress is p = step / steps, so the last step is at p = 29/30
    assert history["lr"][0] == pytest.approx(0.3) and history["lr"][-1] == pytest.approx(
        0.3 / (1 + 10 * 29 / 30) ** 0.75
    )
    if method == "source_only":
        assert all(math.isnan(v) for v in history["domain_loss"])
    else:
        assert history["lambda"][0] == 0.0 and history["lambda"][-1] == pytest.approx(lambda_schedule(29 / 30))
        assert all(math.isfinite(v) for v in history["domain_loss"])
    assert (runs[0].discriminator is not None) == (method == "dann")


def test_source_only_never_sees_the_target():
    (xs, ys), (xt, _) = moons_data()
    a = domain.adapt("source_only", fresh_network(), (xs, ys), xt, steps=20, batch_size=32, seed=0, device="cpu")
    b = domain.adapt("source_only", fresh_network(), (xs, ys), xt * 100, steps=20, batch_size=32, seed=0, device="cpu")
    for p, q in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(p, q)


def test_dann_on_two_moons_turns_the_boundary_with_the_target():
    source_only = domain.two_moons_adaptation("source_only", rotation=30, weight=0, seed=0)
    dann = domain.two_moons_adaptation("dann", rotation=30, weight=6, seed=0)
    assert dann.source_accuracy > 0.9
    assert dann.target_accuracy > source_only.target_accuracy + 0.08


# ---------------------------------------------------------------- pictures and the panel
def test_plots_return_figures():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from tlearn import viz

    run = domain.two_moons_adaptation("dann", steps=20, seed=0)
    fs, ft = domain.features_of(run.model, run.source[0]), domain.features_of(run.model, run.target[0])
    figures = [
        viz.plot_decision_boundaries({"dann": run.model}, run.source, run.target_test, resolution=20),
        viz.plot_domain_features({"dann": (fs, ft, run.source[1], run.target[1])}),
        viz.plot_adaptation_curves({"dann": run.history}),
        viz.plot_mmd_estimates({"unbiased": {"same": [0.1, -0.1], "shifted": [0.5, 0.6]}}),
        viz.plot_schedules([0, 1], {"lambda": [0, 1]}),
    ]
    assert all(isinstance(f, Figure) for f in figures)


def test_plot_domain_features_rejects_mismatched_widths():
    from tlearn import viz

    with pytest.raises(ValueError, match="width"):
        viz.plot_domain_features({"x": (torch.randn(5, 3), torch.randn(5, 4), torch.zeros(5), torch.zeros(5))})


def test_two_moons_panel_trains_on_click():
    from tlearn import widgets

    panel = widgets.two_moons_panel(steps=20)
    widgets.drive(panel, click="train", rotation=60, method="mmd", weight=2.0)
    run = panel.runs[-1]
    assert (run.method, run.rotation, run.weight) == ("mmd", 60.0, 2.0)
    assert "target accuracy" in panel.summary.value


def tiny_digits(n=40, seed=0, shift=0.0):
    from tlearn.data import ImageSet

    g = torch.Generator().manual_seed(seed)
    images = (torch.rand(n, 1, 16, 16, generator=g) + shift).clamp(0, 1)
    return ImageSet(images, torch.arange(n) % 4, classes=list("abcd"), name=f"tiny{seed}")


def tiny_model():
    from tlearn.backbones import Classifier, Conv4

    return Classifier(Conv4(1, hidden=4, image_size=16), 4)


def test_compare_methods_trains_every_row_and_reports_the_gap():
    comparison = domain.compare_methods(
        tiny_model,
        tiny_digits(seed=0),
        tiny_digits(seed=1, shift=0.3),
        tiny_digits(seed=2, shift=0.3),
        steps=3,
        batch_size=8,
        seed=0,
        device="cpu",
    )
    names = ["source only", "source only + AdaBN", "MMD", "CORAL", "DANN", "train on target"]
    assert list(comparison.accuracy) == names
    assert set(comparison.runs) == set(names) - {"source only + AdaBN"}
    rows = {r["method"]: r for r in comparison.rows()}
    assert rows["source only"]["gap recovered"] is None and rows["train on target"]["gap recovered"] is None
    if comparison.accuracy["train on target"] > comparison.accuracy["source only"]:
        expected = gap_recovered(
            comparison.accuracy["MMD"], comparison.accuracy["source only"], comparison.accuracy["train on target"]
        )
        assert rows["MMD"]["gap recovered"] == f"{expected:.0%}"


def test_features_of_with_own_statistics_normalises_with_the_datas_batch_norm_statistics():
    torch.manual_seed(0)
    model = tiny_model().eval()
    source, shifted = tiny_digits(seed=0), tiny_digits(seed=0, shift=0.5)
    plain = domain.features_of(model, shifted)
    own = domain.features_of(model, shifted, own_statistics=True)
    by_hand = domain.features_of(domain.adapt_batch_norm(copy.deepcopy(model), shifted.images), shifted)
    torch.testing.assert_close(own, by_hand)
    assert not torch.allclose(own, plain)
    # the model itself is left as it was
    torch.testing.assert_close(domain.features_of(model, source), domain.features_of(model, source))
    assert torch.equal(model.backbone.blocks[0][1].running_mean, torch.zeros(4))


def test_domain_features_panel_shows_a_network():
    from tlearn import widgets

    torch.manual_seed(0)
    models = {"a": tiny_model().eval(), "b": tiny_model().eval()}
    panel = widgets.domain_features_panel(
        models, tiny_digits(seed=0), tiny_digits(seed=1, shift=0.4), own_statistics={"b": True}
    )
    widgets.drive(panel, click="show", network="b", projection="pca")
    assert panel.shown[-1][:2] == ("b", "pca")
    assert "proxy A-distance" in panel.summary.value


# ---------------------------------------------------------------- the per-step forms equal the checked ones
def test_per_step_forms_equal_the_public_functions():
    g = torch.Generator().manual_seed(12)
    x, y = torch.randn(16, 5, generator=g), torch.randn(12, 5, generator=g) + 0.3
    for estimator in domain.MMD_ESTIMATORS:
        sigmas = [median_bandwidth(x, y) * m for m in (0.5, 1.0, 2.0)]
        torch.testing.assert_close(
            domain.mmd_squared(x, y, sigmas, estimator), mmd(x, y, estimator=estimator, multipliers=(0.5, 1.0, 2.0))
        )
    torch.testing.assert_close(domain.coral_loss(x, y), coral(x, y))
    disc = DomainDiscriminator(5)
    loss, accuracy = domain.dann_domain_loss(disc, x, y, 0.5)
    checked = domain_adversarial_loss(disc, x, y, lambda_=0.5)
    torch.testing.assert_close(loss, checked.loss)
    assert float(accuracy) == checked.accuracy


def test_adapt_returns_one_history_and_leaves_the_model_in_eval_mode():
    (xs, ys), (xt, _) = moons_data()
    run = domain.adapt("dann", fresh_network(), (xs, ys), xt, steps=10, batch_size=32, seed=0, device="cpu")
    assert isinstance(run.history, History) and run.history.steps == 10 and run.history.seconds > 0
    assert not run.model.training and not run.discriminator.training
    # the total loss fit logs is the task loss plus the (reversed) domain loss
    np.testing.assert_allclose(
        run.history["loss"], np.add(run.history["task_loss"], run.history["domain_loss"]), rtol=1e-5
    )


# ---------------------------------------------------------------- bad input: one table
def _moons_args():
    (xs, ys), (xt, _) = moons_data()
    return (xs, ys), xt


def _adapt(method="mmd", model=None, **kwargs):
    source, target = _moons_args()
    return domain.adapt(
        method,
        model if model is not None else domain.ShallowNetwork(),
        source,
        kwargs.pop("target", target),
        **{"steps": 2, **kwargs},
    )


x4, nan4 = torch.randn(4, 3), torch.randn(4, 3)
nan4[1, 2] = float("nan")
BAD_INPUT = [
    # (call, error, message)
    (lambda: gradient_reversal(torch.ones(2), -0.1), ValueError, "lambda_"),
    (lambda: gradient_reversal(torch.ones(2), float("nan")), ValueError, "lambda_"),
    (lambda: GradientReversal(float("inf")), ValueError, "lambda_"),
    (lambda: GradientReversal("1"), ValueError, "lambda_"),
    (lambda: gradient_reversal([1.0], 1.0), TypeError, "x must be a torch.Tensor"),
    (lambda: lambda_schedule(-0.01), ValueError, "p must be in"),
    (lambda: lambda_schedule(1.01), ValueError, "p must be in"),
    (lambda: learning_rate_schedule(float("nan")), ValueError, "p must be"),
    (lambda: lambda_schedule(0.5, gamma=0.0), ValueError, "gamma"),
    (lambda: learning_rate_schedule(0.5, mu0=0.0), ValueError, "mu0"),
    (lambda: DomainDiscriminator(0), ValueError, "in_features"),
    (lambda: DomainDiscriminator(2.5), ValueError, "in_features"),
    (lambda: DomainDiscriminator(4, hidden_sizes=(8, 0)), ValueError, "hidden_sizes"),
    (lambda: domain.ShallowNetwork(hidden=0), ValueError, "hidden"),
    (
        lambda: domain_adversarial_loss(DomainDiscriminator(4), torch.randn(3, 4), torch.randn(3, 5)),
        ValueError,
        "different widths",
    ),
    (
        lambda: domain_adversarial_loss(DomainDiscriminator(4), torch.randn(3, 4), torch.randn(0, 4)),
        ValueError,
        "target needs at least 1 rows",
    ),
    (
        lambda: domain_adversarial_loss(
            DomainDiscriminator(4), x4[:, :3].repeat(1, 2)[:, :4], x4[:, :3].repeat(1, 2)[:, :4], lambda_=-1.0
        ),
        ValueError,
        "lambda_",
    ),
    (lambda: mmd(torch.randn(4, 3), torch.randn(4, 2)), ValueError, "different widths"),
    (lambda: mmd(torch.randn(0, 3), x4, estimator="biased"), ValueError, "source needs at least 1 rows"),
    (lambda: mmd(torch.randn(0, 3), x4, estimator="linear"), ValueError, "source needs at least 2 rows"),
    (lambda: mmd(torch.randn(1, 3), x4, estimator="unbiased"), ValueError, "at least 2"),
    (lambda: mmd(x4, x4, bandwidths=0.0), ValueError, "bandwidths"),
    (lambda: mmd(x4, x4, bandwidths=[2.0, -0.5]), ValueError, "bandwidths"),
    (lambda: mmd(x4, x4, bandwidths=[]), ValueError, "bandwidths is empty"),
    (lambda: mmd(x4, x4, multipliers=[1.0, -2.0]), ValueError, "multipliers"),
    (lambda: mmd(x4, x4, estimator="quadratic"), ValueError, "estimator"),
    (lambda: mmd(nan4, x4), ValueError, "NaN"),
    (lambda: mmd(torch.randn(4, 3, 2), torch.randn(4, 3, 2)), ValueError, "2-D"),
    (lambda: mmd(torch.zeros(4, 3), torch.zeros(4, 3)), ValueError, "pass bandwidths"),
    (lambda: coral(torch.randn(5, 3), torch.randn(5, 4)), ValueError, "different widths"),
    (lambda: coral(torch.randn(5, 3), torch.randn(1, 3)), ValueError, "at least 2"),
    (lambda: proxy_a_distance(np.zeros((10, 3)), np.zeros((10, 4))), ValueError, "different widths"),
    (lambda: proxy_a_distance(np.random.rand(1, 3), np.random.rand(10, 3)), ValueError, "too few"),
    (
        lambda: proxy_a_distance(np.random.rand(10, 3), np.random.rand(10, 3), test_fraction=1.5),
        ValueError,
        "test_fraction",
    ),
    (lambda: gap_recovered(0.7, 0.8, 0.8), ValueError, "train_on_target"),
    (lambda: _adapt("wasserstein"), ValueError, "method"),
    (lambda: _adapt(model=nn.Linear(2, 2)), TypeError, "backbone"),
    (lambda: _adapt(steps=0), ValueError, "steps"),
    (lambda: _adapt(batch_size=-1), ValueError, "batch_size"),
    (lambda: _adapt(lr=0.0), ValueError, "lr"),
    (lambda: _adapt(weight=-1.0), ValueError, "weight"),
    (lambda: _adapt(batch_norm="shared"), ValueError, "batch_norm"),
    (lambda: _adapt(mmd_estimator="quadratic"), ValueError, "mmd_estimator"),
    (lambda: _adapt(mmd_multipliers=()), ValueError, "mmd_multipliers"),
    (lambda: _adapt(target=torch.randn(50, 3)), ValueError, "same shape"),
    (lambda: _adapt("dann", model=_Headed()), TypeError, "out_features"),
    (
        lambda: domain.compare_methods(domain.ShallowNetwork, _moons_args()[0], None, None, weights={"dan": 1.0}),
        ValueError,
        "weights",
    ),
    (
        lambda: domain.compare_methods(tiny_model, tiny_digits(), tiny_digits(1).images, tiny_digits(2), steps=1),
        TypeError,
        "labelled",
    ),
    (lambda: domain.features_of(nn.Linear(2, 2), torch.randn(3, 2)), TypeError, "backbone"),
]


class _Headed(nn.Module):
    """A model with .backbone and .head whose backbone does not say its width."""

    def __init__(self):
        super().__init__()
        self.backbone, self.head = nn.Sequential(nn.Linear(2, 4)), nn.Linear(4, 2)


@pytest.mark.parametrize("call, error, message", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_input_is_rejected_with_a_message_that_names_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- choosing a weight without target labels
def test_reverse_validation_prefers_a_model_whose_target_labels_carry_back():
    from tlearn.domain.dann import ShallowNetwork
    from tlearn.domain.selection import self_labels

    g = torch.Generator().manual_seed(0)
    x_val = torch.randn(200, 2, generator=g)
    y_val = (x_val[:, 0] > 0).long()
    target = torch.randn(300, 2, generator=g) + torch.tensor([0.0, 0.5])

    def network(flip):
        net = ShallowNetwork(2, 2, 2)
        with torch.no_grad():
            net.backbone[0].weight.copy_(torch.tensor([[4.0, 0.0], [-4.0, 0.0]]))
            net.backbone[0].bias.zero_()
            net.head.weight.copy_(torch.tensor([[-1.0, 1.0], [1.0, -1.0]]) * (-1 if flip else 1))
            net.head.bias.zero_()
        return net.eval()

    right, wrong = network(False), network(True)
    assert (self_labels(right, right.backbone(x_val)) == y_val).float().mean() > 0.95
    best, risks = domain.select_by_reverse_validation(
        {"right": right, "wrong": wrong}, (x_val, y_val), target, own_statistics=False
    )
    assert best == "right" and risks["right"] < 0.05 and risks["wrong"] > 0.95, risks


def test_reverse_validation_with_one_self_label_and_bad_input():
    from tlearn.domain.dann import ShallowNetwork

    net = ShallowNetwork(2, 3, 2).eval()
    with torch.no_grad():
        net.head.bias.copy_(torch.tensor([100.0, -100.0]))  # always class 0
    x_val, y_val = torch.randn(10, 2), torch.tensor([0] * 7 + [1] * 3)
    assert domain.reverse_validation_risk(net, (x_val, y_val), torch.randn(20, 2), own_statistics=False) == 0.3
    with pytest.raises(ValueError, match="empty"):
        domain.select_by_reverse_validation({}, (x_val, y_val), torch.randn(20, 2))
    with pytest.raises(ValueError, match="C"):
        domain.reverse_validation_risk(net, (x_val, y_val), torch.randn(20, 2), C=0)


def test_compare_methods_trains_only_the_methods_asked_for():
    comparison = domain.compare_methods(
        tiny_model,
        tiny_digits(seed=0),
        tiny_digits(seed=1, shift=0.3),
        tiny_digits(seed=2, shift=0.3),
        methods=("dann",),
        steps=2,
        batch_size=8,
        seed=0,
        device="cpu",
    )
    assert list(comparison.accuracy) == ["source only", "source only + AdaBN", "DANN", "train on target"]
    with pytest.raises(ValueError, match="unknown"):
        domain.compare_methods(tiny_model, tiny_digits(), tiny_digits(seed=1), tiny_digits(seed=2), methods=("x",))
