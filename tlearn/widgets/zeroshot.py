"""The zero-shot panel (notebook 06)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button


def zero_shot_panel(
    make_model,
    features,
    labels,
    class_attributes,
    attribute_names,
    class_names,
    *,
    images=None,
    unseen=(0, 1, 2),
    description: str = "",
    k: int = 8,
) -> W.VBox:
    """Zero-shot by hand: choose which classes are unseen (the model is refitted on the others), or type a
    new description, press *run*, and see the confusion among the unseen classes and the images that best
    match the description. ``make_model()`` returns a fresh model with ``fit``/``scores`` (e.g.
    ``lambda: ESZSL()``); descriptions are attribute names separated by commas, or one number per
    attribute. The logic is :func:`tlearn.zeroshot.zero_shot_trial`."""
    from ..viz import plot_zero_shot_trial
    from ..zeroshot import parse_description, zero_shot_trial

    names = [str(c) for c in class_names]
    chooser = W.SelectMultiple(
        options=[(n, i) for i, n in enumerate(names)],
        value=tuple(int(c) for c in unseen),
        rows=min(10, len(names)),
        description="unseen",
    )
    typed = W.Text(
        value=description,
        placeholder=", ".join(list(attribute_names)[:3]) + ", ...",
        description="describe",
        layout=W.Layout(width="420px"),
    )
    run = slow_button("refit and run", "refits the model without the unseen classes, then classifies them")
    hint = W.HTML(f"<small>attributes: {', '.join(attribute_names)}</small>")
    output = make_output()
    trials = []

    def figure():
        text = typed.value.strip()
        wanted = parse_description(text, attribute_names) if text else None
        trial = zero_shot_trial(
            make_model(), features, labels, class_attributes, list(chooser.value), description=wanted, k=k
        )
        trials.append(trial)
        return plot_zero_shot_trial(trial, names, images=images, labels=labels, description=text or None)

    run.on_click(lambda _: _redraw(output, figure, run))
    panel = _panel({"unseen": chooser, "description": typed, "run": run}, output, hint)
    panel.trials = trials
    return panel


def stacking_readout(scores, targets, seen, unseen, calibration: float) -> dict:
    r"""What the calibrated-stacking panel shows for one constant :math:`\gamma`: the generalized
    accuracies of :func:`tlearn.zeroshot.generalized_accuracy` (``seen``, ``unseen``, ``harmonic``,
    ``unseen_as_seen``) with :math:`\gamma` subtracted from every seen-class score, and a line of ``text``."""
    from ..zeroshot import generalized_accuracy

    out = generalized_accuracy(scores, targets, seen, unseen, calibration)
    out["text"] = (
        f"gamma = {calibration:.3g}: seen {out['seen']:.1%}, unseen {out['unseen']:.1%}, "
        f"harmonic mean H {out['harmonic']:.1%}; {out['unseen_as_seen']:.0%} of unseen images taken as seen"
    )
    return out


def _stacking_figure(curve, point, name):
    import matplotlib.pyplot as plt

    fig, (ax_curve, ax_bars) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [1.3, 1]})
    ax_curve.plot(curve["unseen"], curve["seen"], "-", color="0.5", label=f"every gamma (AUSUC {curve['auc']:.3f})")
    ax_curve.plot(point["unseen"], point["seen"], "o", color="C3", ms=9, label="this gamma")
    ax_curve.set(xlabel="unseen-class accuracy", ylabel="seen-class accuracy", xlim=(0, 1), ylim=(0, 1))
    ax_curve.set_title(f"{name}: the seen-unseen curve", fontsize=10), ax_curve.legend(fontsize=8)
    bars = ax_bars.bar(
        ["seen", "unseen", "H"], [point["seen"], point["unseen"], point["harmonic"]], color=["C0", "C1", "C3"]
    )
    ax_bars.bar_label(bars, fmt="%.2f", fontsize=8)
    ax_bars.set_ylim(0, 1), ax_bars.set_title("generalized accuracy at this gamma", fontsize=10)
    fig.tight_layout()
    return fig


def stacking_panel(
    scores: dict, targets, seen, unseen, *, method: str | None = None, chosen: dict | None = None, n_points: int = 41
) -> W.VBox:
    r"""Calibrated stacking by hand: choose a method and the constant :math:`\gamma` subtracted from its
    seen-class scores; seen, unseen and harmonic-mean accuracy update as the slider is released.
    ``scores`` maps a method's name to its test scores ``[N, C]``; the slider spans the method's own sweep
    (:func:`tlearn.zeroshot.stacking_curve`) and starts at ``chosen[method]`` if given, else 0. The logic
    is :func:`stacking_readout`."""
    from ..zeroshot import stacking_curve

    if not scores:
        raise ValueError("scores is empty; pass {method name: scores [N, C]}")
    chosen = dict(chosen or {})
    curves = {name: stacking_curve(s, targets, seen, unseen, n_points=n_points) for name, s in scores.items()}
    menu = W.Dropdown(options=list(scores), value=method or next(iter(scores)), description="method")
    slider = W.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.01, description="gamma", readout_format=".3g")
    slider.continuous_update = False  # redraw when the slider is released
    summary, output, readouts, moving = W.HTML(), make_output(), [], []

    def fit_slider(name):
        moving.append(True)  # no redraw while the range changes
        low, high = float(curves[name]["calibration"].min()), float(curves[name]["calibration"].max())
        if low > slider.max:  # widen first, so that min never exceeds max on the way
            slider.max = high
        slider.min, slider.max, slider.step = low, high, (high - low) / 200
        slider.value = min(max(chosen.get(name, 0.0), low), high)
        moving.clear()

    def figure():
        name = menu.value
        point = stacking_readout(scores[name], targets, seen, unseen, slider.value)
        readouts.append((name, slider.value, point))
        summary.value = f"{name}: {point['text']}"
        return _stacking_figure(curves[name], point, name)

    fit_slider(menu.value)
    slider.observe(lambda change: None if moving else _redraw(output, figure), names="value")
    menu.observe(lambda change: (fit_slider(change["new"]), _redraw(output, figure)), names="value")
    _redraw(output, figure)
    panel = _panel({"method": menu, "gamma": slider}, output, summary)
    panel.readouts, panel.summary, panel.curves = readouts, summary, curves
    return panel
