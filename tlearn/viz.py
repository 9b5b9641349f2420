"""Plots. Every function returns a matplotlib ``Figure`` (so it shows in a rendered notebook and can be
saved or tested), and results tables render as Markdown in Jupyter and as text in a terminal."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def _image(x: torch.Tensor) -> np.ndarray:
    x = torch.as_tensor(x).detach().cpu().float()
    if x.dim() == 3 and x.shape[0] in (1, 3):
        x = x[0] if x.shape[0] == 1 else x.permute(1, 2, 0)
    return x.clamp(0, 1).numpy()


def _show(ax, x, title=None, color=None):
    img = _image(x)
    ax.imshow(img, cmap="gray_r" if img.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])
    if title is not None:
        ax.set_title(str(title), fontsize=8, color=color or "black")


def image_grid(images, nrow: int = 10, titles=None, figsize=None, suptitle: str | None = None):
    """Images ``[N, C, H, W]`` in a grid of ``nrow`` columns."""
    images = torch.as_tensor(images)
    n = len(images)
    if n == 0:
        raise ValueError("images is empty")
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    aspect = images.shape[-1] / images.shape[-2]
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (cols * 0.9 * aspect, rows * 0.9), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            _show(ax, images[i], titles[i] if titles is not None else None)
        else:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_episode(episode, predictions=None, max_query: int = 5):
    """The support set (one row per class) and some queries, coloured green/red by ``predictions``."""
    n, k = episode.n_way, episode.k_shot
    q_per = len(episode.query_labels) // n
    shown_q = min(q_per, max_query)
    fig, axes = plt.subplots(n, k + shown_q, figsize=((k + shown_q) * 0.9, n * 0.95), squeeze=False)
    for c in range(n):
        for j in range(k):
            _show(axes[c, j], episode.support[c * k + j], f"support {c}" if j == 0 else None)
        for j in range(shown_q):
            i = c * q_per + j
            title, color = "query", None
            if predictions is not None:
                p = int(predictions[i])
                title, color = f"-> {p}", ("green" if p == c else "red")
            _show(axes[c, k + j], episode.query[i], title, color)
    fig.suptitle(f"{n}-way {k}-shot episode: support left, queries right")
    fig.tight_layout()
    return fig


def plot_history(history, keys=None, title: str | None = None):
    """Curves of a :class:`~tlearn.train.History` (or any dict of lists), losses and accuracies apart."""
    keys = keys or [k for k in history if k != "seconds"]
    losses = [k for k in keys if "loss" in k]
    others = [k for k in keys if k not in losses]
    panels = [p for p in (losses, others) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3), squeeze=False)
    for ax, group in zip(axes[0], panels):
        for k in group:
            ax.plot(range(1, len(history[k]) + 1), history[k], label=k)
        ax.set_xlabel("epoch"), ax.legend(), ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def embed_2d(features, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Features ``[N, D]`` to 2-D with PCA or t-SNE (scikit-learn)."""
    X = torch.as_tensor(features).detach().cpu().float().numpy()
    if X.ndim != 2:
        raise ValueError(f"features must be [N, D], got shape {X.shape}")
    if X.shape[1] == 2:
        return X
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(X)
    if method == "tsne":
        from sklearn.manifold import TSNE

        return TSNE(2, init="pca", random_state=seed, perplexity=min(30, max(5, len(X) // 4))).fit_transform(X)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def plot_embedding(features, labels, method: str = "pca", markers=None, ax=None, title: str | None = None,
                   seed: int = 0):
    """A 2-D map of ``features`` coloured by ``labels``; ``markers`` (e.g. the domain of each point)
    switches the marker shape."""
    Z = embed_2d(features, method, seed)
    labels = np.asarray(torch.as_tensor(labels).cpu())
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 4))
    styles = ["o", "^", "s", "x"]
    groups = np.zeros(len(Z), dtype=int) if markers is None else np.asarray(torch.as_tensor(markers).cpu())
    for gid in np.unique(groups):
        m = groups == gid
        ax.scatter(Z[m, 0], Z[m, 1], c=labels[m], cmap="tab10" if labels.max() < 10 else "tab20", s=10,
                   marker=styles[int(gid) % len(styles)], alpha=0.7, vmin=labels.min(), vmax=labels.max())
    ax.set_title(title or f"features ({method.upper()})", fontsize=10)
    ax.set_xticks([]), ax.set_yticks([])
    return fig if fig is not None else ax.figure


