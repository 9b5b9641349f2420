"""tlearn.compare (notebook 07): intervals against their formulas, rankings against brute force, the
decision guide and the panel, the two per-class subset helpers of notebook 07, and a table of bad inputs."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from tlearn import features, results, viz, widgets
from tlearn.compare import (
    ALL,
    SOURCE_CLAIMS,
    Comparison,
    budget_phrase,
    budget_text,
    claims_markdown,
    guide_numbers,
    practitioner_guide,
    source_text_claims,
    t_interval_95,
    wilson_interval_95,
)
from tlearn.data.base import ImageSet


# --- intervals -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[0.5, 0.7], [0.61, 0.64, 0.58, 0.70, 0.66], list(np.linspace(0.2, 0.9, 12))])
def test_t_interval_matches_scipy(values):
    mean, half = t_interval_95(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert mean - half == pytest.approx(low) and mean + half == pytest.approx(high)


def test_t_interval_of_identical_runs_is_a_point():
    assert t_interval_95([0.8, 0.8, 0.8]) == pytest.approx((0.8, 0.0))


def _wilson_by_definition(p, n):
    """The Wilson interval is the set of true proportions q whose normal test accepts p: |p - q| <= z sqrt(q(1-q)/n),
    i.e. the roots of a quadratic in q."""
    z = stats.norm.ppf(0.975)
    a, b, c = 1 + z * z / n, -(2 * p + z * z / n), p * p
    disc = math.sqrt(b * b - 4 * a * c)
    return (-b - disc) / (2 * a), (-b + disc) / (2 * a)


@pytest.mark.parametrize("p, n", [(0.5, 100), (0.9, 539), (0.05, 200), (0.0, 50), (1.0, 20)])
def test_wilson_interval_matches_its_definition(p, n):
    low, high = wilson_interval_95(p, n)
    want_low, want_high = _wilson_by_definition(p, n)
    assert low == pytest.approx(max(0.0, want_low), abs=1e-12) and high == pytest.approx(min(1.0, want_high), abs=1e-12)
    assert 0.0 <= low <= p <= high <= 1.0


def test_wilson_interval_known_value_and_shrinks_with_n():
    assert wilson_interval_95(0.5, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    widths = [np.diff(wilson_interval_95(0.7, n))[0] for n in (50, 200, 800)]
    assert widths[0] > widths[1] > widths[2]


# --- a comparison with known numbers --------------------------------------------------------------------
@pytest.fixture
def comparison():
    c = Comparison()
    c.add("T", "zero-shot", 0, 0.30, seconds=2.0, n_test=100)
    for acc in (0.60, 0.64, 0.62):
        c.add("T", "heads", 1, acc, seconds=0.1, n_test=100)
    for acc in (0.80, 0.84, 0.82):
        c.add("T", "heads", 5, acc, seconds=0.2, n_test=100)
    c.add("T", "fine-tune", 1, 0.40, seconds=5.0, n_test=100)
    c.add("T", "fine-tune", 5, 0.83, seconds=6.0, n_test=100)
    c.add("T", "fine-tune", ALL, 0.97, seconds=9.0, n_test=100)
    c.add("U", "heads", 1, 0.5, seconds=0.1)
    return c


def test_what_is_recorded(comparison):
    assert len(comparison) == 11
    assert comparison.targets() == ["T", "U"]
    assert comparison.techniques("T") == ["zero-shot", "heads", "fine-tune"]
    assert comparison.budgets("T") == [0, 1, 5, ALL]
    assert comparison.budgets("T", "heads") == [1, 5]
    assert comparison.accuracies("T", "heads", 5) == [0.80, 0.84, 0.82]


def test_summary_uses_t_over_runs_and_wilson_for_a_single_run(comparison):
    several = comparison.summary("T", "heads", 1)
    mean, half = t_interval_95([0.60, 0.64, 0.62])
    assert (several.mean, several.low, several.high) == pytest.approx((mean, mean - half, mean + half))
    assert several.runs == 3 and several.interval == "runs" and several.seconds == pytest.approx(0.1)
    single = comparison.summary("T", "fine-tune", 5)
    assert (single.low, single.high) == pytest.approx(wilson_interval_95(0.83, 100))
    assert single.runs == 1 and single.interval == "test images"
    bare = comparison.summary("U", "heads", 1)  # no n_test: no interval to give
    assert bare.low == bare.high == bare.mean == 0.5 and bare.interval == "none"
    assert str(single).startswith("83.0 %")


def test_a_summary_is_the_one_result_type():
    """Summaries are tlearn.results.Estimate objects: the same mean, interval and n as from_values /
    from_accuracy give, with the protocol in words, plus the training seconds."""
    c = Comparison()
    for acc in (0.60, 0.64, 0.62):
        c.add("T", "heads", 1, acc, seconds=0.1, n_test=100)
    c.add("T", "probe", 1, 0.7, seconds=0.3, n_test=250)
    several, single = c.summary("T", "heads", 1), c.summary("T", "probe", 1)
    assert isinstance(several, results.Estimate) and isinstance(single, results.Estimate)
    want = results.from_values([0.60, 0.64, 0.62], student_t=True)
    assert (several.mean, several.low, several.high, several.n) == pytest.approx((want.mean, want.low, want.high, 3))
    assert several.values == pytest.approx((0.60, 0.64, 0.62)) and "3 runs" in several.protocol
    want = results.from_accuracy(0.7, 250)
    assert (single.mean, single.low, single.high, single.n) == pytest.approx((0.7, want.low, want.high, 1))
    assert "250 test images" in single.protocol and single.overlaps(several) == (single.low <= several.high)


def test_an_interval_over_two_runs_is_clipped_to_accuracies():
    c = Comparison()
    for acc in (0.1, 0.9):  # t_{0.975, 1} = 12.7: the raw interval runs far outside [0, 1]
        c.add("T", "m", 1, acc)
    s = c.summary("T", "m", 1)
    assert (s.low, s.high) == (0.0, 1.0) and s.mean == pytest.approx(0.5)


def test_curve_is_ordered_by_budget(comparison):
    curve = comparison.curve("T", "fine-tune")
    assert list(curve) == [1, 5, ALL]
    assert [s.mean for s in curve.values()] == pytest.approx([0.40, 0.83, 0.97])


def _brute_force_ranking(c, target, labels, max_seconds=math.inf):
    rows = []
    for technique in c.techniques(target):
        measured = [b for b in c.budgets(target, technique) if b <= labels]
        if measured:
            s = c.summary(target, technique, max(measured))
            if s.seconds <= max_seconds:
                rows.append((technique, max(measured), s.mean))
    return sorted(rows, key=lambda r: -r[2])


@pytest.mark.parametrize("labels", [0, 1, 3, 5, 20, ALL])
@pytest.mark.parametrize("max_seconds", [math.inf, 5.5, 0.15])
def test_ranking_matches_brute_force(comparison, labels, max_seconds):
    got = [(t, b, s.mean) for t, b, s in comparison.ranking("T", labels, max_seconds)]
    assert got == _brute_force_ranking(comparison, "T", labels, max_seconds)


def test_ranking_uses_the_largest_budget_not_above_the_labels(comparison):
    at_three = {t: b for t, b, _ in comparison.ranking("T", 3)}
    assert at_three == {"zero-shot": 0, "heads": 1, "fine-tune": 1}
    at_all = {t: b for t, b, _ in comparison.ranking("T", ALL)}
    assert at_all == {"zero-shot": 0, "heads": 5, "fine-tune": ALL}


def test_recommend_takes_the_fastest_within_tolerance(comparison):
    assert comparison.recommend("T", 5)[0] == "fine-tune"  # the best mean
    assert comparison.recommend("T", 5, tolerance=0.02)[0] == "heads"  # 0.82 is within 2 points of 0.83, faster
    assert comparison.recommend("T", ALL, max_seconds=1.0)[0] == "heads"
    assert comparison.recommend("T", 0, max_seconds=1.0) is None  # zero-shot took 2 s


def test_guide_names_the_best_the_ties_and_a_much_faster_choice(comparison):
    lines = comparison.guide("T", tolerance=0.02)
    assert len(lines) == 4
    assert lines[0].startswith("No labels: zero-shot, 30.0 %")
    assert lines[1].startswith("1 label per class: heads, 62.0 %") and "not separated" not in lines[1]
    assert lines[2].startswith("5 labels per class: fine-tune, 83.0 %")
    assert "not separated from it by this run: heads" in lines[2]  # Wilson and t intervals overlap
    assert "30x faster: heads" in lines[2]
    assert lines[3].startswith("All labels: fine-tune, 97.0 %")
    assert "faster" not in comparison.guide("T", tolerance=0.02, speedup=100.0)[2]


def test_rows_have_one_cell_per_budget(comparison):
    rows = comparison.rows("T", [0, 1, 5, 20, ALL], extra={"heads": {"needs": "an embedding"}})
    assert [r["technique"] for r in rows] == ["zero-shot", "heads", "fine-tune"]
    heads = rows[1]
    assert list(heads)[3:] == ["0 labels", "1 label", "5 labels", "20 labels", "all labels", "train s / run"]
    assert heads["needs"] == "an embedding" and heads["0 labels"] == "-" and heads["20 labels"] == "-"
    assert heads["5 labels"].startswith("82.0 [")
    assert heads["train s / run"] == pytest.approx(0.15)


def test_budget_words():
    assert [budget_text(b) for b in (0, 1, 20, ALL)] == ["0", "1", "20", "all"]
    assert [budget_phrase(b) for b in (0, 1, 5, ALL)] == [
        "no labels",
        "1 label per class",
        "5 labels per class",
        "all labels",
    ]


# --- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"labels": -1}, "labels must be a whole number"),
        ({"labels": 2.5}, "labels must be a whole number"),
        ({"labels": True}, "labels must be a whole number"),
        ({"accuracy": 1.5}, r"accuracy must be in \[0.0, 1.0\]"),
        ({"accuracy": float("nan")}, "accuracy must be a finite number"),
        ({"seconds": -1.0}, "seconds must be >= 0"),
        ({"seconds": "1"}, "seconds must be a finite number"),
        ({"n_test": 0}, "n_test must be a positive integer"),
        ({"n_test": 2.0}, "n_test must be a positive integer"),
    ],
)
def test_add_rejects_bad_values(kwargs, match):
    args = {"target": "T", "technique": "m", "labels": 1, "accuracy": 0.5, "seconds": 0.0, "n_test": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        Comparison().add(**args)


def test_add_rejects_an_empty_name():
    with pytest.raises(TypeError, match="technique must be a non-empty string"):
        Comparison().add("T", "", 1, 0.5)


def test_unknown_target_and_unmeasured_budget(comparison):
    with pytest.raises(ValueError, match="no runs on target 'V'"):
        comparison.techniques("V")
    with pytest.raises(ValueError, match="was not run on 'T' with 20 labels per class"):
        comparison.summary("T", "heads", 20)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: c.ranking("T", -1), "labels must be a number >= 0"),
        (lambda c: c.ranking("T", 1, max_seconds=0), "max_seconds must be a positive number"),
        (lambda c: c.recommend("T", 1, tolerance=1.0), "tolerance must lie in"),
        (lambda c: c.guide("T", speedup=0.5), "speedup must be a number >= 1"),
    ],
)
def test_queries_reject_bad_values(comparison, call, match):
    with pytest.raises(ValueError, match=match):
        call(comparison)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: t_interval_95([0.5]), "at least 2 measurements"),
        (lambda: t_interval_95([0.5, float("nan")]), "NaN"),
    ],
)
def test_intervals_reject_bad_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the two per-class subset helpers of notebook 07 pick the same examples ------------------------------
@pytest.mark.parametrize("k, seed", [(1, 0), (3, 0), (3, 7), (5, 42)])
def test_per_class_helpers_pick_the_same_examples(k, seed):
    """Notebook 07 gives the few-shot heads and the probe ``features.per_class_indices`` and fine-tuning
    ``ImageSet.take_per_class``: for one seed they must pick the same labelled images."""
    g = torch.Generator().manual_seed(seed + 1)
    targets = torch.randint(0, 6, (90,), generator=g)
    targets[:36] = torch.arange(6).repeat(6)  # every class has at least 6 examples
    images = torch.arange(len(targets), dtype=torch.float32).reshape(-1, 1, 1, 1)
    data = ImageSet(images, targets, [str(c) for c in range(6)])
    picked, rest = data.take_per_class(k, seed=seed)
    index = features.per_class_indices(targets, k, seed=seed)
    assert torch.equal(picked.images, data.images[index])
    assert torch.bincount(targets[index], minlength=6).tolist() == [k] * 6
    assert len(picked) + len(rest) == len(data)


# --- plots and the panel -------------------------------------------------------------------------------
def test_curves_plot_one_series_per_technique(comparison):
    curves = {t: comparison.curve("T", t) for t in comparison.techniques("T")}
    fig = viz.plot_technique_curves(curves, comparison.budgets("T"), chance=0.1)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "5", "all"]
    assert sorted(ax.get_legend_handles_labels()[1]) == ["chance", "fine-tune", "heads", "zero-shot"]
    with pytest.raises(ValueError, match="not in budgets"):
        viz.plot_technique_curves(curves, [0, 1, 5])
    with pytest.raises(ValueError, match="ranking is empty"):
        viz.plot_technique_ranking([])


def test_comparison_plot_has_a_panel_per_target_and_one_legend(comparison):
    fig = viz.plot_comparison(comparison, {"T": (12, 0.1)}, styles={"heads": {"color": "C3"}})
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "5", "all (~12)"]
    assert ax.get_legend() is None and len(fig.legends) == 1
    assert sorted(t.get_text() for t in fig.legends[0].get_texts()) == ["chance", "fine-tune", "heads", "zero-shot"]
    heads = [bars for bars in ax.containers if bars.get_label() == "heads"]  # an errorbar's line and bars
    assert heads and heads[0].lines[0].get_color() == "C3"
    with pytest.raises(ValueError, match="targets is empty"):
        viz.plot_comparison(comparison, {})


def test_panel_recommends_within_the_limits_and_follows_the_target(comparison):
    panel = widgets.technique_panel(comparison, target="T", labels=5, tolerance=0.0)
    assert panel.picks[-1][-1][0] == "fine-tune"
    widgets.drive(panel, tolerance=0.02)
    assert panel.picks[-1][-1][0] == "heads" and "use <b>heads</b>" in panel.summary.value
    widgets.drive(panel, labels=ALL, max_seconds=1.0)
    name, k, limit, _, pick = panel.picks[-1]
    assert (name, k) == ("T", ALL) and limit == pytest.approx(1.0) and pick[2].seconds <= 1.0
    widgets.drive(panel, target="U")
    assert panel.picks[-1][0] == "U" and [v for _, v in panel.controls["labels"].options] == [1]
    assert panel.output.last_figure is not None


def test_panel_needs_runs():
    with pytest.raises(ValueError, match="no runs yet"):
        widgets.technique_panel(Comparison())


# --- the guide and the source text's claims, in words ---------------------------------------------------
NEAR, FAR = "A: near", "B: far"
FROZEN, TRAINED = ["heads", "linear probe"], ["fine-tuning", "from scratch"]


def _two_targets(far_fine_tuning=(0.50, 0.80, 0.95)):
    """A near target where frozen features win and a far one where fine-tuning does (by default)."""
    c = Comparison()
    c.add(NEAR, "zero-shot", 0, 0.25, seconds=1.0, n_test=100)
    c.add(FAR, "dann", 0, 0.60, seconds=20.0, n_test=100)
    table = {  # technique: (near at 1, 5, all), (far at 1, 5, all), seconds
        "heads": ((0.70, 0.85, 0.90), (0.40, 0.60, 0.80), 0.01),
        "linear probe": ((0.65, 0.86, 0.92), (0.35, 0.62, 0.85), 0.1),
        "fine-tuning": ((0.60, 0.80, 0.88), far_fine_tuning, 5.0),
        "from scratch": ((0.20, 0.50, 0.85), (0.20, 0.45, 0.90), 4.0),
    }
    for name, (near, far, seconds) in table.items():
        for target, accs in ((NEAR, near), (FAR, far)):
            for k, acc in zip((1, 5, ALL), accs):
                for delta in (-0.01, 0.0, 0.01):  # three draws with mean acc
                    c.add(target, name, k, acc + delta, seconds=seconds, n_test=100)
    return c


def test_mean_seconds_and_best():
    c = _two_targets()
    assert c.mean(NEAR, "heads", 1) == pytest.approx(0.70) and c.seconds(FAR, "fine-tuning", 5) == pytest.approx(5.0)
    assert c.best(NEAR, FROZEN + TRAINED, 5) == "linear probe" and c.best(FAR, FROZEN + TRAINED, 5) == "fine-tuning"
    with pytest.raises(ValueError, match="techniques is empty"):
        c.best(NEAR, [], 5)


def test_guide_numbers_by_hand():
    c = _two_targets()
    n = guide_numbers(c, (NEAR, FAR), frozen=FROZEN, trained=TRAINED)
    assert n["budgets"] == {NEAR: [1, 5, ALL], FAR: [1, 5, ALL]}
    assert n["best"][NEAR, 1] == "heads" and n["best"][FAR, ALL] == "fine-tuning"
    assert n["frozen_gap"][NEAR, 5] == pytest.approx(0.0) and n["frozen_gap"][FAR, 5] == pytest.approx(0.18)
    assert n["scratch_gap"][NEAR, 1] == pytest.approx(0.50) and n["scratch_gap"][FAR, ALL] == pytest.approx(0.05)
    assert n["speedup"] == {NEAR: pytest.approx(50.0), FAR: pytest.approx(50.0)}


def test_practitioner_guide_says_what_the_numbers_say():
    c = _two_targets()
    sentences, n = practitioner_guide(
        c, NEAR, FAR, zero_shot="zero-shot", adaptation="dann", frozen=FROZEN, trained=TRAINED, chance=0.05
    )
    assert len(sentences) == 5 and n["zero_shot"] == pytest.approx(0.25) and n["adaptation"] == pytest.approx(0.6)
    assert "names 25% of the near's test images, 5.0x chance" in sentences[0] and "(heads: 70%)" in sentences[0]
    assert "dann reaches 60% on the far, better than one label per class (fine-tuning: 50%)" in sentences[1]
    assert "heads on the near (70%), which trains nothing" in sentences[2] and "50 points and 30 points" in sentences[2]
    assert "fine-tuning on the far (50%), 10 points ahead of the best frozen technique" in sentences[2]
    assert "a frozen technique is the best at every budget on the near" in sentences[3]
    assert "at most 18 points behind the best on the far" in sentences[3] and "at least 50x faster" in sentences[3]
    assert "5 labels per class on the far, all labels on the far" in sentences[3]
    assert (
        "closes in on the near (50 points behind the best with 1 label per class, 7 points with all labels)"
        in sentences[4]
    )
    flat = _two_targets(far_fine_tuning=(0.30, 0.50, 0.70))  # fine-tuning never best
    assert (
        "Fine-tuning never comes out on top"
        in practitioner_guide(
            flat, NEAR, FAR, zero_shot="zero-shot", adaptation="dann", frozen=FROZEN, trained=TRAINED, chance=0.05
        )[0][3]
    )


def test_source_text_claims_from_the_numbers():
    c = _two_targets()
    ft, fe = source_text_claims(c, NEAR, FAR, [5, ALL])
    assert ft["says"].startswith("fine-tuning is particularly effective") and fe["says"] == SOURCE_CLAIMS[1]
    assert ft["lead"][NEAR] == pytest.approx([0.30, 0.03]) and ft["lead"][FAR] == pytest.approx([0.35, 0.05])
    assert fe["lead"][NEAR] == pytest.approx([0.06, 0.04]) and fe["lead"][FAR] == pytest.approx([-0.18, -0.10])
    assert not ft["holds"] and not fe["holds"]  # the far target gains more from fine-tuning, and from its start
    assert fe["measured"].startswith(
        "Does not hold in this run: the linear probe's lead over fine-tuning: near: "
        "+6.0 points with 5 labels per class, +4.0 points with all labels; far: -18.0"
    )
    assert "Frozen features are worth most where they were learnt" in fe["why"]
    # the claims hold when the numbers turn: fine-tuning worse on the far target than the probe
    turned = _two_targets(far_fine_tuning=(0.10, 0.30, 0.50))
    ft, fe = source_text_claims(turned, NEAR, FAR, [5, ALL])
    assert ft["holds"] and fe["holds"] and ft["measured"].startswith("Holds in this run")
    box = claims_markdown([ft, fe]).splitlines()
    assert box[0] == "| The source text says | We measured | Why |" and len(box) == 4
    assert box[2].startswith("| \u201cfine-tuning is particularly effective when the new task has a similar data")
    # a plain function of (target, technique, budget) serves as well as a Comparison
    again = source_text_claims(lambda t, m, k: turned.mean(t, m, k), NEAR, FAR, [5, ALL])
    assert [claim["lead"] for claim in again] == [ft["lead"], fe["lead"]]
    with pytest.raises(TypeError, match="mean\\(target, technique, budget\\)"):
        source_text_claims(3, NEAR, FAR, [5])
