"""Plots every notebook uses: images and grids, training curves, 2-D embeddings, pen trajectories and
results tables. Every function returns a matplotlib ``Figure``; tables render as Markdown in Jupyter and
as text in a terminal."""

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


def plot_embedding(
    features, labels, method: str = "pca", markers=None, ax=None, title: str | None = None, seed: int = 0
):
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
        ax.scatter(
            Z[m, 0],
            Z[m, 1],
            c=labels[m],
            cmap="tab10" if labels.max() < 10 else "tab20",
            s=10,
            marker=styles[int(gid) % len(styles)],
            alpha=0.7,
            vmin=labels.min(),
            vmax=labels.max(),
        )
    ax.set_title(title or f"features ({method.upper()})", fontsize=10)
    ax.set_xticks([]), ax.set_yticks([])
    return fig if fig is not None else ax.figure


def plot_trajectory(trajectory, length=None, steps: int = 1, ax=None, title: str | None = None):
    """A pen trajectory ``[T, 3]`` (x, y, pen_up). ``steps > 1`` draws it stroke by stroke in ``steps``
    panels: panel ``i`` shows the first ``i`` strokes, the newest in colour, with its start marked."""
    from ..data.glyphs import trajectory_to_strokes

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
