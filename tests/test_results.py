"""tlearn.results, the one evaluation result type: each interval against an independent formula (scipy's
Student t and normal quantiles, the Wilson interval as the roots of its defining quadratic)."""

import math

import numpy as np
import pytest
from scipy import stats

from tlearn import results

SAMPLES = [
    [0.5, 0.7],
    [0.61, 0.64, 0.58, 0.70, 0.66],
    list(np.linspace(0.2, 0.9, 12)),
    list(np.random.default_rng(0).uniform(0.3, 0.9, 600)),
]


@pytest.mark.parametrize("values", SAMPLES)
def test_t_interval_matches_scipy(values):
    mean, half = results.t_interval_95(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values)) and half == pytest.approx((high - low) / 2)


@pytest.mark.parametrize("values", SAMPLES)
def test_normal_interval_by_hand(values):
    mean, half = results.normal_interval_95(values)
    by_hand = stats.norm.ppf(0.975) * np.std(values, ddof=1) / math.sqrt(len(values))
    assert mean == pytest.approx(np.mean(values)) and half == pytest.approx(by_hand)
    assert results.Z_95 == pytest.approx(stats.norm.ppf(0.975), abs=1e-12)


def _wilson_by_definition(p, n):
    """The q whose normal test accepts p, |p - q| <= z sqrt(q (1 - q) / n): the roots of a quadratic in q."""
    z = stats.norm.ppf(0.975)
    a, b, c = 1 + z * z / n, -(2 * p + z * z / n), p * p
    disc = math.sqrt(b * b - 4 * a * c)
    return max(0.0, (-b - disc) / (2 * a)), min(1.0, (-b + disc) / (2 * a))


@pytest.mark.parametrize("p, n", [(0.5, 100), (0.9, 539), (0.05, 200), (0.0, 50), (1.0, 20), (0.3, 1)])
def test_wilson_interval_matches_its_definition(p, n):
    low, high = results.wilson_interval_95(p, n)
    assert (low, high) == pytest.approx(_wilson_by_definition(p, n), abs=1e-12)
    assert 0.0 <= low <= p <= high <= 1.0


def test_wilson_interval_known_value():
    assert results.wilson_interval_95(0.5, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)


@pytest.mark.parametrize("values", SAMPLES)
def test_from_values_uses_t_below_30_values_and_the_normal_above(values):
    e = results.from_values(values, "episodes")
    half = (results.t_interval_95 if len(values) < 30 else results.normal_interval_95)(values)[1]
    assert (e.mean, e.low, e.high, e.n) == pytest.approx((np.mean(values), e.mean - half, e.mean + half, len(values)))
    assert e.ci95 == pytest.approx(half) and e.protocol == "episodes" and len(e.values) == len(values)
    forced = results.from_values(values, student_t=True)
    assert forced.ci95 == pytest.approx(results.t_interval_95(values)[1])


def test_from_accuracy_is_one_run_with_a_wilson_interval():
    e = results.from_accuracy(0.83, 100)
    assert (e.low, e.high) == pytest.approx(results.wilson_interval_95(0.83, 100))
    assert e.n == 1 and "100 test examples" in e.protocol and float(e) == pytest.approx(0.83)
    assert str(e).startswith("83.0 ± ")


def test_overlaps_is_symmetric_and_matches_the_intervals():
    a, b, c = (results.Estimate(m, m - 0.05, m + 0.05, 10) for m in (0.5, 0.58, 0.7))
    assert a.overlaps(b) and b.overlaps(a)
    assert not a.overlaps(c) and not c.overlaps(a)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: results.from_values([0.5]), "at least 2 measurements"),
        (lambda: results.t_interval_95([]), "at least 2 measurements"),
        (lambda: results.normal_interval_95([0.5, float("nan")]), "NaN"),
        (lambda: results.from_values([0.5, float("inf")]), "NaN or infinite"),
    ],
)
def test_bad_values_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "accuracy, n, match",
    [
        (0.5, 0, "n must be"),
        (1.5, 10, "accuracy must be"),
        (float("nan"), 10, "accuracy must be"),
        (0.5, 2.0, "n must be"),
    ],
)
def test_wilson_rejects_bad_input(accuracy, n, match):
    from tlearn.results import wilson_interval_95

    with pytest.raises(ValueError, match=match):
        wilson_interval_95(accuracy, n)


def test_over_seeds_groups_by_key_without_the_seed_and_averages():
    runs = {
        ("far", "scratch", 5, 0): {"accuracy": 0.5, "seconds": 1.0},
        ("far", "lw", 5, 0): {"accuracy": 0.9, "seconds": 2.0},
        ("far", "scratch", 5, 1): {"accuracy": 0.7, "seconds": 3.0},
        ("far", "scratch", 5, 2): {"accuracy": 0.6, "seconds": 4.0},
    }
    rows = results.over_seeds(runs, ["target", "method", "labels"])
    assert [r["method"] for r in rows] == ["scratch", "lw"]  # first-seen order
    scratch, lw = rows
    assert scratch["seeds"] == 3 and abs(scratch["accuracy"] - 0.6) < 1e-12 and scratch["range"] == "0.500-0.700"
    assert scratch["seconds"] == 1.0 and scratch["target"] == "far" and scratch["labels"] == 5
    assert lw["seeds"] == 1 and lw["range"] is None and lw["accuracy"] == 0.9
    with pytest.raises(ValueError, match="names has 2 names"):
        results.over_seeds(runs, ["target", "method"])