def plot_trajectory(trajectory, length=None, steps: int = 1, ax=None, title: str | None = None):
    """A pen trajectory ``[T, 3]`` (x, y, pen_up). ``steps > 1`` draws it stroke by stroke in ``steps``
    panels: panel ``i`` shows the first ``i`` strokes, the newest in colour, with its start marked."""
    from .data.glyphs import trajectory_to_strokes

    strokes = trajectory_to_strokes(torch.as_tensor(trajectory), length)
    if steps == 1:
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
        _draw_strokes(ax, strokes, len(strokes))
        if title:
            ax.set_title(title, fontsize=9)
        return fig if fig is not None else ax.figure
    steps = min(steps, len(strokes))
    fig, axes = plt.subplots(1, steps, figsize=(2.2 * steps, 2.3), squeeze=False)
    for i, a in enumerate(axes[0]):
        _draw_strokes(a, strokes, i + 1)
        a.set_title(f"stroke {i + 1}", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _draw_strokes(ax, strokes, upto):
    for j, s in enumerate(strokes[:upto]):
        newest = j == upto - 1
        ax.plot(s[:, 0], s[:, 1], "-", color="C3" if newest else "0.3", lw=2)
        if newest:
            ax.plot(s[0, 0], s[0, 1], "o", color="C3", ms=5)
    ax.set_xlim(-1, 1), ax.set_ylim(-1, 1), ax.set_aspect("equal")
    ax.set_xticks([]), ax.set_yticks([])


class ResultsTable:
    """Rows of results, shown as Markdown in Jupyter and as aligned text elsewhere (``make run`` prints
    the text form of each notebook's table)."""

    def __init__(self, rows, title=None, digits: int = 3):
        if not rows:
            raise ValueError("rows is empty; a results table needs at least one row")
        self.rows, self.title, self.digits = rows, title, digits
        self.columns = list(dict.fromkeys(k for row in rows for k in row))

    def _fmt(self, v):
        if isinstance(v, float):
            return f"{v:.{self.digits}f}"
        return "" if v is None else str(v)

    def _repr_markdown_(self):
        head = f"**{self.title}**\n\n" if self.title else ""
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(self._fmt(r.get(c)) for c in self.columns) + " |" for r in self.rows]
        return head + "\n".join(lines)

    def __repr__(self):
        cells = [[self._fmt(r.get(c)) for c in self.columns] for r in self.rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(self.columns)]
        fmt = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths))  # noqa: E731
        lines = [self.title] if self.title else []
        lines += [fmt(self.columns), fmt(["-" * w for w in widths])] + [fmt(row) for row in cells]
        return "\n".join(lines)

    def __getitem__(self, i):
        return self.rows[i]


def results_table(rows, title=None, digits: int = 3) -> ResultsTable:
    """A results table from a list of dicts (one per method); floats shown with ``digits`` decimals."""
    return ResultsTable(list(rows), title, digits)


# --- multi-task learning (notebook 04) -------------------------------------------------------------


def plot_accuracy_vs_size(rows, metric: str = "mean", ax=None, title: str | None = None):
    """Test accuracy against training-set size, one line per method.

    ``rows``: dicts with ``"method"``, ``"train size"`` and ``metric`` (e.g. the rows of a results table).
    """
    rows = list(rows)
    missing = [k for k in ("method", "train size", metric) if rows and k not in rows[0]]
    if not rows or missing:
        raise ValueError(f"rows need the keys 'method', 'train size' and {metric!r}; missing {missing or 'all rows'}")
    fig, ax = (plt.subplots(figsize=(5, 3.2)) if ax is None else (ax.figure, ax))
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


