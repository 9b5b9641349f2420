"""Few-shot plots (notebook 05): episodes, accuracy against shots, episode embeddings, a drawn glyph
scored against its support set."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .core import _show, embed_2d


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
        ax.errorbar(
            ks,
            [100 * r.mean for r in results],
            yerr=[100 * r.ci95 for r in results],
            marker="o",
            ms=4,
            capsize=3,
            label=name,
        )
    if chance is not None:
        ax.axhline(100 * chance, color="0.5", ls=":", lw=1, label="chance")
    first = next(iter(curves.values()))[0]
    ax.set_xlabel("shots per class (K)"), ax.set_ylabel("accuracy (%)")
    ax.set_xticks(sorted({r.k_shot for results in curves.values() for r in results}))
    ax.set_title(title or f"{first.n_way}-way accuracy against shots", fontsize=10)
    ax.grid(alpha=0.3), ax.legend(fontsize=8)
    return fig if fig is not None else ax.figure


def plot_episode_embedding(
    support, support_labels, query, query_labels, prototypes=None, ax=None, title: str | None = None
):
    """One episode's embeddings in 2-D (one PCA fitted on support, queries and prototypes together):
    support examples as large circles, queries as small dots, prototypes as stars, coloured by class."""
    support, query = torch.as_tensor(support).detach().cpu(), torch.as_tensor(query).detach().cpu()
    parts = [support, query] + ([torch.as_tensor(prototypes).detach().cpu()] if prototypes is not None else [])
    Z = embed_2d(torch.cat(parts), "pca")
    zs, zq = Z[: len(support)], Z[len(support) : len(support) + len(query)]
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.2))
    s_lab, q_lab = np.asarray(support_labels), np.asarray(query_labels)
    colors = plt.get_cmap("tab10" if max(s_lab.max(), q_lab.max()) < 10 else "tab20")
    for c in np.unique(s_lab):
        ax.scatter(*zq[q_lab == c].T, s=12, color=colors(int(c)), alpha=0.6)
        ax.scatter(*zs[s_lab == c].T, s=70, color=colors(int(c)), edgecolor="black", label=f"class {c}")
        if prototypes is not None:
            ax.scatter(
                *Z[len(support) + len(query) + int(c)], s=260, marker="*", color=colors(int(c)), edgecolor="black"
            )
    ax.set_xticks([]), ax.set_yticks([])
    ax.set_title(title or "episode embedding: support (circles), queries (dots), prototypes (stars)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig if fig is not None else ax.figure


def plot_drawing(image, support, support_labels, scores, class_names=None, title: str | None = None):
    """ "Draw your own": the drawing, the first support image of each class, and each class's score as a bar
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
