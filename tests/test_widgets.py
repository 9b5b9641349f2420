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
