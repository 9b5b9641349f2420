r"""The trainer: source-only, MMD, CORAL and DANN as :class:`tlearn.train.Method` objects run by ``fit``.

Each step draws a labelled source batch and an unlabelled target batch
(:class:`tlearn.samplers.DomainBatches`) and minimises

.. math::  L_y(G_y(G_f(x^s)), y^s) + w \lambda_p \, L_{align}\big(G_f(x^s), G_f(x^t)\big)

with :math:`L_{align}` the multi-kernel MMD (:class:`MMD`), the CORAL loss (:class:`CORAL`), or the domain
discriminator's cross-entropy behind a gradient reversal layer of strength :math:`w\lambda_p`
(:class:`DANN`; the discriminator itself always learns at full strength). :class:`SourceOnly` drops the
second term. :func:`adapt` builds the method and the batches and hands them to :func:`tlearn.train.fit`
with SGD (momentum 0.9) and DANN's learning-rate schedule :math:`\mu_p/\mu_0 = (1 + 10p)^{-0.75}`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .. import checks
from ..samplers import DomainBatches
from ..train import History, Method, fit, get_device
from .coral import coral_loss
from .dann import (
    DomainDiscriminator,
    dann_domain_loss,
    lambda_schedule,
    learning_rate_schedule,
)
from .mmd import DEFAULT_MULTIPLIERS, MMD_ESTIMATORS, batch_bandwidths, mmd_squared

ADAPTATION_METHODS = ("source_only", "mmd", "coral", "dann")
BATCH_NORM_MODES = ("per_domain", "joint")
NAN = float("nan")


class SourceOnly(Method):
    """Cross-entropy on the source batch; the target batch is never looked at (the lower bound)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def loss(self, batch, progress: float):
        xs, ys, _ = batch
        task = F.cross_entropy(self.model.head(self.model.backbone(xs)), ys)  # L_y
        return task, {"task_loss": task, "domain_loss": NAN, "domain_accuracy": NAN, "lambda": 0.0}


class _Aligned(Method):
    """Source cross-entropy plus ``weight`` x lambda_p x an alignment loss of the two domains' features."""

    def __init__(self, model: nn.Module, weight: float = 1.0, ramp_weight: bool = True, batch_norm: str = "per_domain"):
        super().__init__()
        self.model, self.weight, self.ramp_weight, self.batch_norm = model, weight, ramp_weight, batch_norm

    def features(self, xs, xt):
        if self.batch_norm == "per_domain":  # each domain normalised with its own batch statistics
            return self.model.backbone(xs), self.model.backbone(xt)
        features = self.model.backbone(torch.cat([xs, xt]))
        return features[: len(xs)], features[len(xs) :]

    def loss(self, batch, progress: float):
        xs, ys, xt = batch
        f_s, f_t = self.features(xs, xt)
        task = F.cross_entropy(self.model.head(f_s), ys)  # L_y on the source
        lam = self.weight * (lambda_schedule(progress) if self.ramp_weight else 1.0)  # w lambda_p
        total, align, accuracy = self.combine(task, f_s, f_t, lam)
        return total, {"task_loss": task, "domain_loss": align, "domain_accuracy": accuracy, "lambda": lam}


class MMD(_Aligned):
    """:math:`L_y + w\\lambda_p\\,\\widehat{\\mathrm{MMD}}^2` with the median-heuristic multi-kernel."""

    def __init__(
        self,
        model,
        weight=1.0,
        ramp_weight=True,
        batch_norm="per_domain",
        estimator="unbiased",
        multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
    ):
        super().__init__(model, weight, ramp_weight, batch_norm)
        self.estimator, self.multipliers = estimator, tuple(multipliers)

    def combine(self, task, f_s, f_t, lam):
        align = mmd_squared(f_s, f_t, batch_bandwidths(f_s, f_t, self.multipliers), self.estimator)
        return task + lam * align, align, NAN


