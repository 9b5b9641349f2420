"""Panels driven headless, as a user would: values set, buttons clicked, errors surfaced."""

import ipywidgets as W
import pytest

from tlearn import widgets


def test_glyph_browser_follows_its_controls(small_glyphs):
    panel = widgets.glyph_browser(small_glyphs, n_show=4)
    widgets.drive(panel, alphabet=2, character=5)
    assert panel.controls["character"].max == 5
    fig = panel.output.last_figure
    c = int(small_glyphs.characters_of(2)[5])
    assert fig is not None and small_glyphs.classes[c] in fig._suptitle.get_text()
    assert len([ax for ax in fig.axes if ax.images]) == 4
    with pytest.raises(ValueError, match="no control 'colour'"):
        widgets.drive(panel, colour=1)


def test_errors_in_button_callbacks_are_raised_not_swallowed():
    output = widgets.make_output()
    button = W.Button(description="go")

    def broken():
        raise RuntimeError("the callback broke")

    button.on_click(lambda _: widgets._redraw(output, broken))
    panel = widgets._panel({"go": button}, output)
    with pytest.raises(RuntimeError, match="the callback broke"):
        widgets.drive(panel, click="go")


def test_glyph_browser_draws_big_thumbnails_and_one_frame_per_stroke(small_glyphs):
    panel = widgets.glyph_browser(small_glyphs)
    for alphabet in range(len(small_glyphs.alphabet_names)):
        widgets.drive(panel, alphabet=alphabet, character=1)
        c = int(small_glyphs.characters_of(alphabet)[1])
        frames = [ax for ax in panel.output.trajectory.axes if ax.lines]
        assert len(frames) == int(small_glyphs.n_strokes[c])  # no stray frame
        fig = panel.output.last_figure
        thumb = next(ax for ax in fig.axes if ax.images)
        height_px = thumb.get_window_extent().height * 100 / fig.dpi  # at the 100 dpi the notebook shows
        assert height_px >= 60, f"thumbnails are {height_px:.0f} px tall"


def test_thumbnail_figsize_wraps_into_rows():
    assert widgets.thumbnail_figsize(10, 5)[0] == 5
    cols, (w, h) = widgets.thumbnail_figsize(3, 5)
    assert cols == 3 and w < h * 3


def test_controls_wrap_instead_of_squeezing():
    controls = [
        W.IntSlider(description="N (ways)"),
        W.Checkbox(description="within one alphabet"),
        W.Dropdown(options=["a"], description="method"),
        widgets.slow_button("evaluate", "slow"),
    ]
    box = widgets.arrange(controls)
    assert box.layout.flex_flow == "row wrap"
    assert all(c.layout.flex == "0 0 auto" for c in controls)  # nothing shrinks to zero width
    assert controls[0].layout.min_width == widgets.base.SLIDER_MIN_WIDTH
    assert controls[1].indent is False and controls[1].layout.width == "auto"  # the label is shown whole


def test_slow_buttons_say_how_long_their_last_run_took():
    assert widgets.timed_label("train", None) == "train"
    assert widgets.timed_label("train", 0.2) == "train (last run under 1 s)"
    assert widgets.timed_label("train", 12.34) == "train (last run 12.3 s)"
    output, button = widgets.make_output(), widgets.slow_button("train", "trains")
    import matplotlib.pyplot as plt

    widgets._redraw(output, lambda: plt.figure(), button)
    assert button.description.startswith("train (last run")


def test_live_controls_redraw_when_released():
    import matplotlib.pyplot as plt

    output, slider, calls = widgets.make_output(), W.FloatSlider(), []
    widgets.live(output, lambda: calls.append(slider.value) or plt.figure(), slider)
    assert slider.continuous_update is False
    slider.value = 3.0
    assert calls == [3.0] and output.last_figure is not None


def test_errors_in_live_callbacks_are_shown_and_kept():
    output, slider = widgets.make_output(), W.IntSlider()

    def broken():
        raise ValueError("bad value")

    widgets.live(output, broken, slider)
    panel = widgets._panel({"n": slider}, output)
    with pytest.raises(ValueError, match="bad value"):
        widgets.drive(panel, n=4)
    assert len(output.errors) == 1  # kept for drive, and printed in the panel (seen in the browser tests)
