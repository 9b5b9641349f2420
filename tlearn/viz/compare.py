"""Which technique when (notebook 07): accuracy against label budget for every technique, and the ranking."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np


def _interval(point):
    """``(mean, low, high)`` from a ``tlearn.compare.Summary`` or a 3-tuple."""
    if hasattr(point, "mean") and hasattr(point, "low") and hasattr(point, "high"):
        return float(point.mean), float(point.low), float(point.high)
    mean, low, high = point
    return float(mean), float(low), float(high)


def plot_technique_curves(
    curves: dict,
    budgets,
    tick_labels=None,
    chance: float | None = None,
    ax=None,
    title: str | None = None,
    styles: dict | None = None,
    legend: bool = True,
):
    """Accuracy against labelled examples per class, one line per technique with its 95% interval as
    error bars. ``curves`` maps a technique to ``{budget: point}`` with ``point`` a
    :class:`tlearn.compare.Summary` or ``(mean, low, high)``; ``budgets`` (0 and ``math.inf`` = "all"
    allowed) are placed at equal spacing, in order. A technique measured at one budget only is a single
    large marker. ``styles`` maps a technique to matplotlib keyword arguments (color, ls, marker);
    ``legend=False`` leaves the legend to the caller (e.g. one ``fig.legend`` for several panels)."""
    budgets = list(budgets)
    if not curves:
        raise ValueError("curves is empty; pass {technique: {budget: (mean, low, high)}}")
    position = {b: i for i, b in enumerate(budgets)}
    unknown = sorted({b for points in curves.values() for b in points if b not in position}, key=float)
    if unknown:
        raise ValueError(f"curves have budgets {unknown} that are not in budgets={budgets}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    for i, (name, points) in enumerate(curves.items()):
        style = {"color": f"C{i % 10}", "marker": "o", **(styles or {}).get(name, {})}
        xs = sorted(points, key=lambda b: position[b])
        stats = np.array([_interval(points[b]) for b in xs]) * 100
        x = np.array([position[b] for b in xs], dtype=float) + 0.04 * (i - len(curves) / 2)  # avoid overlap
        yerr = np.vstack([stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]])
        if len(xs) == 1:
            style = {**style, "ms": 11, "ls": "none"}
        ax.errorbar(x, stats[:, 0], yerr=yerr, capsize=3, ms=style.pop("ms", 5), label=name, **style)
    if chance is not None:
        ax.axhline(100 * chance, color="0.5", ls=":", lw=1, label="chance")
    ax.set_xticks(range(len(budgets)))
    ax.set_xticklabels(
        tick_labels if tick_labels is not None else ["all" if b == math.inf else f"{b:g}" for b in budgets]
    )
    ax.set_xlabel("labelled examples per class"), ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100), ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or "accuracy against label budget", fontsize=10)
    return fig if fig is not None else ax.figure


def plot_comparison(comparison, targets: dict, styles: dict | None = None):
    """One :func:`plot_technique_curves` panel per target of a :class:`tlearn.compare.Comparison`, side by
    side, with one legend below them. ``targets`` maps a target's name to ``(images per class in its pool,
    chance)``: the first labels the budget "all" (``all (~n)``), the second draws the chance line."""
    if not targets:
        raise ValueError("targets is empty; pass {target: (pool images per class, chance)}")
    fig, axes = plt.subplots(1, len(targets), figsize=(6.5 * len(targets), 4.8), squeeze=False)
    for ax, (target, (per_class, chance)) in zip(axes[0], targets.items()):
        budgets = comparison.budgets(target)
        ticks = [f"all (~{per_class})" if b == math.inf else f"{b:g}" for b in budgets]
        curves = {name: comparison.curve(target, name) for name in comparison.techniques(target)}
        plot_technique_curves(curves, budgets, ticks, chance, ax=ax, title=target, styles=styles, legend=False)
    legend = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def plot_technique_ranking(
    ranking, recommended: str | None = None, max_seconds: float = math.inf, title: str | None = None
):
    """Two bar panels: accuracy (with its 95% interval) and training seconds of every technique in
    ``ranking`` (``(technique, budget used, summary)`` rows, as :meth:`tlearn.compare.Comparison.ranking`
    returns). Techniques slower than ``max_seconds`` are grey; the ``recommended`` one is outlined."""
    ranking = list(ranking)
    if not ranking:
        raise ValueError("ranking is empty: no technique is usable with this label budget")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 0.45 * len(ranking) + 1.5), sharey=True)
    y = np.arange(len(ranking))
    stats = np.array([_interval(s) for _, _, s in ranking]) * 100
    seconds = np.array([max(float(s.seconds), 1e-3) for _, _, s in ranking])
    colors = ["0.75" if sec > max_seconds else f"C{i % 10}" for i, sec in enumerate(seconds)]
    edges = ["k" if name == recommended else "none" for name, _, _ in ranking]
    left.barh(
        y,
        stats[:, 0],
        xerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]],
        color=colors,
        edgecolor=edges,
        linewidth=2,
        capsize=3,
    )
    right.barh(y, seconds, color=colors, edgecolor=edges, linewidth=2)
    right.set_xscale("log")
    if math.isfinite(max_seconds):
        right.axvline(max_seconds, color="k", ls="--", lw=1, label="time limit")
        right.legend(fontsize=8)
    names = [f"{name}  ({'all' if b == math.inf else f'{b:g}'} labels)" for name, b, _ in ranking]
    left.set_yticks(y), left.set_yticklabels(names, fontsize=8), left.invert_yaxis()
    left.set_xlim(0, 100), left.set_xlabel("test accuracy (%)"), left.grid(alpha=0.3, axis="x")
    right.set_xlabel("training seconds on the target (log)"), right.grid(alpha=0.3, axis="x")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
