"""What every panel shares: its layout, its output area, error reporting, and :func:`drive`."""

from __future__ import annotations

import time

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

SLIDERS = (W.IntSlider, W.FloatSlider, W.FloatLogSlider, W.SelectionSlider)
SLIDER_MIN_WIDTH = "280px"  # a slider squeezed narrower than this loses its track (and reads NaN when dragged)


def make_output() -> W.Output:
    """An output area that also keeps the errors its callbacks raised (see :func:`drive`)."""
    output = W.Output()
    output.errors = []
    output.last_figure = None  # the figure drawn last, for tests and for saving
    output.last_seconds = None  # how long the last figure took to compute
    return output


def arrange(controls) -> W.Box:
    """Controls in rows that wrap at narrow widths instead of squeezing: no control shrinks below its
    natural width, sliders keep at least ``SLIDER_MIN_WIDTH`` and every label is shown whole."""
    for control in controls:
        control.layout.flex = "0 0 auto"
        if isinstance(control, SLIDERS):
            control.layout.min_width = SLIDER_MIN_WIDTH
        if isinstance(control, W.Checkbox):
            control.indent = False
            control.layout.width = "auto"
        if isinstance(control, W.Button):
            control.layout.width = "auto"
        elif hasattr(control.style, "description_width"):
            control.style.description_width = "initial"
    return W.Box(
        list(controls),
        layout=W.Layout(display="flex", flex_flow="row wrap", align_items="center", width="100%", grid_gap="4px 16px"),
    )


def _panel(controls: dict, output: W.Output, *extra) -> W.VBox:
    box = W.VBox([arrange(controls.values()), *extra, output], layout=W.Layout(width="100%"))
    box.controls = controls
    box.output = output
    return box


def timed_label(label: str, seconds: float | None) -> str:
    """A slow button's text: what it does, and how long its last run took."""
    if seconds is None:
        return label
    return f"{label} (last run {seconds:.1f} s)" if seconds >= 0.95 else f"{label} (last run under 1 s)"


def slow_button(label: str, what: str) -> W.Button:
    """A button for a computation too slow to run on every change: ``label`` says what it does, the tooltip
    says more, and after each run the button shows how long it took (see :func:`timed_label`)."""
    button = W.Button(description=label, tooltip=what, button_style="primary", layout=W.Layout(width="auto"))
    button.label = label
    return button


def _redraw(output: W.Output, make_figure, button: W.Button | None = None):
    """Clear ``output`` and show ``make_figure()``; an error is printed there, kept, and raised. With a
    ``button`` (from :func:`slow_button`), its text then tells how long the computation took."""
    with output:
        output.clear_output(wait=True)
        start = time.perf_counter()
        try:
            fig = make_figure()
        except Exception as err:
            output.errors.append(err)
            print(f"error: {type(err).__name__}: {err}")
            raise
        output.last_seconds = time.perf_counter() - start
        if button is not None:
            button.description = timed_label(button.label, output.last_seconds)
        output.last_figure = fig
        display(fig)
        plt.close(fig)


def live(output: W.Output, make_figure, *controls):
    """Redraw whenever one of ``controls`` changes (sliders and text only when released or submitted)."""
    for control in controls:
        if hasattr(control, "continuous_update"):
            control.continuous_update = False
        control.observe(lambda change: _redraw(output, make_figure), names="value")


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
