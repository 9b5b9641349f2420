"""What notebook 00 relies on but does not show: the backbones' sizes, the calibration's within-alphabet
protocol, the glyph browser driven headless, and the notebook's refusal of a DATASET it cannot use."""

import pytest
import torch

from tlearn import backbones, widgets
from tlearn.data.calibration import pixel_nn_calibration


def test_every_backbone_of_the_tour_gives_out_features(small_glyphs):
    nets = [
        (backbones.Conv4(), torch.rand(3, 1, 28, 28)),
        (backbones.ResNet(), torch.rand(3, 1, 28, 28)),
        (backbones.TorchvisionBackbone("resnet18"), torch.rand(3, 3, 32, 32)),
    ]
    for net, x in nets:
        assert net.eval()(x).shape == (3, net.out_features)
    gru = backbones.GRUEncoder().eval()
    assert gru(small_glyphs.trajectories[:3], small_glyphs.lengths[:3]).shape == (3, gru.out_features)
    assert backbones.Conv4().out_features == 64


def test_within_group_calibration_is_its_own_protocol(small_glyphs):
    (across,) = pixel_nn_calibration(small_glyphs, [(5, 1)], n_episodes=50, seed=0)
    (within,) = pixel_nn_calibration(small_glyphs, [(5, 1)], n_episodes=50, seed=0, within_groups=True)
    assert across.published == pytest.approx(0.417) and within.published is None and within.gap is None
    assert "within one group" in within.accuracy.protocol and "across groups" in across.accuracy.protocol
    assert within.accuracy.n == 50 and 0 <= within.accuracy.mean <= 1


def test_glyph_browser_responds_to_every_alphabet(small_glyphs):
    panel = widgets.glyph_browser(small_glyphs)
    for alphabet in range(len(small_glyphs.alphabet_names)):
        widgets.drive(panel, alphabet=alphabet, character=1)


def test_tour_refuses_a_dataset_it_cannot_calibrate():
    from test_notebook_real import run_notebook_with

    with pytest.raises(Exception, match="DATASET must be 'glyphs'"):
        run_notebook_with("00_tour.ipynb", DATASET="mnist")