class CORAL(_Aligned):
    """:math:`L_y + w\\lambda_p\\,\\|C_S - C_T\\|_F^2 / 4d^2`."""

    def combine(self, task, f_s, f_t, lam):
        align = coral_loss(f_s, f_t)
        return task + lam * align, align, NAN


class DANN(_Aligned):
    """:math:`L_y + L_d`, the features reaching the discriminator through a reversal of strength
    :math:`w\\lambda_p` (so the feature extractor's share is already scaled: nothing multiplies ``L_d``)."""

    def __init__(self, model, discriminator: nn.Module, weight=1.0, ramp_weight=True, batch_norm="per_domain"):
        super().__init__(model, weight, ramp_weight, batch_norm)
        self.discriminator = discriminator

    def combine(self, task, f_s, f_t, lam):
        align, accuracy = dann_domain_loss(self.discriminator, f_s, f_t, lam)
        return task + align, align, accuracy


@dataclass
class Adaptation:
    """What :func:`adapt` returns: the trained ``model``, the ``discriminator`` (DANN only), the
    :class:`~tlearn.train.History` of ``fit`` (per step: loss, task_loss, domain_loss (the alignment loss;
    NaN for source_only), domain_accuracy (DANN's discriminator, NaN otherwise), lambda (the weight
    applied) and lr) and the ``seconds`` of training plus AdaBN."""

    method: str
    model: nn.Module
    discriminator: nn.Module | None = None
    history: History = field(default_factory=History)
    seconds: float = 0.0


