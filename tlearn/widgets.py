"""Interactive panels (ipywidgets).

Panels are thin: each control calls a pure function of :mod:`tlearn` and shows its figure or numbers, so
the logic is tested without a browser. A callback error is shown in the panel's output area and re-raised,
never swallowed. Each panel returns an ``ipywidgets.VBox`` whose ``.controls`` dict names its widgets, so
a notebook or a test can drive it as a user would: ``drive(panel, alphabet=3)`` or
``drive(panel, click="train", lr=0.01)``, which raises the first error any callback hit (ipywidgets itself
only logs errors raised inside button callbacks).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import ipywidgets as W
from IPython.display import display


def make_output() -> W.Output:
    """An output area that also keeps the errors its callbacks raised (see :func:`drive`)."""
    output = W.Output()
    output.errors = []
    output.last_figure = None  # the figure drawn last, for tests and for saving
    return output


def _panel(controls: dict, output: W.Output, *extra) -> W.VBox:
    box = W.VBox([W.HBox(list(controls.values())), *extra, output])
    box.controls = controls
    box.output = output
    return box


def _redraw(output: W.Output, make_figure):
    """Clear ``output`` and show ``make_figure()``; an error is printed there, kept, and raised."""
    with output:
        output.clear_output(wait=True)
        try:
            fig = make_figure()
        except Exception as err:
            output.errors.append(err)
            print(f"error: {type(err).__name__}: {err}")
            raise
        output.last_figure = fig
        display(fig)
        plt.close(fig)


def drive(panel: W.VBox, click: str | None = None, **values):
    """Set a panel's controls (``name=value``) and optionally click one of its buttons, as a user would;
    raise the first error a callback hit."""
    panel.output.errors.clear()
    for name, value in values.items():
        if name not in panel.controls:
            raise ValueError(f"the panel has no control {name!r}; it has {sorted(panel.controls)}")
        panel.controls[name].value = value
    if click is not None:
        if click not in panel.controls:
            raise ValueError(f"the panel has no button {click!r}; it has {sorted(panel.controls)}")
        panel.controls[click].click()
    if panel.output.errors:
        raise panel.output.errors[0]
    return panel


def glyph_browser(glyph_set, n_show: int = 10) -> W.VBox:
    """Browse a Glyphs set: pick an alphabet and a character, see its drawers and its trajectory."""
    from .viz import image_grid, plot_trajectory

    alphabet = W.Dropdown(options=[(name, i) for i, name in enumerate(glyph_set.alphabet_names)], value=0,
                          description="alphabet")
    character = W.IntSlider(value=0, min=0, max=len(glyph_set.characters_of(0)) - 1, description="character")
    output = make_output()

    def figure():
        chars = glyph_set.characters_of(alphabet.value)
        if character.max != len(chars) - 1:
            character.max = len(chars) - 1
        c = int(chars[min(character.value, len(chars) - 1)])
        idx = (glyph_set.targets == c).nonzero().flatten()[:n_show]
        fig = image_grid(glyph_set.images[idx], nrow=n_show,
                         titles=[f"drawer {int(d)}" for d in glyph_set.drawers[idx]],
                         suptitle=f"{glyph_set.classes[c]}: {int(glyph_set.n_strokes[c])} strokes")
        return fig

    def show_all():
        _redraw(output, figure)
        with output:
            i = int((glyph_set.targets == int(glyph_set.characters_of(alphabet.value)[character.value]))
                    .nonzero()[0])
            fig = plot_trajectory(glyph_set.trajectories[i], glyph_set.lengths[i], steps=4,
                                  title="drawn stroke by stroke")
            display(fig)
            plt.close(fig)

    alphabet.observe(lambda change: show_all(), names="value")
    character.observe(lambda change: show_all(), names="value")
    show_all()
    return _panel({"alphabet": alphabet, "character": character}, output)