# --- zero-shot learning (notebook 06) ------------------------------------------------------------------
def plot_attribute_table(table, attribute_names, class_names, title: str | None = None, ax=None):
    """Class descriptions ``[C, A]`` as a heat map: one row per class, one column per attribute."""
    table = torch.as_tensor(table).detach().cpu().float()
    if table.dim() != 2 or table.shape != (len(class_names), len(attribute_names)):
        raise ValueError(f"table must be [len(class_names), len(attribute_names)] = "
                         f"[{len(class_names)}, {len(attribute_names)}], got {list(table.shape)}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * len(attribute_names) + 1.8, 0.3 * len(class_names) + 1.6))
    ax.imshow(table.numpy(), cmap="Blues", aspect="auto", vmin=0, vmax=max(1.0, float(table.max())))
    ax.set_xticks(range(len(attribute_names)), attribute_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(class_names)), [str(c) for c in class_names], fontsize=8)
    binary = bool(((table == 0) | (table == 1)).all())
    for (i, j), v in np.ndenumerate(table.numpy()):
        ax.text(j, i, f"{v:.0f}" if binary else f"{v:.1f}", ha="center", va="center", fontsize=6,
                color="white" if v > 0.6 * max(1.0, float(table.max())) else "0.3")
    ax.set_title(title or "class descriptions", fontsize=10)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_predicted_attributes(predicted, descriptions, attribute_names, class_names, images=None,
                              title: str | None = None):
    """For each class (a row): the mean predicted probability of every attribute over the class's images
    (bars) against the class's description (circles), optionally beside one of its images."""
    predicted = torch.as_tensor(predicted).detach().cpu().float()
    descriptions = torch.as_tensor(descriptions).detach().cpu().float()
    if predicted.shape != descriptions.shape or predicted.dim() != 2:
        raise ValueError(f"predicted and descriptions must both be [K, A], got {list(predicted.shape)} and "
                         f"{list(descriptions.shape)}")
    k, a = predicted.shape
    if len(attribute_names) != a or len(class_names) != k:
        raise ValueError(f"need {a} attribute names and {k} class names, got {len(attribute_names)} and {len(class_names)}")
    with_images = images is not None
    fig, axes = plt.subplots(k, 2 if with_images else 1, figsize=(0.38 * a + (2.2 if with_images else 1.5), 1.7 * k),
                             squeeze=False, gridspec_kw={"width_ratios": [1, 0.3 * a]} if with_images else None)
    for i in range(k):
        if with_images:
            _show(axes[i, 0], images[i], str(class_names[i]))
        ax = axes[i, -1]
        ax.bar(range(a), predicted[i].numpy(), color="C0", alpha=0.7, label="predicted p(attribute | image)")
        ax.plot(range(a), descriptions[i].numpy(), "o", mfc="none", mec="C3", ms=7, label="description")
        ax.set_ylim(-0.08, 1.08), ax.set_xlim(-0.6, a - 0.4)
        ax.set_ylabel(str(class_names[i]) if not with_images else "", fontsize=8)
        ax.set_xticks(range(a), attribute_names if i == k - 1 else [""] * a, rotation=60, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes[0, -1].legend(fontsize=7, loc="upper right", ncol=2)
    fig.suptitle(title or "predicted attributes of unseen classes against their descriptions", fontsize=10)
    fig.tight_layout()
    return fig


def plot_confusion(matrix, class_names, title: str | None = None, ax=None):
    """A row-normalised confusion matrix (rows: true class, columns: predicted class)."""
    matrix = torch.as_tensor(matrix).detach().cpu().float()
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1] or len(class_names) != len(matrix):
        raise ValueError(f"matrix must be [K, K] with K = len(class_names) = {len(class_names)}, got {list(matrix.shape)}")
    k = len(matrix)
    fig = None
    if ax is None:
        side = min(9.0, 1.5 + 0.28 * k)
        fig, ax = plt.subplots(figsize=(side + 0.8, side))
    im = ax.imshow(matrix.numpy(), cmap="viridis", vmin=0, vmax=1)
    labels = [str(c) for c in class_names]
    fontsize = 8 if k <= 15 else 6
    ax.set_xticks(range(k), labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(k), labels, fontsize=fontsize)
    ax.set_xlabel("predicted"), ax.set_ylabel("true")
    if k <= 12:
        for (i, j), v in np.ndenumerate(matrix.numpy()):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title or "confusion among unseen classes", fontsize=10)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_stacking_curves(curves: dict, chosen: dict | None = None, focus: str | None = None,
                         title: str | None = None):
    """Calibrated stacking. Left: the seen-unseen accuracy curve of each method (area = AUSUC), with
    the uncalibrated point (constant 0, circle) and the chosen constant (star). Right: seen accuracy,
    unseen accuracy and their harmonic mean against the constant, for the ``focus`` method."""
    if not curves:
        raise ValueError("curves is empty; pass {method name: stacking_curve(...)}")
    chosen = chosen or {}
    focus = focus or next(iter(curves))
    if focus not in curves:
        raise ValueError(f"focus {focus!r} is not one of the curves: {sorted(curves)}")
    fig, (ax_suc, ax_h) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, (name, curve) in enumerate(curves.items()):
        color = f"C{i}"
        ax_suc.plot(curve["unseen"], curve["seen"], "-", color=color, label=f"{name} (AUSUC {curve['auc']:.3f})")
        for constant, marker in ((0.0, "o"), (chosen.get(name), "*")):
            if constant is None:
                continue
            j = int(np.argmin(np.abs(curve["calibration"] - constant)))
            ax_suc.plot(curve["unseen"][j], curve["seen"][j], marker, color=color, ms=11 if marker == "*" else 7,
                        mec="black")
    ax_suc.set_xlabel("unseen-class accuracy"), ax_suc.set_ylabel("seen-class accuracy")
    ax_suc.set_title("seen-unseen curve (o: no calibration, *: chosen)", fontsize=10)
    ax_suc.legend(fontsize=8), ax_suc.grid(alpha=0.3)
    curve = curves[focus]
    for key, style in (("seen", "--"), ("unseen", ":"), ("harmonic", "-")):
        ax_h.plot(curve["calibration"], curve[key], style, label=key, lw=2 if key == "harmonic" else 1.3)
    ax_h.axvline(0.0, color="0.5", lw=1, label="no calibration")
    if chosen.get(focus) is not None:
        ax_h.axvline(chosen[focus], color="C3", lw=1, label="chosen on validation classes")
    ax_h.set_xlabel("calibration constant subtracted from seen-class scores"), ax_h.set_ylabel("accuracy")
    ax_h.set_title(f"{focus}: accuracy against the constant", fontsize=10)
    ax_h.legend(fontsize=8), ax_h.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_zero_shot_trial(trial: dict, class_names, images=None, labels=None, description: str | None = None):
    """What :func:`tlearn.zeroshot.zero_shot_trial` found: the confusion among the unseen classes and,
    if a description was given, the images that match it best (titled with their true class)."""
    unseen = [int(c) for c in trial["unseen"]]
    names = [str(class_names[c]) for c in unseen]
    retrieved = trial.get("retrieved")
    show_retrieved = retrieved is not None and images is not None
    fig = plt.figure(figsize=(10, 3.6 if show_retrieved else 3.4))
    grid = fig.add_gridspec(2 if show_retrieved else 1, 8, height_ratios=[3, 1] if show_retrieved else None)
    ax = fig.add_subplot(grid[0, :4])
    plot_confusion(trial["confusion"], names, ax=ax,
                   title=f"unseen {', '.join(names)}: accuracy {trial['accuracy']:.2f} (chance {trial['chance']:.2f})")
    text = fig.add_subplot(grid[0, 4:])
    text.axis("off")
    seen = ", ".join(str(class_names[int(c)]) for c in trial["seen"])
    text.text(0.0, 0.9, f"trained on: {seen}", fontsize=9, va="top", wrap=True)
    if description:
        text.text(0.0, 0.55, f"your description: {description}", fontsize=9, va="top", wrap=True)
    if show_retrieved:
        text.text(0.0, 0.2, "best matches below (true class above each)", fontsize=9, va="top")
        for j, index in enumerate(retrieved[:8].tolist()):
            title = str(class_names[int(labels[index])]) if labels is not None else None
            _show(fig.add_subplot(grid[1, j]), images[index], title)
    fig.tight_layout()
    return fig


