r"""Domain-adversarial training (DANN): gradient reversal, its schedules, the domain discriminator.

**Two papers, one method.** Ganin and Lempitsky, "Unsupervised Domain Adaptation by Backpropagation",
ICML 2015, introduce the method: a feature extractor :math:`G_f`, a label predictor :math:`G_y` and a
*domain classifier* :math:`G_d`, trained together through a **gradient reversal layer** that is the
identity in the forward pass and multiplies the gradient by :math:`-\lambda` in the backward pass
(their eq. 4, :math:`R_\lambda(x) = x`, :math:`dR_\lambda/dx = -\lambda I`). Their experiments use deep
networks (MNIST → MNIST-M, SVHN, Office). Ganin, Ustinova, Ajakan, Germain, Larochelle, Laviolette,
Marchand and Lempitsky, "Domain-Adversarial Training of Neural Networks", JMLR 17, 2016, is the journal
form: it merges the ICML paper with the shallow "Domain-Adversarial Neural Networks" of Ajakan et al.
(2014), derives the objective from the bound of Ben-David et al. (2010) (see the package docstring),
states the **shallow algorithm** (Algorithm 1: one hidden layer of sigmoid units, a logistic domain
regressor; :class:`ShallowNetwork` with ``DomainDiscriminator(hidden, hidden_sizes=())``), shows the
inter-twinning moons, and measures representations with the **proxy A-distance**
(:func:`tlearn.domain.proxy_a_distance`). "DANN" names both; the objective is the same. As the journal
writes it, with source examples :math:`i \le n` (domain label :math:`d_i = 0`) and :math:`n'` target
examples (:math:`d_i = 1`),

.. math::  E(\theta_f, \theta_y, \theta_d) = \frac1n \sum_{i=1}^{n} L_y^i(\theta_f, \theta_y)
           - \lambda \Big( \frac1n \sum_{i=1}^{n} L_d^i(\theta_f, \theta_d)
           + \frac1{n'} \sum_{i=n+1}^{N} L_d^i(\theta_f, \theta_d) \Big),

a saddle point: minimised over :math:`\theta_f, \theta_y`, maximised over :math:`\theta_d`. The reversal
layer turns it into one minimisation by backpropagation.

**Where tlearn departs.** :func:`domain_adversarial_loss` returns :math:`L_d = \tfrac12(\frac1n\sum_S
L_d^i + \frac1{n'}\sum_T L_d^i)`, **one half of the bracket above**: the mean binary cross-entropy with
each domain weighing one half, so that chance is :math:`\log 2` whatever the batch sizes. The trainer
minimises :math:`L_y + L_d` with the reversal at strength :math:`w\lambda_p`, so the feature extractor
sees :math:`-\tfrac{w\lambda_p}2` times the gradient of the bracket: tlearn's weight :math:`w` is **twice**
the paper's :math:`\lambda`. The discriminator's own gradient is that of :math:`L_d`, unscaled by
:math:`\lambda`, as in the papers' reversal-layer form of the objective. The default discriminator is an MLP
(two hidden layers of 64), not the paper's logistic regressor or its deep 1024-1024 domain classifier.

**Schedules** (both papers), with :math:`p \in [0, 1]` the training progress:
:math:`\lambda_p = \frac{2}{1+\exp(-\gamma p)} - 1` with :math:`\gamma = 10`, so the discriminator's
early noise cannot wreck features that carry no class information yet, and
:math:`\mu_p = \mu_0 / (1 + \alpha p)^\beta` with :math:`\mu_0 = 0.01, \alpha = 10, \beta = 0.75`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .. import checks


class GradientReversalFunction(torch.autograd.Function):
    r""":math:`R_\lambda(x) = x` forward, :math:`dR_\lambda/dx = -\lambda I` backward."""

    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        # view_as: a new tensor object, so autograd records this node instead of passing x through.
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambda_ * grad_output, None  # dR/dx = -lambda I


def gradient_reversal(x: torch.Tensor, lambda_: float = 1.0) -> torch.Tensor:
    """Return ``x`` unchanged; in the backward pass multiply its gradient by ``-lambda_``.

    ``lambda_`` must be >= 0: 0 switches the adversarial signal off (the schedule starts there), a negative
    value would silently turn the adversary into a helper.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    return GradientReversalFunction.apply(x, checks.number("lambda_", lambda_, non_negative=True))


class GradientReversal(nn.Module):
    """The gradient reversal layer as a module; set ``.lambda_`` during training to follow a schedule."""

    def __init__(self, lambda_: float = 1.0):
        super().__init__()
        self.lambda_ = lambda_

    @property
    def lambda_(self) -> float:
        return self._lambda

    @lambda_.setter
    def lambda_(self, value):
        self._lambda = checks.number("lambda_", value, non_negative=True)

    def forward(self, x):
        return GradientReversalFunction.apply(x, self._lambda)

    def extra_repr(self):
        return f"lambda_={self._lambda:g}"


