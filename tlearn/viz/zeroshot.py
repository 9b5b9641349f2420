"""Zero-shot plots (notebook 06): attribute tables, predicted attributes, confusion matrices, calibrated
stacking curves, one zero-shot trial."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .core import _show


def plot_attribute_table(table, attribute_names, class_names, title: str | None = None, ax=None):
    """Class descriptions ``[C, A]`` as a heat map: one row per class, one column per attribute."""
    table = torch.as_tensor(table).detach().cpu().float()
    if table.dim() != 2 or table.shape != (len(class_names), len(attribute_names)):
        raise ValueError(
            f"table must be [len(class_names), len(attribute_names)] = "
            f"[{len(class_names)}, {len(attribute_names)}], got {list(table.shape)}"
        )
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.45 * len(attribute_names) + 1.8, 0.3 * len(class_names) + 1.6))
    ax.imshow(table.numpy(), cmap="Blues", aspect="auto", vmin=0, vmax=max(1.0, float(table.max())))
    ax.set_xticks(range(len(attribute_names)), attribute_names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(class_names)), [str(c) for c in class_names], fontsize=8)
    binary = bool(((table == 0) | (table == 1)).all())
    for (i, j), v in np.ndenumerate(table.numpy()):
        ax.text(
            j,
            i,
            f"{v:.0f}" if binary else f"{v:.1f}",
            ha="center",
            va="center",
            fontsize=6,
            color="white" if v > 0.6 * max(1.0, float(table.max())) else "0.3",
        )
    ax.set_title(title or "class descriptions", fontsize=10)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def plot_predicted_attributes(
    predicted, descriptions, attribute_names, class_names, images=None, title: str | None = None
):
    """For each class (a row): the mean predicted probability of every attribute over the class's images
    (bars) against the class's description (circles), optionally beside one of its images."""
    predicted = torch.as_tensor(predicted).detach().cpu().float()
    descriptions = torch.as_tensor(descriptions).detach().cpu().float()
    if predicted.shape != descriptions.shape or predicted.dim() != 2:
        raise ValueError(
            f"predicted and descriptions must both be [K, A], got {list(predicted.shape)} and "
            f"{list(descriptions.shape)}"
        )
    k, a = predicted.shape
    if len(attribute_names) != a or len(class_names) != k:
        raise ValueError(
            f"need {a} attribute names and {k} class names, got {len(attribute_names)} and {len(class_names)}"
        )
    with_images = images is not None
    fig, axes = plt.subplots(
        k,
        2 if with_images else 1,
        figsize=(0.38 * a + (2.2 if with_images else 1.5), 1.7 * k),
        squeeze=False,
        gridspec_kw={"width_ratios": [1, 0.3 * a]} if with_images else None,
    )
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
        raise ValueError(
            f"matrix must be [K, K] with K = len(class_names) = {len(class_names)}, got {list(matrix.shape)}"
        )
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


def plot_stacking_curves(curves: dict, chosen: dict | None = None, focus: str | None = None, title: str | None = None):
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
            ax_suc.plot(
                curve["unseen"][j], curve["seen"][j], marker, color=color, ms=11 if marker == "*" else 7, mec="black"
            )
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
    plot_confusion(
        trial["confusion"],
        names,
        ax=ax,
        title=f"unseen {', '.join(names)}: accuracy {trial['accuracy']:.2f} (chance {trial['chance']:.2f})",
    )
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


def plot_split_accuracies(accuracies, chance: float, n_unseen: int, title: str | None = None):
    """A histogram of zero-shot accuracies, one per split of the classes into seen and unseen, against chance
    (``1 / n_unseen``) and their mean: how much the result depends on *which* classes are left unseen."""
    accuracies = np.asarray(accuracies, dtype=float)
    if accuracies.ndim != 1 or len(accuracies) == 0:
        raise ValueError(f"accuracies must be a non-empty list of numbers, one per split; got shape {accuracies.shape}")
    fig, ax = plt.subplots(figsize=(6, 2.6), layout="tight")
    ax.hist(accuracies, bins=20, range=(0, 1), color="C0", alpha=0.8)
    ax.axvline(chance, color="C3", label=f"chance ({n_unseen} unseen classes)")
    ax.axvline(accuracies.mean(), color="black", ls="--", label=f"mean {accuracies.mean():.2f}")
    ax.set(xlabel=f"zero-shot accuracy on the {n_unseen} unseen classes", ylabel="splits", title=title)
    ax.legend(fontsize=8)
    return fig
