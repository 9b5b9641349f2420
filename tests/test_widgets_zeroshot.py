"""The calibrated-stacking panel of notebook 06, driven headless: its readout is the generalized accuracy
at the slider's constant, and it follows the method menu."""

import pytest
import torch

from tlearn import widgets
from tlearn import zeroshot as zs
from tlearn.exercises_zeroshot import zeroshot_exercise_inputs
from tlearn.widgets.zeroshot import stacking_panel, stacking_readout


@pytest.fixture
def problem():
    scores, targets, seen, unseen = zeroshot_exercise_inputs(seed=3)
    return {"A": scores, "B": 10 * scores + 5}, targets, seen, unseen


def test_readout_is_the_generalized_accuracy(problem):
    scores, targets, seen, unseen = problem
    for gamma in (0.0, 0.7, 3.0):
        got = stacking_readout(scores["A"], targets, seen, unseen, gamma)
        want = zs.generalized_accuracy(scores["A"], targets, seen, unseen, gamma)
        assert all(got[k] == pytest.approx(want[k]) for k in want)
        assert f"H {want['harmonic']:.1%}" in got["text"]


def test_a_larger_gamma_trades_seen_for_unseen(problem):
    scores, targets, seen, unseen = problem
    low, high = (stacking_readout(scores["A"], targets, seen, unseen, g) for g in (-5.0, 5.0))
    assert low["unseen"] == 0.0 and high["seen"] == 0.0 and high["unseen"] > 0.5


def test_panel_updates_live_and_follows_the_method(problem):
    scores, targets, seen, unseen = problem
    panel = stacking_panel(scores, targets, seen, unseen, chosen={"A": 0.8})
    slider = panel.controls["gamma"]
    assert panel.readouts[-1][:2] == ("A", pytest.approx(0.8, abs=slider.step))
    widgets.drive(panel, gamma=slider.min)
    name, _, point = panel.readouts[-1]
    assert name == "A" and point["unseen"] == 0.0  # everything is called seen
    widgets.drive(panel, gamma=slider.max)
    assert panel.readouts[-1][2]["seen"] == 0.0 and "H " in panel.summary.value
    n = len(panel.readouts)
    widgets.drive(panel, method="B")  # a method whose scores are 10x larger gets a 10x wider slider
    assert len(panel.readouts) == n + 1 and panel.readouts[-1][0] == "B"
    assert slider.max == pytest.approx(float(panel.curves["B"]["calibration"].max()))
    assert panel.readouts[-1][1] == pytest.approx(0.0, abs=slider.step)  # no constant chosen for B: start at 0
    want = zs.generalized_accuracy(scores["B"], targets, seen, unseen, panel.readouts[-1][1])
    assert panel.readouts[-1][2]["harmonic"] == pytest.approx(want["harmonic"])
    assert panel.output.last_figure is not None and not panel.output.errors


def test_panel_needs_scores(problem):
    _, targets, seen, unseen = problem
    with pytest.raises(ValueError, match="scores is empty"):
        stacking_panel({}, targets, seen, unseen)
    with pytest.raises(ValueError):
        stacking_panel({"A": torch.zeros(3, 2)}, targets, seen, unseen)
