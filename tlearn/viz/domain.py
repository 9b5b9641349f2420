"""Domain-adaptation plots (notebooks 03a and 03b): decision boundaries, source and target features,
training curves, MMD estimates, schedules."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .core import embed_2d


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
        ax.scatter(*Xt.T, c=yt, cmap="coolwarm", vmin=0, vmax=1, s=14, marker="x", linewidths=0.8, label="target")
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
            raise ValueError(
                f"panel {title!r}: source and target features differ in width, {tuple(fs.shape)} vs {tuple(ft.shape)}"
            )
        Z = embed_2d(torch.cat([fs.flatten(1), ft.flatten(1)]), method, seed)
        zs, zt = Z[: len(fs)], Z[len(fs) :]
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
