"""Browse the Glyphs world (notebook 00)."""

from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from .base import _panel, _redraw, make_output


def thumbnail_figsize(n: int, nrow: int, inches: float = 1.25) -> tuple[int, tuple[float, float]]:
    """Columns and figure size for ``n`` thumbnails, at most ``nrow`` a row, each about ``inches`` square
    (about 90 px on screen) plus room for its title."""
    cols = max(1, min(nrow, n))
    rows = -(-n // cols)
    return cols, (cols * inches, rows * (inches + 0.3) + 0.4)


def glyph_browser(glyph_set, n_show: int = 10, per_row: int = 5) -> W.VBox:
    """Browse a Glyphs set: pick an alphabet and a character, see its drawers (``n_show`` thumbnails,
    ``per_row`` a row) and its pen trajectory stroke by stroke (one frame per stroke)."""
    from ..viz import image_grid, plot_trajectory

    alphabet = W.Dropdown(
        options=[(name, i) for i, name in enumerate(glyph_set.alphabet_names)], value=0, description="alphabet"
    )
    character = W.IntSlider(value=0, min=0, max=len(glyph_set.characters_of(0)) - 1, description="character")
    output = make_output()

    def figure():
        chars = glyph_set.characters_of(alphabet.value)
        c = int(chars[min(character.value, len(chars) - 1)])
        idx = (glyph_set.targets == c).nonzero().flatten()[:n_show]
        cols, size = thumbnail_figsize(len(idx), per_row)
        fig = image_grid(
            glyph_set.images[idx],
            nrow=cols,
            figsize=size,
            titles=[f"drawer {int(d)}" for d in glyph_set.drawers[idx]],
            suptitle=f"{glyph_set.classes[c]}: {int(glyph_set.n_strokes[c])} strokes",
        )
        # the trajectory below the thumbnails, in the same output area: one frame per stroke
        first = int(idx[0])
        output.trajectory = plot_trajectory(
            glyph_set.trajectories[first],
            glyph_set.lengths[first],
            steps=int(glyph_set.n_strokes[c]),
            title="drawn stroke by stroke",
        )
        return fig

    def show_all():
        _redraw(output, figure)
        with output:
            display(output.trajectory)
            plt.close(output.trajectory)

    busy = []  # set while the alphabet callback moves the slider, so that it redraws once, not twice

    def new_alphabet(change):
        top = len(glyph_set.characters_of(alphabet.value)) - 1
        busy.append(True)
        try:
            character.max, character.value = top, min(character.value, top)
        finally:
            busy.clear()
        show_all()

    alphabet.observe(new_alphabet, names="value")
    character.continuous_update = False
    character.observe(lambda change: None if busy else show_all(), names="value")
    show_all()
    return _panel({"alphabet": alphabet, "character": character}, output)