def lambda_schedule(p: float, gamma: float = 10.0) -> float:
    r"""DANN's adaptation weight :math:`\lambda_p = 2 / (1 + \exp(-\gamma p)) - 1`, rising from 0 to ~1.

    ``p`` is the training progress in [0, 1]; the papers use ``gamma = 10``.
    """
    p = checks.fraction("p", p)
    gamma = checks.number("gamma", gamma, positive=True)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0  # lambda_p = 2 / (1 + exp(-gamma p)) - 1


def learning_rate_schedule(p: float, mu0: float = 0.01, alpha: float = 10.0, beta: float = 0.75) -> float:
    r"""The annealed learning rate of both DANN papers: :math:`\mu_p = \mu_0 / (1 + \alpha p)^\beta`.
    With ``mu0=1`` it is the multiplier that :func:`tlearn.train.fit` takes as ``lr_schedule``."""
    p = checks.fraction("p", p)
    mu0 = checks.number("mu0", mu0, positive=True)
    alpha = checks.number("alpha", alpha, non_negative=True)
    beta = checks.number("beta", beta, non_negative=True)
    return mu0 / (1.0 + alpha * p) ** beta  # mu_p = mu_0 / (1 + alpha p)^beta


class DomainDiscriminator(nn.Module):
    """:math:`G_d`, an MLP from features to one logit: > 0 means "target", < 0 means "source".

    ``hidden_sizes=()`` gives the logistic domain regressor of the shallow DANN (Ganin et al., 2016,
    Algorithm 1).
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int] = (64, 64)):
        super().__init__()
        in_features = checks.positive_int("in_features", in_features)
        hidden_sizes = tuple(checks.positive_int("hidden_sizes", h) for h in hidden_sizes)
        layers, width = [], in_features
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.in_features = in_features

    def forward(self, features):
        return self.net(features).squeeze(-1)


class ShallowNetwork(nn.Module):
    r"""The shallow network of Ganin et al. (2016, Algorithm 1): :math:`G_f(x) = \mathrm{sigm}(Wx + b)`, a
    linear softmax classifier :math:`G_y` on top. ``.backbone`` is :math:`G_f`, ``.head`` is :math:`G_y`."""

    def __init__(self, in_features: int = 2, hidden: int = 15, n_classes: int = 2):
        super().__init__()
        for name, value in (("in_features", in_features), ("hidden", hidden), ("n_classes", n_classes)):
            checks.positive_int(name, value)
        self.backbone = nn.Sequential(nn.Linear(in_features, hidden), nn.Sigmoid())  # G_f(x) = sigm(Wx + b)
        self.backbone.out_features = hidden
        self.head = nn.Linear(hidden, n_classes)  # G_y: softmax(V G_f(x) + c), the softmax in the loss

    def forward(self, x):
        return self.head(self.backbone(x))


def dann_domain_loss(
    discriminator: nn.Module, source_features: torch.Tensor, target_features: torch.Tensor, lambda_: float
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The per-step form of :func:`domain_adversarial_loss`, without checks: ``(loss, balanced accuracy)``,
    both tensors (reading the accuracy is left to the caller, so nothing here waits for a GPU)."""
    logit_s = discriminator(GradientReversalFunction.apply(source_features, lambda_))  # G_d(R_lambda(G_f(x)))
    logit_t = discriminator(GradientReversalFunction.apply(target_features, lambda_))
    # L_d = 1/2 (1/n sum_S -log(1 - G_d) + 1/n' sum_T -log G_d): half the bracket of E, domain labels 0 and 1
    loss = 0.5 * (
        F.binary_cross_entropy_with_logits(logit_s, torch.zeros_like(logit_s))
        + F.binary_cross_entropy_with_logits(logit_t, torch.ones_like(logit_t))
    )
    with torch.no_grad():
        accuracy = 0.5 * ((logit_s < 0).float().mean() + (logit_t > 0).float().mean())
    return loss, accuracy


@dataclass
class DomainLoss:
    """``loss``: the discriminator's cross-entropy (a tensor to backpropagate); ``accuracy``: its accuracy."""

    loss: torch.Tensor
    accuracy: float


def domain_adversarial_loss(
    discriminator: nn.Module, source_features: torch.Tensor, target_features: torch.Tensor, lambda_: float = 1.0
) -> DomainLoss:
    r"""Binary cross-entropy of ``discriminator`` telling source (label 0) from target (label 1):
    :math:`L_d = \tfrac12(\text{mean over source} + \text{mean over target})`, half the bracket of the
    journal's :math:`E` (see the module docstring).

    The features pass through a gradient reversal layer first, so back-propagating the returned
    loss trains the discriminator to separate the domains and the feature extractor, scaled by
    ``lambda_``, to mix them. Each domain weighs one half whatever the batch sizes, and so does each
    domain in the reported (balanced) accuracy; 0.5 means the discriminator is fooled.
    """
    source_features, target_features = checks.feature_pair(source_features, target_features)
    lambda_ = checks.number("lambda_", lambda_, non_negative=True)
    loss, accuracy = dann_domain_loss(discriminator, source_features, target_features, lambda_)
    return DomainLoss(loss, float(accuracy))
