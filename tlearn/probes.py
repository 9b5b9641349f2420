r"""Probes on fixed features: the classifier that feature extraction trains (see :mod:`tlearn.features`).

A linear probe :math:`g(h) = W h + b` on standardised features is multinomial logistic regression,

.. math::  \min_{W, b}\ -\frac1N \sum_i \log \operatorname{softmax}(W h_i + b)_{y_i} + \frac{\lambda}{2}\lVert W \rVert^2,

a convex problem solved here with L-BFGS (the one solver in tlearn with its own backward pass); the MLP
probe :math:`g(h) = W_2\, \mathrm{ReLU}(W_1 h + b_1) + b_2` trains through :func:`tlearn.train.fit`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .train import Method, fit

PROBES = ("linear", "mlp")


class Probe(nn.Module):
    """A classifier on fixed features: standardise (with the training set's mean and std), then a linear
    layer or a one-hidden-layer MLP."""

    def __init__(self, in_features: int, n_classes: int, hidden: int | None = None):
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_features))
        self.register_buffer("std", torch.ones(in_features))
        self.net = (
            nn.Linear(in_features, n_classes)
            if hidden is None
            else nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net((h - self.mean) / self.std)


def _check_features(features, labels, name="features"):
    if not isinstance(features, torch.Tensor) or features.dim() != 2:
        raise ValueError(
            f"{name} must be a 2-D tensor [N, D], got "
            f"{tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__}"
        )
    if not torch.isfinite(features).all():
        raise ValueError(f"{name} contain NaN or infinite values; check the backbone and its inputs")
    labels = torch.as_tensor(labels)
    if labels.dim() != 1 or len(labels) != len(features):
        raise ValueError(
            f"labels must be 1-D with one label per row of {name}: got {tuple(labels.shape)} "
            f"labels for {len(features)} rows"
        )
    return labels.long()


class ProbeTraining(Method):
    r"""A probe's objective as a :class:`tlearn.train.Method`, cross-entropy plus an L2 penalty on the weights
    (not biases): :math:`\frac1N\sum_i -\log\mathrm{softmax}(g(h_i))_{y_i} + \frac{\lambda}{2}\sum_k\|W_k\|^2`."""

    def __init__(self, probe: Probe, weight_decay: float):
        super().__init__()
        self.probe, self.weight_decay = probe, weight_decay

    def penalised_loss(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        penalty = sum((w**2).sum() for n, w in self.probe.named_parameters() if n.endswith("weight"))
        return F.cross_entropy(self.probe(features), labels) + 0.5 * self.weight_decay * penalty

    def loss(self, batch, progress: float):
        return self.penalised_loss(*batch)


def fit_probe(
    features: torch.Tensor,
    labels,
    *,
    kind: str = "linear",
    n_classes: int | None = None,
    weight_decay: float = 1e-3,
    hidden: int = 256,
    steps: int = 300,
    lr: float = 1e-2,
    seed: int = 0,
) -> Probe:
    """Train a probe on fixed ``features`` ``[N, D]`` and integer ``labels`` ``[N]``.

    ``kind="linear"``: multinomial logistic regression,
    :math:`\\min_{W,b} \\frac1N\\sum_i -\\log \\mathrm{softmax}(W h_i + b)_{y_i} + \\frac{\\lambda}{2}\\|W\\|^2`,
    a convex problem solved with full-batch L-BFGS (``steps`` iterations at most), so the result does
    not depend on the seed. It is a closed problem with its own solver, not a training run: the package's
    one backward call outside :func:`tlearn.train.fit` is in its closure. ``kind="mlp"``: one hidden layer
    of ``hidden`` ReLU units, a non-convex problem, trained by :func:`tlearn.train.fit` (full-batch Adam
    for ``steps`` steps at ``lr``, on the CPU, seeded by ``seed``) on :class:`ProbeTraining`'s objective
    with ``weight_decay`` as :math:`\\lambda`. The features are standardised with their training mean and
    standard deviation, which the probe stores and applies to any features it is given later.
    """
    checks.choice("kind", kind, PROBES)
    labels = _check_features(features, labels)
    if len(features) == 0:
        raise ValueError("features are empty: a probe needs at least one labelled example")
    n_classes = int(labels.max()) + 1 if n_classes is None else n_classes
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got range [{int(labels.min())}, {int(labels.max())}]")
    checks.number("weight_decay", weight_decay, non_negative=True)
    checks.number("lr", lr, non_negative=True)
    checks.positive_int("steps", steps)
    features = features.detach().float().cpu()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        probe = Probe(features.shape[1], n_classes, hidden=None if kind == "linear" else hidden)
    probe.mean.copy_(features.mean(0))
    probe.std.copy_(features.std(0, unbiased=False).clamp_min(1e-6))
    objective = ProbeTraining(probe, weight_decay)
    if kind == "mlp":
        fit(objective, [(features, labels)], steps, lr=lr, device="cpu", seed=seed, progress=False, desc="MLP probe")
        return probe.eval()
    optimizer = torch.optim.LBFGS(
        probe.parameters(),
        lr=1.0,
        max_iter=steps,
        history_size=20,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-6,
        tolerance_change=1e-9,
    )

    def closure():
        optimizer.zero_grad()
        loss = objective.penalised_loss(features, labels)
        loss.backward()  # the convex solver's gradient; every training loop is tlearn.train.fit
        return loss

    optimizer.step(closure)
    return probe.eval()


@torch.no_grad()
def probe_accuracy(probe: nn.Module, features: torch.Tensor, labels) -> float:
    """Fraction of rows of ``features`` whose predicted class equals ``labels``."""
    labels = _check_features(features, labels)
    if len(labels) == 0:
        raise ValueError("features are empty: nothing to evaluate")
    return (probe(features.float()).argmax(1) == labels).float().mean().item()


def probe_layers(
    train_features: dict, train_labels, test_features: dict, test_labels, *, kind: str = "linear", **probe_kwargs
) -> "OrderedDict[str, float]":
    """Fit one probe per layer on ``train_features[layer]`` and return its test accuracy, layer by layer."""
    if not isinstance(train_features, Mapping) or not isinstance(test_features, Mapping):
        raise TypeError(
            "train_features and test_features must be dicts layer -> [N, D] tensor (what extract_features returns)"
        )
    missing = [name for name in train_features if name not in test_features]
    if missing:
        raise ValueError(f"test_features lacks the layers {missing}; extract both sets with the same layers")
    n_classes = int(torch.as_tensor(train_labels).max()) + 1
    return OrderedDict(
        (
            name,
            probe_accuracy(
                fit_probe(train_features[name], train_labels, kind=kind, n_classes=n_classes, **probe_kwargs),
                test_features[name],
                test_labels,
            ),
        )
        for name in train_features
    )


def per_class_indices(labels, k: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``k`` randomly drawn examples of every class in ``labels`` (a label budget), sorted."""
    labels = torch.as_tensor(labels)
    checks.positive_int("k", k)
    counts = torch.bincount(labels)
    present = counts[counts > 0]
    if int(present.min()) < k:
        raise ValueError(
            f"k={k} examples per class asked, but the smallest class has {int(present.min())}; "
            f"use k <= {int(present.min())}"
        )
    g = torch.Generator().manual_seed(seed)
    picks = [
        idx[torch.randperm(len(idx), generator=g)[:k]]
        for idx in (torch.nonzero(labels == c).flatten() for c in torch.nonzero(counts).flatten())
    ]
    return torch.cat(picks).sort().values


def probe_budget(
    pool_features: dict,
    pool_labels,
    test_features: dict,
    test_labels,
    labels_per_class: int,
    *,
    draws: int = 5,
    kind: str = "linear",
    seed: int = 0,
    **probe_kwargs,
) -> "OrderedDict[str, float]":
    """Probe accuracy per layer with ``labels_per_class`` labelled examples, averaged over ``draws``
    random draws of those examples from the pool (seeds ``seed, seed + 1, ...``). Features are computed
    once for the whole pool; each draw only indexes them, which is what makes averaging cheap."""
    checks.positive_int("draws", draws)
    pool_labels = torch.as_tensor(pool_labels)
    total: "OrderedDict[str, float]" = OrderedDict((name, 0.0) for name in pool_features)
    for d in range(draws):
        idx = per_class_indices(pool_labels, labels_per_class, seed=seed + d)
        accs = probe_layers(
            {n: f[idx] for n, f in pool_features.items()},
            pool_labels[idx],
            test_features,
            test_labels,
            kind=kind,
            **probe_kwargs,
        )
        for name, a in accs.items():
            total[name] += a / draws
    return total
