"""Fine-tuning and feature-extraction plots (notebooks 01 and 02): learning curves over label budgets,
accuracy per tapped layer, accuracy against training time."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_learning_curve(budgets, curves: dict, tick_labels=None, shade: bool = True, ax=None, title: str | None = None):
    """Test accuracy against labels per class (log scale), one line per method in ``curves``
    (``name -> accuracies``, one per budget). With ``shade`` the gap between the first two curves is
    filled, so a gap that narrows as labels grow is visible at a glance."""
    budgets = [float(b) for b in budgets]
    if not curves or any(len(v) != len(budgets) for v in curves.values()):
        raise ValueError(
            f"curves must map each method to {len(budgets)} accuracies (one per budget), "
            f"got lengths {[len(v) for v in curves.values()]}"
        )
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.4))
    for i, (name, values) in enumerate(curves.items()):
        ax.plot(budgets, values, "o-", color=f"C{i}", label=name)
    names = list(curves)
    if shade and len(names) >= 2:
        ax.fill_between(budgets, curves[names[0]], curves[names[1]], color="0.5", alpha=0.15, label="gap")
    ax.set_xscale("log")
    ax.set_xticks(budgets)
    ax.set_xticklabels(tick_labels if tick_labels is not None else [f"{b:g}" for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel("labelled examples per class"), ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3), ax.legend(fontsize=8)
    ax.set_title(title or "learning curve", fontsize=10)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_layer_accuracy(layers, accuracies: dict, ax=None, title: str | None = None):
    """Probe accuracy per tapped layer (input to output), one line per target in ``accuracies``
    (``target -> accuracies``); the best layer of each target is marked with a star."""
    layers = list(layers)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.2))
    x = np.arange(len(layers))
    for i, (name, values) in enumerate(accuracies.items()):
        values = np.asarray(values, dtype=float)
        if len(values) != len(layers):
            raise ValueError(f"accuracies[{name!r}] has {len(values)} values for {len(layers)} layers")
        ax.plot(x, values, "o-", color=f"C{i}", label=name)
        best = int(values.argmax())
        ax.plot(x[best], values[best], "*", color=f"C{i}", ms=16, markeredgecolor="k")
    ax.set_xticks(x)
    ax.set_xticklabels(layers, rotation=20, fontsize=8)
    ax.set_ylabel("probe test accuracy"), ax.grid(alpha=0.3), ax.legend(fontsize=8)
    ax.set_title(title or "which layer transfers best (star = best)", fontsize=10)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_accuracy_and_time(rows, title: str | None = None):
    """Two bar panels side by side: accuracy and training seconds of each method in ``rows``
    (dicts with ``"method"``, ``"accuracy"``, ``"seconds"``)."""
    rows = list(rows)
    if not rows or any(k not in r for r in rows for k in ("method", "accuracy", "seconds")):
        raise ValueError("rows must be a non-empty list of dicts with 'method', 'accuracy' and 'seconds'")
    names = [r["method"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 0.5 * len(rows) + 1.4))
    y = np.arange(len(rows))
    for ax, key, label in [(left, "accuracy", "test accuracy"), (right, "seconds", "training seconds")]:
        values = [float(r[key]) for r in rows]
        ax.barh(y, values, color=[f"C{i}" for i in range(len(rows))])
        for yi, v in zip(y, values):
            ax.text(v, yi, f" {v:.2f}", va="center", fontsize=8)
        ax.set_yticks(y)
        ax.set_yticklabels(names if ax is left else [], fontsize=8)
        ax.invert_yaxis(), ax.set_xlabel(label), ax.grid(alpha=0.3, axis="x")
        ax.margins(x=0.25)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
