"""Multi-task plots (notebook 04): accuracy against training-set size, soft sharing's lambda sweep."""

from __future__ import annotations

import matplotlib.pyplot as plt


def plot_accuracy_vs_size(rows, metric: str = "mean", ax=None, title: str | None = None):
    """Test accuracy against training-set size, one line per method.

    ``rows``: dicts with ``"method"``, ``"train size"`` and ``metric`` (e.g. the rows of a results table).
    """
    rows = list(rows)
    missing = [k for k in ("method", "train size", metric) if rows and k not in rows[0]]
    if not rows or missing:
        raise ValueError(f"rows need the keys 'method', 'train size' and {metric!r}; missing {missing or 'all rows'}")
    fig, ax = plt.subplots(figsize=(5, 3.2)) if ax is None else (ax.figure, ax)
    for method in dict.fromkeys(r["method"] for r in rows):
        points = sorted((r["train size"], r[metric]) for r in rows if r["method"] == method)
        ax.plot(*zip(*points), marker="o", label=method)
    ax.set_xscale("log")
    sizes = sorted({r["train size"] for r in rows})
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training examples"), ax.set_ylabel(f"test accuracy ({metric})")
    ax.grid(alpha=0.3), ax.legend(fontsize=8)
    ax.set_title(title or "accuracy against training-set size")
    fig.tight_layout()
    return fig


def plot_lambda_sweep(rows, tasks, references=None, runs=None, title: str | None = None):
    """Soft sharing's dial: parameter distance (left) and test accuracy (right) against lambda.

    ``rows``: dicts from :func:`tlearn.multitask.lambda_sweep` (``lam``, ``distance``,
    ``initial_distance``, one accuracy per task and ``mean``), drawn as lines. ``references``:
    ``{label: mean accuracy}`` drawn as horizontal lines (e.g. single-task networks, hard sharing).
    ``runs``: further rows (e.g. from a panel) drawn as numbered points.
    """
    rows = sorted(rows or [], key=lambda r: r["lam"])
    runs = list(runs or [])
    everything = rows + runs
    if not everything:
        raise ValueError("nothing to plot: give rows from lambda_sweep (or runs)")
    lams = [r["lam"] for r in everything]
    positive = [v for v in lams if v > 0]
    fig, (ax_d, ax_a) = plt.subplots(1, 2, figsize=(10, 3.4))
    if rows:
        x = [r["lam"] for r in rows]
        ax_d.plot(x, [r["distance"] for r in rows], marker="o", color="k", label="after training")
        if rows[0]["initial_distance"] > 0:  # networks started apart (same_init=False)
            ax_d.axhline(rows[0]["initial_distance"], ls=":", color="gray", label="at initialisation")
        ax_a.plot(x, [r["mean"] for r in rows], marker="o", color="k", label="mean")
        for t in tasks:
            ax_a.plot(x, [r[t] for r in rows], marker=".", ls="--", alpha=0.7, label=t)
    for i, r in enumerate(runs, 1):
        label = "trained in the panel" if i == 1 else None
        ax_d.scatter([r["lam"]], [r["distance"]], s=90, marker="*", color="C3", zorder=3, label=label)
        ax_d.annotate(str(i), (r["lam"], r["distance"]), textcoords="offset points", xytext=(5, 5), color="C3")
        ax_a.scatter([r["lam"]], [r["mean"]], s=90, marker="*", color="C3", zorder=3, label=label)
        ax_a.annotate(str(i), (r["lam"], r["mean"]), textcoords="offset points", xytext=(5, 5), color="C3")
    for k, (label, value) in enumerate((references or {}).items()):
        ax_a.axhline(value, color=f"C{k + 4}", ls=":", label=label)
    for ax in (ax_d, ax_a):
        if positive:
            ax.set_xscale("symlog", linthresh=min(positive))
        ax.set_xlabel("lambda"), ax.grid(alpha=0.3), ax.legend(fontsize=8)
    if all(r["distance"] > 0 for r in everything):
        ax_d.set_yscale("log")
    ax_d.set_ylabel("parameter distance ‖θ₁ − θ₂‖")
    ax_d.set_title("lambda pulls the task networks together")
    ax_a.set_ylabel("test accuracy")
    ax_a.set_title("independent (lambda = 0) ... one network (large lambda)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
