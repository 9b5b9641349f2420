"""Interactive panels (ipywidgets), one file per technique.

Panels are thin: each control calls a pure function of :mod:`tlearn` and shows its figure or numbers, so
the logic is tested without a browser. Cheap panels update as a control is released; slow ones wait for a
button that says what it does and how long its last run took. A callback error is shown in the panel's
output area and re-raised, never swallowed. Each panel returns an ``ipywidgets.VBox`` whose ``.controls``
dict names its widgets, so a notebook or a test can drive it as a user would: ``drive(panel, alphabet=3)``
or ``drive(panel, click="train", lr=0.01)``, which raises the first error any callback hit (ipywidgets
itself only logs errors raised inside button callbacks). Controls wrap onto several rows at narrow widths.
"""

from .base import (
    _panel,
    _redraw,
    arrange,
    drive,
    live,
    make_output,
    slow_button,
    timed_label,
)
from .compare import technique_panel
from .domain import domain_features_panel, two_moons_panel
from .fewshot import draw_panel, fewshot_panel
from .glyphs import glyph_browser, thumbnail_figsize
from .multitask import soft_sharing_panel
from .transfer import fine_tune_panel, probe_panel
from .zeroshot import zero_shot_panel

__all__ = [
    "_panel",
    "_redraw",
    "arrange",
    "domain_features_panel",
    "draw_panel",
    "drive",
    "fewshot_panel",
    "fine_tune_panel",
    "glyph_browser",
    "live",
    "make_output",
    "probe_panel",
    "slow_button",
    "soft_sharing_panel",
    "technique_panel",
    "thumbnail_figsize",
    "timed_label",
    "two_moons_panel",
    "zero_shot_panel",
]