def plot_learning_curve(budgets, curves: dict, tick_labels=None, shade: bool = True, ax=None,
                        title: str | None = None):
    """Test accuracy against labels per class (log scale), one line per method in ``curves``
    (``name -> accuracies``, one per budget). With ``shade`` the gap between the first two curves is
    filled, so a gap that narrows as labels grow is visible at a glance."""
    budgets = [float(b) for b in budgets]
    if not curves or any(len(v) != len(budgets) for v in curves.values()):
        raise ValueError(f"curves must map each method to {len(budgets)} accuracies (one per budget), "
                         f"got lengths {[len(v) for v in curves.values()]}")
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


def plot_accuracy_vs_shots(curves: dict, chance: float | None = None, ax=None, title: str | None = None):
    """Few-shot accuracy against the number of shots K, one line per method, with 95% intervals as error
    bars. ``curves`` maps a method name to a list of results with ``.k_shot``, ``.mean`` and ``.ci95``
    (:class:`tlearn.fewshot.EpisodeResult`)."""
    if not curves:
        raise ValueError("curves is empty; pass {method name: [EpisodeResult, ...]}")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name, results in curves.items():
        ks = [r.k_shot for r in results]
        ax.errorbar(ks, [100 * r.mean for r in results], yerr=[100 * r.ci95 for r in results], marker="o",
                    ms=4, capsize=3, label=name)
    if chance is not None:
        ax.axhline(100 * chance, color="0.5", ls=":", lw=1, label="chance")
    first = next(iter(curves.values()))[0]
    ax.set_xlabel("shots per class (K)"), ax.set_ylabel("accuracy (%)")
    ax.set_xticks(sorted({r.k_shot for results in curves.values() for r in results}))
    ax.set_title(title or f"{first.n_way}-way accuracy against shots", fontsize=10)
    ax.grid(alpha=0.3), ax.legend(fontsize=8)
    return fig if fig is not None else ax.figure


