"""The zero-shot panel (notebook 06)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button


def zero_shot_panel(make_model, features, labels, class_attributes, attribute_names, class_names, *,
                    images=None, unseen=(0, 1, 2), description: str = "", k: int = 8) -> W.VBox:
    """Zero-shot by hand: choose which classes are unseen (the model is refitted on the others), or type a
    new description, press *run*, and see the confusion among the unseen classes and the images that best
    match the description. ``make_model()`` returns a fresh model with ``fit``/``scores`` (e.g.
    ``lambda: ESZSL()``); descriptions are attribute names separated by commas, or one number per
    attribute. The logic is :func:`tlearn.zeroshot.zero_shot_trial`."""
    from ..viz import plot_zero_shot_trial
    from ..zeroshot import parse_description, zero_shot_trial

    names = [str(c) for c in class_names]
    chooser = W.SelectMultiple(options=[(n, i) for i, n in enumerate(names)], value=tuple(int(c) for c in unseen),
                               rows=min(10, len(names)), description="unseen")
    typed = W.Text(value=description, placeholder=", ".join(list(attribute_names)[:3]) + ", ...",
                   description="describe", layout=W.Layout(width="420px"))
    run = slow_button("refit and run", "refits the model without the unseen classes, then classifies them")
    hint = W.HTML(f"<small>attributes: {', '.join(attribute_names)}</small>")
    output = make_output()
    trials = []

    def figure():
        text = typed.value.strip()
        wanted = parse_description(text, attribute_names) if text else None
        trial = zero_shot_trial(make_model(), features, labels, class_attributes, list(chooser.value),
                                description=wanted, k=k)
        trials.append(trial)
        return plot_zero_shot_trial(trial, names, images=images, labels=labels, description=text or None)

    run.on_click(lambda _: _redraw(output, figure, run))
    panel = _panel({"unseen": chooser, "description": typed, "run": run}, output, hint)
    panel.trials = trials
    return panel
