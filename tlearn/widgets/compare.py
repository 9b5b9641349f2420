"""Which technique when (notebook 07)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output


def technique_panel(
    comparison, *, target: str | None = None, labels=5, max_seconds: float = 1000.0, tolerance: float = 0.02
) -> W.VBox:
    """Which technique when? Choose the target, how many labels per class you have, the training time you
    can spend on the target and how many accuracy points you would give up for speed: every technique
    usable with those labels is ranked (:meth:`tlearn.compare.Comparison.ranking`, from the runs already
    recorded, nothing is trained) and the recommended one (:meth:`~tlearn.compare.Comparison.recommend`)
    is outlined. Techniques slower than the limit are grey."""
    from ..compare import ALL, budget_phrase, budget_text
    from ..viz import plot_technique_ranking

    targets = comparison.targets()
    if not targets:
        raise ValueError("comparison has no runs yet; add some with comparison.add(...)")
    target_menu = W.Dropdown(options=targets, value=target or targets[0], description="target")

    def label_options(name):
        finite = [b for b in comparison.budgets(name) if b != ALL]
        top = max(finite) if finite else 0
        values = sorted({*finite, *(v for v in (2, 3, 10, 20, 50, 100) if v < top)})
        values += [ALL] if ALL in comparison.budgets(name) else []
        return [(budget_text(v), v) for v in values]

    labels_slider = W.SelectionSlider(options=label_options(target_menu.value), description="labels/class")
    if labels in [v for _, v in labels_slider.options]:
        labels_slider.value = labels
    seconds_slider = W.FloatLogSlider(
        value=max_seconds, base=10, min=-2, max=3, step=0.25, description="max s", readout_format=".2g"
    )
    tolerance_slider = W.FloatSlider(
        value=tolerance, min=0.0, max=0.1, step=0.01, description="give up ≤", readout_format=".0%"
    )
    summary = W.HTML()
    output = make_output()
    picks = []

    def figure():
        name, k, limit = target_menu.value, labels_slider.value, seconds_slider.value
        pick = comparison.recommend(name, k, limit, tolerance_slider.value)
        picks.append((name, k, limit, tolerance_slider.value, pick))
        if pick is None:
            summary.value = f"nothing measured on {name} with {budget_phrase(k)} trains in under {limit:.2g} s"
        else:
            technique, used, s = pick
            summary.value = (
                f"{name}, {budget_phrase(k)}, at most {limit:.2g} s: use <b>{technique}</b> "
                f"({s}, {s.seconds:.2g} s to train, its {budget_text(used)}-label result)"
            )
        return plot_technique_ranking(
            comparison.ranking(name, k),
            pick[0] if pick else None,
            limit,
            title=f"{name}: techniques usable with {budget_phrase(k)}",
        )

    def new_target(change):
        labels_slider.options = label_options(change["new"])
        _redraw(output, figure)

    target_menu.observe(new_target, names="value")
    for control in (labels_slider, seconds_slider, tolerance_slider):
        control.observe(lambda change: _redraw(output, figure), names="value")
    _redraw(output, figure)
    controls = {
        "target": target_menu,
        "labels": labels_slider,
        "max_seconds": seconds_slider,
        "tolerance": tolerance_slider,
    }
    panel = _panel(controls, output, summary)
    panel.picks, panel.summary = picks, summary
    return panel