def plot_episode_embedding(support, support_labels, query, query_labels, prototypes=None, ax=None,
                           title: str | None = None):
    """One episode's embeddings in 2-D (one PCA fitted on support, queries and prototypes together):
    support examples as large circles, queries as small dots, prototypes as stars, coloured by class."""
    support, query = torch.as_tensor(support).detach().cpu(), torch.as_tensor(query).detach().cpu()
    parts = [support, query] + ([torch.as_tensor(prototypes).detach().cpu()] if prototypes is not None else [])
    Z = embed_2d(torch.cat(parts), "pca")
    zs, zq = Z[: len(support)], Z[len(support): len(support) + len(query)]
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.2))
    s_lab, q_lab = np.asarray(support_labels), np.asarray(query_labels)
    colors = plt.get_cmap("tab10" if max(s_lab.max(), q_lab.max()) < 10 else "tab20")
    for c in np.unique(s_lab):
        ax.scatter(*zq[q_lab == c].T, s=12, color=colors(int(c)), alpha=0.6)
        ax.scatter(*zs[s_lab == c].T, s=70, color=colors(int(c)), edgecolor="black", label=f"class {c}")
        if prototypes is not None:
            ax.scatter(*Z[len(support) + len(query) + int(c)], s=260, marker="*", color=colors(int(c)),
                       edgecolor="black")
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(title or "episode embedding: support (circles), queries (dots), prototypes (stars)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig if fig is not None else ax.figure


def plot_drawing(image, support, support_labels, scores, class_names=None, title: str | None = None):
    """"Draw your own": the drawing, the first support image of each class, and each class's score as a bar
    (the predicted class in green)."""
    scores = torch.as_tensor(scores).detach().cpu().float()
    labels = torch.as_tensor(support_labels).cpu()
    n = len(scores)
    names = list(class_names) if class_names is not None else [f"class {c}" for c in range(n)]
    fig = plt.figure(figsize=(1.1 * (n + 1) + 3.2, 2.2))
    grid = fig.add_gridspec(1, n + 2, width_ratios=[1.2] + [1] * n + [3.0])
    _show(fig.add_subplot(grid[0]), image, "your drawing")
    best = int(scores.argmax())
    for c in range(n):
        first = int(torch.nonzero(labels == c)[0])
        _show(fig.add_subplot(grid[c + 1]), support[first], names[c], "green" if c == best else None)
    bars = fig.add_subplot(grid[n + 1])
    bars.barh(range(n), scores.numpy(), color=["green" if c == best else "0.6" for c in range(n)])
    bars.set_yticks(range(n)), bars.set_yticklabels(names, fontsize=7), bars.invert_yaxis()
    bars.set_xlim(0, 1), bars.set_xlabel("score", fontsize=8), bars.tick_params(labelsize=7)
    fig.suptitle(title or f"predicted: {names[best]}", fontsize=10)
    fig.tight_layout()
    return fig


# --- domain adaptation (notebook 03) ----------------------------------------------------------------


def plot_decision_boundaries(models, source, target, *, titles=None, resolution: int = 150):
    """One panel per model in ``models`` (``{name: model}``): its predicted class over the plane, source
    points as dots and target points as crosses, both coloured by their true class. ``source`` and
    ``target`` are ``(X [n, 2], y [n])`` pairs."""
    Xs, ys = (np.asarray(torch.as_tensor(a).cpu()) for a in source)
    Xt, yt = (np.asarray(torch.as_tensor(a).cpu()) for a in target)
    if Xs.ndim != 2 or Xs.shape[1] != 2 or Xt.ndim != 2 or Xt.shape[1] != 2:
        raise ValueError(f"source and target inputs must be 2-D points [n, 2], got {Xs.shape} and {Xt.shape}")
    both = np.concatenate([Xs, Xt])
    lo, hi = both.min(0) - 0.5, both.max(0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3.4), squeeze=False)
    for k, (ax, (name, model)) in enumerate(zip(axes[0], models.items())):
        was_training = model.training
        model.eval()
        with torch.no_grad():
            device = next(model.parameters()).device
            prob = torch.softmax(model(grid.to(device)), 1)[:, 1].cpu().numpy().reshape(gx.shape)
        model.train(was_training)
        ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.35)
        ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.2)
        ax.scatter(*Xs.T, c=ys, cmap="coolwarm", vmin=0, vmax=1, s=8, edgecolors="none", label="source")
        ax.scatter(*Xt.T, c=yt, cmap="coolwarm", vmin=0, vmax=1, s=14, marker="x", linewidths=0.8,
                   label="target")
        ax.set_title(titles[k] if titles else name, fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def plot_domain_features(panels, *, method: str = "pca", seed: int = 0, max_points: int = 400):
    """Source and target features in 2-D, one column per entry of ``panels``
    (``{title: (source_features, target_features, source_labels, target_labels)}``).

    Top row: coloured by domain (adapted features mix the two colours); bottom row: coloured by class,
    dots for source and crosses for target (good adaptation puts each target class on its source class).
    The 2-D map (PCA or t-SNE) is fitted on source and target together; at most ``max_points`` of each."""
    fig, axes = plt.subplots(2, len(panels), figsize=(3.6 * len(panels), 6.6), squeeze=False)
    for k, (title, (fs, ft, ys, yt)) in enumerate(panels.items()):
        fs, ft = torch.as_tensor(fs)[:max_points], torch.as_tensor(ft)[:max_points]
        ys, yt = np.asarray(torch.as_tensor(ys)[:max_points]), np.asarray(torch.as_tensor(yt)[:max_points])
        if fs.shape[1:] != ft.shape[1:]:
            raise ValueError(f"panel {title!r}: source and target features differ in width, "
                             f"{tuple(fs.shape)} vs {tuple(ft.shape)}")
        Z = embed_2d(torch.cat([fs.flatten(1), ft.flatten(1)]), method, seed)
        zs, zt = Z[: len(fs)], Z[len(fs):]
        top, bottom = axes[0, k], axes[1, k]
        top.scatter(*zs.T, s=6, c="C0", alpha=0.6, label="source")
        top.scatter(*zt.T, s=6, c="C3", alpha=0.6, label="target")
        top.set_title(title, fontsize=10)
        # fixed colour per class id: class k is colour k of the palette, whatever the number of classes
        cmap, vmax = ("tab10", 9) if max(ys.max(), yt.max()) < 10 else ("tab20", 19)
        bottom.scatter(*zs.T, s=6, c=ys, cmap=cmap, vmin=0, vmax=vmax, alpha=0.6)
        bottom.scatter(*zt.T, s=12, c=yt, cmap=cmap, vmin=0, vmax=vmax, marker="x", linewidths=0.7)
        for ax in (top, bottom):
            ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].legend(fontsize=7, markerscale=2)
    axes[0, 0].set_ylabel("by domain"), axes[1, 0].set_ylabel("by class (x = target)")
    fig.suptitle(f"features in 2-D ({method.upper()})", fontsize=10)
    fig.tight_layout()
    return fig


