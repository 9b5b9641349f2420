"""The feature-extraction probe panel with a label budget, driven headless."""

import pytest
import torch

from tlearn import widgets
from tlearn.features import fit_probe, per_class_indices, probe_accuracy


def _features(seed=0, n_per_class=12, n_classes=3, dim=5):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    centres = 3 * torch.randn(n_classes, dim, generator=g)
    make = lambda: {"a": centres[y] + torch.randn(len(y), dim, generator=g), "b": torch.randn(len(y), dim, generator=g)}
    return make(), make(), y


def test_probe_panel_fits_on_the_chosen_label_budget():
    pool, test, y = _features()
    panel = widgets.probe_panel(pool, y, test, y, budgets=(1, 5, 10), seed=3)
    assert panel.controls["labels"].value == 5  # the second budget by default
    widgets.drive(panel, layer="a", probe="linear", labels=1)
    idx = per_class_indices(y, 1, seed=3)
    want = probe_accuracy(fit_probe(pool["a"][idx], y[idx], kind="linear", n_classes=3, seed=3), test["a"], y)
    assert panel.results["a", "linear", 1] == pytest.approx(want)
    widgets.drive(panel, labels=10)
    assert ("a", "linear", 10) in panel.results
    assert "10 labels/class" in panel.output.last_figure.axes[0].get_title()


def test_probe_panel_without_budgets_keeps_its_controls_and_keys():
    pool, test, y = _features()
    panel = widgets.probe_panel(pool, y, test, y)
    assert sorted(panel.controls) == ["layer", "probe"]
    widgets.drive(panel, layer="a")
    assert ("a", "linear") in panel.results


def test_probe_panel_rejects_an_empty_budget_list_and_a_budget_larger_than_a_class():
    pool, test, y = _features()
    with pytest.raises(ValueError, match="budgets"):
        widgets.probe_panel(pool, y, test, y, budgets=())
    panel = widgets.probe_panel(pool, y, test, y, budgets=(1, 5))
    with pytest.raises(ValueError, match="k=50"):
        panel.controls["labels"].options = [1, 5, 50]  # more than the 12 examples a class has
        widgets.drive(panel, labels=50)