def adapt(
    method: str,
    model: nn.Module,
    source,
    target,
    *,
    steps: int = 500,
    batch_size: int = 64,
    lr: float = 0.01,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    weight: float = 1.0,
    anneal_lr: bool = True,
    ramp_weight: bool = True,
    discriminator: nn.Module | None = None,
    mmd_estimator: str = "unbiased",
    mmd_multipliers: Sequence[float] = DEFAULT_MULTIPLIERS,
    seed: int = 0,
    device: str = "auto",
    progress: bool = False,
    batch_norm: str = "per_domain",
) -> Adaptation:
    r"""Train ``model`` (with ``.backbone`` :math:`G_f` and ``.head`` :math:`G_y`) on labelled ``source`` and
    unlabelled ``target`` with one of :data:`ADAPTATION_METHODS` (see the module docstring for the loss).
    For the train-on-target bound, call ``"source_only"`` with the labelled target data as ``source``.

    ``batch_norm`` says how batch-norm layers (if the backbone has any) treat the two domains:

    * ``"per_domain"`` (the default): source and target batches pass through the backbone one after the
      other, so each domain is normalised with its own batch statistics, and after training the running
      statistics are re-estimated on the target (:func:`adapt_batch_norm`, AdaBN), so the test-time
      normalisation is the target's. This aligns each channel's mean and variance for free and leaves the
      alignment loss the harder, higher-order part of the shift.
    * ``"joint"``: both batches pass through together, so the statistics mix the domains.

    The optimiser is SGD with ``momentum``. ``anneal_lr=True`` lowers the learning rate along
    :func:`learning_rate_schedule` with :math:`\mu_0 =` ``lr``; ``ramp_weight=True`` raises the weight along
    :func:`lambda_schedule` (:math:`\lambda_p`); both as Ganin et al. prescribe, with :math:`p` =
    step / ``steps``. ``False`` keeps ``lr``, respectively ``weight``, constant. ``source`` is an ImageSet or
    an ``(X, y)`` pair, ``target`` an ImageSet or a tensor ``X``. A default discriminator is drawn with
    ``seed``, leaving the global random state alone; ``fit`` then seeds it (see :mod:`tlearn.train`).
    """
    checks.choice("method", method, ADAPTATION_METHODS)
    if not isinstance(model, nn.Module) or not hasattr(model, "backbone") or not hasattr(model, "head"):
        raise TypeError(
            "model must be an nn.Module with .backbone (features) and .head (classifier), such as "
            f"tlearn.backbones.Classifier or ShallowNetwork; got {type(model).__name__}"
        )
    steps = checks.positive_int("steps", steps)
    checks.positive_int("batch_size", batch_size)
    lr = checks.number("lr", lr, positive=True)
    weight = checks.number("weight", weight, non_negative=True)
    momentum = checks.number("momentum", momentum, non_negative=True)
    weight_decay = checks.number("weight_decay", weight_decay, non_negative=True)
    checks.choice("batch_norm", batch_norm, BATCH_NORM_MODES)
    checks.choice("mmd_estimator", mmd_estimator, MMD_ESTIMATORS)
    multipliers = [mmd_multipliers] if isinstance(mmd_multipliers, (int, float)) else list(mmd_multipliers)
    if not multipliers:
        raise ValueError("mmd_multipliers is empty; pass at least one, e.g. (0.5, 1.0, 2.0)")
    multipliers = [checks.number("mmd_multipliers", m, positive=True) for m in multipliers]
    batches = DomainBatches(source, target, batch_size=batch_size, n_steps=steps, seed=seed)

    if method == "source_only":
        learner = SourceOnly(model)
    elif method == "dann":
        if discriminator is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                discriminator = DomainDiscriminator(_feature_width(model))
        learner = DANN(model, discriminator, weight, ramp_weight, batch_norm)
    elif method == "mmd":
        learner = MMD(model, weight, ramp_weight, batch_norm, mmd_estimator, multipliers)
    else:
        learner = CORAL(model, weight, ramp_weight, batch_norm)
    if method != "dann":
        discriminator = None
    device = get_device(device)
    optimizer = torch.optim.SGD(learner.to(device).parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    schedule = (lambda p: learning_rate_schedule(p, mu0=1.0)) if anneal_lr else None  # mu_p / mu_0
    start = time.perf_counter()
    history = fit(
        learner,
        batches,
        steps,
        optimizer=optimizer,
        lr_schedule=schedule,
        device=device,
        seed=seed,
        progress=progress,
        desc=method,
    )
    history["lr"] = [lr * (schedule(i / steps) if schedule else 1.0) for i in range(steps)]
    if batch_norm == "per_domain" and method != "source_only":
        adapt_batch_norm(model, target)
    return Adaptation(method, model, discriminator, history, time.perf_counter() - start)


@torch.no_grad()
def adapt_batch_norm(model: nn.Module, data, batch_size: int = 256) -> nn.Module:
    """Re-estimate every batch-norm layer's running statistics on ``data`` (AdaBN, Li et al., "Revisiting
    Batch Normalization For Practical Domain Adaptation", 2016): the average of the statistics of its
    batches of ``batch_size``. Returns ``model``, changed in place, in the mode it was in."""
    x = inputs_of(data)
    checks.positive_int("batch_size", batch_size)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the whole pass, not an exponential one
    was_training = model.training
    model.train()
    device = next(model.parameters()).device
    for i in range(0, len(x), batch_size):
        model(x[i : i + batch_size].to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.train(was_training)
    return model


def _feature_width(model) -> int:
    width = getattr(model.backbone, "out_features", None)
    if not isinstance(width, int):
        raise TypeError(
            "model.backbone has no int .out_features, so the discriminator's width is unknown; "
            "pass discriminator=DomainDiscriminator(width)"
        )
    return width


def inputs_of(data, name: str = "data") -> torch.Tensor:
    """The input tensor of an ImageSet, an ``(X, y)`` pair or a tensor."""
    x = data.images if hasattr(data, "images") else data[0] if isinstance(data, (tuple, list)) else data
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be an ImageSet, an (X, y) pair or a tensor, got {type(data).__name__}")
    return x


__all__ = [
    "ADAPTATION_METHODS",
    "BATCH_NORM_MODES",
    "CORAL",
    "DANN",
    "MMD",
    "Adaptation",
    "SourceOnly",
    "adapt",
    "adapt_batch_norm",
    "inputs_of",
]
