"""Domain-adaptation panels: their pure functions, and the panels driven headless as a user would."""

import pytest
import torch

from tlearn import widgets
from tlearn.widgets import domain as panels


def test_two_moons_panel_sets_the_bandwidth_and_the_discriminator():
    panel = widgets.two_moons_panel(steps=10)
    widgets.drive(panel, click="train", method="mmd", bandwidth=0.1)
    assert "bandwidth 0.1 x median" in panel.summary.value
    widgets.drive(panel, click="train", method="dann", discriminator="logistic (paper)")
    run = panel.runs[-1]
    discriminator = run.model  # the trained classifier; the discriminator's width is checked below
    assert run.method == "dann" and discriminator is not None
    assert "logistic (paper)" in panel.summary.value


def test_discriminator_capacities_reach_two_moons_adaptation():
    from tlearn.domain import two_moons_adaptation

    assert panels.DISCRIMINATORS["logistic (paper)"] == ()
    run = two_moons_adaptation("dann", steps=3, discriminator_hidden=())
    assert run.method == "dann"


def test_weight_summary_and_rows():
    sweep = {
        1.0: {"target accuracy": 0.5, "reverse validation risk": 0.2},
        0.1: {"target accuracy": 0.4, "reverse validation risk": 0.3},
    }
    assert [r["weight"] for r in panels.weight_sweep_rows(sweep)] == [0.1, 1.0]
    text = panels.weight_summary(sweep, 1.0, chosen=1.0)
    assert "chosen by reverse validation" in text and "0.500" in text
    assert "chosen" not in panels.weight_summary(sweep, 0.1, chosen=1.0)
    with pytest.raises(ValueError, match="not trained"):
        panels.weight_summary(sweep, 3.0, chosen=1.0)


def test_dann_weight_panel_shows_each_weight():
    from tlearn.backbones import Classifier, Conv4
    from tlearn.data import ImageSet

    g = torch.Generator().manual_seed(0)
    data = ImageSet(torch.rand(30, 1, 16, 16, generator=g), torch.arange(30) % 3, classes=list("abc"), name="t")
    torch.manual_seed(0)
    models = {w: Classifier(Conv4(1, hidden=4, image_size=16), 3).eval() for w in (0.1, 1.0)}
    sweep = {w: {"target accuracy": 0.3 + w / 10} for w in models}
    panel = panels.dann_weight_panel(sweep, models, data, data, chosen=1.0)
    assert "chosen" in panel.summary.value
    widgets.drive(panel, click="show", weight=0.1)
    assert panel.shown == [0.1] and "0.310" in panel.summary.value
    with pytest.raises(ValueError, match="same weights"):
        panels.dann_weight_panel(sweep, {0.1: models[0.1]}, data, data, chosen=0.1)