def _smooth(values, window: int):
    values = np.asarray(values, dtype=float)
    if window <= 1 or len(values) < window:
        return np.arange(len(values)), values
    kernel = np.ones(window) / window
    return np.arange(window - 1, len(values)), np.convolve(values, kernel, mode="valid")


def plot_adaptation_curves(histories, *, window: int = 20, title: str | None = None):
    """Training curves of domain adaptation runs (``{name: history}`` from :func:`tlearn.domain.adapt`):
    task loss, alignment (domain) loss, and the discriminator's accuracy with the weight lambda_p;
    moving averages over ``window`` steps."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    weight_axis = None
    for i, (name, history) in enumerate(histories.items()):
        color = f"C{i}"
        axes[0].plot(*_smooth(history["task_loss"], window), color=color, label=name)
        domain = np.asarray(history["domain_loss"], dtype=float)
        if np.isfinite(domain).any():
            axes[1].plot(*_smooth(domain, window), color=color, label=name)
        accuracy = np.asarray(history["domain_accuracy"], dtype=float)
        if np.isfinite(accuracy).any():
            axes[2].plot(*_smooth(accuracy, window), color=color, label=f"{name}: discriminator accuracy")
            weight_axis = weight_axis or axes[2].twinx()
            weight_axis.plot(history["lambda"], color=color, ls=":")
            weight_axis.set_ylabel("weight (dotted)", fontsize=8)
    axes[0].set_title("task loss (source labels)", fontsize=10)
    axes[1].set_title("domain loss (each method its own)", fontsize=10)
    axes[1].set_yscale("symlog", linthresh=1e-3)
    axes[2].set_title("domain discriminator", fontsize=10)
    axes[2].axhline(0.5, color="gray", lw=0.8, ls="--")
    for ax in axes:
        ax.set_xlabel("step"), ax.grid(alpha=0.3), ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_mmd_estimates(estimates, *, title: str | None = None):
    """Spread of MMD^2 estimates over repeated draws, one panel per estimator:
    ``{estimator: {"same distribution": values, "shifted": values}}``. A dashed line marks 0, the true
    value for two samples of one distribution."""
    fig, axes = plt.subplots(1, len(estimates), figsize=(3.8 * len(estimates), 2.9), squeeze=False)
    for ax, (estimator, groups) in zip(axes[0], estimates.items()):
        values = np.concatenate([np.asarray(v, dtype=float) for v in groups.values()])
        bins = np.linspace(values.min(), values.max(), 30)
        for i, (label, v) in enumerate(groups.items()):
            ax.hist(np.asarray(v, dtype=float), bins=bins, alpha=0.6, color=f"C{i}", label=label)
        ax.axvline(0, color="k", ls="--", lw=1)
        ax.set_title(estimator, fontsize=10), ax.set_xlabel("MMD² estimate")
    axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_schedules(progress, curves, *, title: str | None = None):
    """Schedules against training progress p in [0, 1]: ``curves`` is ``{label: values}``, one panel each."""
    fig, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 2.8), squeeze=False)
    for ax, (label, values) in zip(axes[0], curves.items()):
        ax.plot(progress, values)
        ax.set_xlabel("training progress p"), ax.set_title(label, fontsize=10), ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- which technique when (notebook 07) -----------------------------------------------------------------


def _interval(point):
    """``(mean, low, high)`` from a ``tlearn.compare.Summary`` or a 3-tuple."""
    if hasattr(point, "mean") and hasattr(point, "low") and hasattr(point, "high"):
        return float(point.mean), float(point.low), float(point.high)
    mean, low, high = point
    return float(mean), float(low), float(high)


def plot_technique_curves(curves: dict, budgets, tick_labels=None, chance: float | None = None, ax=None,
                          title: str | None = None, styles: dict | None = None, legend: bool = True):
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
    ax.set_xticklabels(tick_labels if tick_labels is not None else
                       ["all" if b == math.inf else f"{b:g}" for b in budgets])
    ax.set_xlabel("labelled examples per class"), ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100), ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or "accuracy against label budget", fontsize=10)
    return fig if fig is not None else ax.figure


def plot_technique_ranking(ranking, recommended: str | None = None, max_seconds: float = math.inf,
                           title: str | None = None):
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
    left.barh(y, stats[:, 0], xerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]], color=colors,
              edgecolor=edges, linewidth=2, capsize=3)
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
