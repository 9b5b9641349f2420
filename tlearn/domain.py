r"""Domain adaptation: learn on a labelled *source* domain, predict on an unlabelled *target* domain.

The setting
-----------
We hold labelled examples from a source distribution :math:`\mathcal{D}_S` (say, digits rendered from
fonts) and only unlabelled examples from a target distribution :math:`\mathcal{D}_T` (real handwritten
digits). A classifier trained on the source alone loses accuracy on the target. Ben-David et al. (2010,
"A theory of learning from different domains", Machine Learning 79) bound the target error of any
hypothesis :math:`h` of a class :math:`\mathcal{H}` by

.. math::  \epsilon_T(h) \le \epsilon_S(h) + \tfrac12 d_{\mathcal{H}\Delta\mathcal{H}}(\mathcal{D}_S, \mathcal{D}_T) + \lambda^*,

so a representation helps when it keeps the source error low *and* makes the two domains hard to tell
apart. Every method below adds a second loss that pulls the source and target feature distributions
together; they differ in how they measure "apart".

Maximum mean discrepancy (MMD)
------------------------------
Gretton et al. (2012, "A Kernel Two-Sample Test", JMLR 13) compare two distributions by the distance of
their mean embeddings in a kernel's feature space:

.. math::  \mathrm{MMD}^2 = \mathbb{E}[k(x, x')] + \mathbb{E}[k(y, y')] - 2\,\mathbb{E}[k(x, y)],
           \quad x, x' \sim \mathcal{D}_S,\; y, y' \sim \mathcal{D}_T .

With a characteristic kernel (the Gaussian :math:`k_\sigma(a, b) = \exp(-\|a-b\|^2 / 2\sigma^2)`) it is
zero exactly when the distributions agree. :func:`mmd` offers the paper's three estimators:

* ``"biased"`` (a V-statistic): all :math:`m^2`, :math:`n^2`, :math:`mn` pairs, self-pairs included. Never
  negative, but positive even for two samples of one distribution.
* ``"unbiased"`` (a U-statistic): drops the self-pairs :math:`k(x_i, x_i)=1`. Its expectation is the true
  MMD², so for two samples of one distribution (true value 0) it comes out negative about half the time.
* ``"linear"``: averages :math:`h = k(x_1,x_2) + k(y_1,y_2) - k(x_1,y_2) - k(x_2,y_1)` over disjoint
  pairs, cost linear in the batch; unbiased too, with more variance.

Long et al. (2015, "Learning Transferable Features with Deep Adaptation Networks", ICML) use several
Gaussian kernels at once (multi-kernel MMD) so that no single bandwidth must be right; here the kernel is
the mean of Gaussians whose bandwidths are the batch's median pairwise distance (Gretton's median
heuristic) times a few multipliers.

Domain-adversarial training (DANN) and its two papers
-----------------------------------------------------
Ganin and Lempitsky (2015, "Unsupervised Domain Adaptation by Backpropagation", ICML) train a *domain
discriminator* :math:`G_d` to tell source features from target features, and a feature extractor
:math:`G_f` to fool it, through a **gradient reversal layer**: the identity in the forward pass, a
multiplication of the gradient by :math:`-\lambda` in the backward pass. One backward pass then minimises
the label loss and the discriminator's loss, while *maximising* the discriminator's loss with respect to
the features:

.. math::  E(\theta_f, \theta_y, \theta_d) = \frac1n \sum_{i \in S} L_y(G_y(G_f(x_i)), y_i)
           - \lambda \Big( \frac1n \sum_{i \in S} L_d(G_d(G_f(x_i)), 0) + \frac1{n'} \sum_{i \in T} L_d(G_d(G_f(x_i)), 1) \Big),

sought as a saddle point (min over :math:`\theta_f, \theta_y`, max over :math:`\theta_d`).

Ganin, Ustinova, Ajakan, Germain, Larochelle, Laviolette, Marchand and Lempitsky (2016,
"Domain-Adversarial Training of Neural Networks", JMLR 17) is the journal form of the same method. It
merges the ICML paper with the shallow "Domain-Adversarial Neural Networks" of Ajakan et al. (2014), derives
the objective from the bound above, gives the shallow algorithm (one hidden layer, a logistic domain
regressor; :class:`ShallowNetwork` with a ``hidden_sizes=()`` :class:`DomainDiscriminator`), and uses the
proxy A-distance to measure how far apart two representations keep the domains. Both papers prescribe the
schedules implemented here, with :math:`p` the training progress from 0 to 1:

.. math::  \lambda_p = \frac{2}{1 + \exp(-\gamma p)} - 1 \;(\gamma = 10), \qquad
           \mu_p = \frac{\mu_0}{(1 + \alpha p)^\beta} \;(\mu_0 = 0.01,\ \alpha = 10,\ \beta = 0.75).

:math:`\lambda_p` starts at 0, so the discriminator's noisy early signal cannot wreck features that carry
no class information yet.

CORAL
-----
Sun and Saenko (2016, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation", ECCV workshops) align
second-order statistics only: :math:`\ell_{CORAL} = \|C_S - C_T\|_F^2 / 4d^2` with :math:`C` the feature
covariance matrices and :math:`d` the feature width.

Proxy A-distance
----------------
Ben-David et al. (2007, "Analysis of Representations for Domain Adaptation", NIPS) estimate the
:math:`\mathcal{H}`-divergence by training a classifier to tell the domains apart:
:math:`\hat d_A = 2(1 - 2\epsilon)` with :math:`\epsilon` its held-out error. 0 means indistinguishable,
2 means perfectly separable. :func:`proxy_a_distance` uses a linear classifier (logistic regression).
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

__all__ = [
    "GradientReversalFunction",
    "gradient_reversal",
    "GradientReversal",
    "lambda_schedule",
    "learning_rate_schedule",
    "DomainDiscriminator",
    "DomainLoss",
    "domain_adversarial_loss",
    "median_bandwidth",
    "mmd",
    "MMD_ESTIMATORS",
    "covariance",
    "coral",
    "proxy_a_distance",
    "ShallowNetwork",
    "ADAPTATION_METHODS",
    "Adaptation",
    "adapt",
    "features_of",
    "gap_recovered",
    "adapt_batch_norm",
    "BATCH_NORM_MODES",
    "ToyRun",
    "two_moons_adaptation",
    "ShiftComparison",
    "compare_methods",
]


# --------------------------------------------------------------------------------------------------
# Input checks shared by the losses
# --------------------------------------------------------------------------------------------------
def _check_number(name, value, *, positive=False, non_negative=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}; pass a positive number.")
    if non_negative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}; pass 0 to switch it off or a positive number.")
    return value


def _check_features(source, target, *, min_rows=1, what="features"):
    """Both must be 2-D tensors [rows, width] of one width, with at least ``min_rows`` finite rows."""
    for name, x in (("source", source), ("target", target)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor of {what} [n, d], got {type(x).__name__}.")
        if x.dim() != 2:
            raise ValueError(
                f"{name} must be 2-D [n, d], got shape {tuple(x.shape)}; flatten it with x.flatten(1)."
            )
        if x.shape[0] < min_rows:
            raise ValueError(f"{name} holds {x.shape[0]} rows; this needs at least {min_rows}.")
        if not torch.isfinite(x).all():
            raise ValueError(f"{name} contains NaN or infinite values; check the network's outputs.")
    if source.shape[1] != target.shape[1]:
        raise ValueError(
            f"source and target {what} have different widths ({source.shape[1]} vs {target.shape[1]}); "
            "compute both with the same feature extractor."
        )


# --------------------------------------------------------------------------------------------------
# Gradient reversal and the schedules
# --------------------------------------------------------------------------------------------------
class GradientReversalFunction(torch.autograd.Function):
    r"""Identity forward, :math:`-\lambda \cdot` gradient backward (Ganin and Lempitsky, 2015)."""

    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        # view_as: a new tensor object, so autograd records this node instead of passing x through.
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambda_ * grad_output, None


def gradient_reversal(x: torch.Tensor, lambda_: float = 1.0) -> torch.Tensor:
    """Return ``x`` unchanged; in the backward pass multiply its gradient by ``-lambda_``.

    ``lambda_`` must be >= 0: 0 switches the adversarial signal off (the schedule starts there), a negative
    value would silently turn the adversary into a helper.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}.")
    lambda_ = _check_number("lambda_", lambda_, non_negative=True)
    return GradientReversalFunction.apply(x, lambda_)


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
        self._lambda = _check_number("lambda_", value, non_negative=True)

    def forward(self, x):
        return gradient_reversal(x, self._lambda)

    def extra_repr(self):
        return f"lambda_={self._lambda:g}"


def _check_progress(p):
    p = _check_number("p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p is the training progress and must lie in [0, 1], got {p!r}; use step / total_steps.")
    return p


def lambda_schedule(p: float, gamma: float = 10.0) -> float:
    r"""DANN's adaptation weight :math:`\lambda_p = 2 / (1 + \exp(-\gamma p)) - 1`, rising from 0 to ~1.

    ``p`` is the training progress in [0, 1]; the papers use ``gamma = 10``.
    """
    p = _check_progress(p)
    gamma = _check_number("gamma", gamma, positive=True)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0


def learning_rate_schedule(p: float, mu0: float = 0.01, alpha: float = 10.0, beta: float = 0.75) -> float:
    r"""The annealed learning rate of Ganin et al. (2016): :math:`\mu_p = \mu_0 / (1 + \alpha p)^\beta`."""
    p = _check_progress(p)
    mu0 = _check_number("mu0", mu0, positive=True)
    alpha = _check_number("alpha", alpha, non_negative=True)
    beta = _check_number("beta", beta, non_negative=True)
    return mu0 / (1.0 + alpha * p) ** beta


# --------------------------------------------------------------------------------------------------
# The domain discriminator and the adversarial loss
# --------------------------------------------------------------------------------------------------
class DomainDiscriminator(nn.Module):
    """An MLP from features to one logit: > 0 means "target", < 0 means "source".

    ``hidden_sizes=()`` gives the logistic domain regressor of the shallow DANN (Ganin et al., 2016, Algorithm 1).
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int] = (64, 64)):
        super().__init__()
        if isinstance(in_features, bool) or not isinstance(in_features, int) or in_features < 1:
            raise ValueError(f"in_features must be a positive int (the feature width), got {in_features!r}.")
        hidden_sizes = tuple(hidden_sizes)
        for h in hidden_sizes:
            if isinstance(h, bool) or not isinstance(h, int) or h < 1:
                raise ValueError(f"hidden_sizes must hold positive ints, got {hidden_sizes!r}.")
        layers, width = [], in_features
        for h in hidden_sizes:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.in_features = in_features

    def forward(self, features):
        return self.net(features).squeeze(-1)


@dataclass
class DomainLoss:
    """``loss``: the discriminator's cross-entropy (a tensor to backpropagate); ``accuracy``: its accuracy."""

    loss: torch.Tensor
    accuracy: float


def domain_adversarial_loss(
    discriminator: nn.Module,
    source_features: torch.Tensor,
    target_features: torch.Tensor,
    lambda_: float = 1.0,
) -> DomainLoss:
    r"""Binary cross-entropy of ``discriminator`` telling source (label 0) from target (label 1).

    The features pass through a gradient reversal layer first, so calling ``.backward()`` on the returned
    loss trains the discriminator to separate the domains and the feature extractor, scaled by
    ``lambda_``, to mix them. Each domain weighs one half whatever the batch sizes, and so does each
    domain in the reported (balanced) accuracy; 0.5 means the discriminator is fooled.
    """
    _check_features(source_features, target_features)
    lambda_ = _check_number("lambda_", lambda_, non_negative=True)
    logit_s = discriminator(gradient_reversal(source_features, lambda_))
    logit_t = discriminator(gradient_reversal(target_features, lambda_))
    loss = 0.5 * (
        F.binary_cross_entropy_with_logits(logit_s, torch.zeros_like(logit_s))
        + F.binary_cross_entropy_with_logits(logit_t, torch.ones_like(logit_t))
    )
    with torch.no_grad():
        accuracy = 0.5 * ((logit_s < 0).float().mean() + (logit_t > 0).float().mean())
    return DomainLoss(loss, float(accuracy))


# --------------------------------------------------------------------------------------------------
# Maximum mean discrepancy
# --------------------------------------------------------------------------------------------------
MMD_ESTIMATORS = ("biased", "unbiased", "linear")


def _squared_distances(a, b):
    # ||a||^2 + ||b||^2 - 2 a.b instead of cdist: differentiable at zero distance (cdist's sqrt is not).
    d2 = a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1).unsqueeze(0) - 2.0 * a @ b.T
    return d2.clamp_min(0.0)


def median_bandwidth(source: torch.Tensor, target: torch.Tensor) -> float:
    """Gretton's median heuristic: the (lower) median distance between distinct points of the pooled sample."""
    _check_features(source, target)
    with torch.no_grad():
        z = torch.cat([source, target])
        if z.shape[0] < 2:
            raise ValueError("the median heuristic needs at least 2 points in source and target together.")
        rows, cols = torch.triu_indices(z.shape[0], z.shape[0], offset=1, device=z.device)
        # the median of squared distances, then one square root: the same order, a fraction of the work
        sigma = float(_squared_distances(z, z)[rows, cols].median()) ** 0.5
    if sigma <= 0:
        raise ValueError(
            "the median distance between the points is 0 (most points coincide); pass bandwidths explicitly."
        )
    return sigma


def _bandwidths(source, target, bandwidths, multipliers):
    if bandwidths is None:
        multipliers = [multipliers] if isinstance(multipliers, numbers.Real) else list(multipliers)
        if not multipliers:
            raise ValueError("multipliers is empty; pass at least one, e.g. (0.5, 1.0, 2.0).")
        multipliers = [_check_number("multipliers", m, positive=True) for m in multipliers]
        sigma = median_bandwidth(source, target)
        return [sigma * m for m in multipliers]
    bandwidths = [bandwidths] if isinstance(bandwidths, numbers.Real) else list(bandwidths)
    if not bandwidths:
        raise ValueError("bandwidths is empty; pass at least one positive number, or None for the median heuristic.")
    return [_check_number("bandwidths", s, positive=True) for s in bandwidths]


def _kernel(d2, bandwidths):
    """Mean of Gaussian kernels exp(-d^2 / 2 sigma^2) over the bandwidths."""
    return torch.stack([torch.exp(-d2 / (2.0 * s * s)) for s in bandwidths]).mean(0)


def mmd(
    source: torch.Tensor,
    target: torch.Tensor,
    *,
    estimator: str = "unbiased",
    bandwidths: float | Sequence[float] | None = None,
    multipliers: float | Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
) -> torch.Tensor:
    r"""Estimate the squared maximum mean discrepancy between ``source`` [m, d] and ``target`` [n, d].

    The kernel is the mean of Gaussians :math:`\exp(-\|a-b\|^2 / 2\sigma^2)`, one per bandwidth
    :math:`\sigma`. ``bandwidths=None`` takes them from the batch: the median pairwise distance of the
    pooled sample times each of ``multipliers`` (computed without gradient, so the loss cannot shrink by
    blowing the bandwidth up). With ``m`` source and ``n`` target rows, for ``estimator``:

    * ``"biased"``:   :math:`\frac1{m^2}\sum_{i,j} k(x_i,x_j) + \frac1{n^2}\sum_{i,j} k(y_i,y_j) - \frac2{mn}\sum_{i,j} k(x_i,y_j)`
    * ``"unbiased"``: the same with :math:`i \ne j` in the first two sums, over :math:`m(m-1)` and
      :math:`n(n-1)` terms; can be negative.
    * ``"linear"``:   :math:`\frac1{b}\sum_{i<b} k(x_{2i},x_{2i+1}) + k(y_{2i},y_{2i+1}) - k(x_{2i},y_{2i+1}) - k(x_{2i+1},y_{2i})`
      with :math:`b = \lfloor \min(m, n)/2 \rfloor`. The kernel sums are linear in the batch; the median
      heuristic is not, so pass ``bandwidths`` for very large batches.

    Returns a scalar tensor that gradients flow through.
    """
    if estimator not in MMD_ESTIMATORS:
        raise ValueError(f"estimator must be one of {MMD_ESTIMATORS}, got {estimator!r}.")
    min_rows = 1 if estimator == "biased" else 2
    _check_features(source, target, min_rows=min_rows)
    sigmas = _bandwidths(source, target, bandwidths, multipliers)
    m, n = source.shape[0], target.shape[0]

    if estimator == "linear":
        b = min(m, n) // 2
        x1, x2 = source[0 : 2 * b : 2], source[1 : 2 * b : 2]
        y1, y2 = target[0 : 2 * b : 2], target[1 : 2 * b : 2]

        def k(a, c):
            return _kernel((a - c).pow(2).sum(1), sigmas)

        return (k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)).mean()

    k_ss = _kernel(_squared_distances(source, source), sigmas)
    k_tt = _kernel(_squared_distances(target, target), sigmas)
    k_st = _kernel(_squared_distances(source, target), sigmas)
    if estimator == "biased":
        return k_ss.mean() + k_tt.mean() - 2.0 * k_st.mean()
    # unbiased: leave out the self-pairs k(x_i, x_i) = 1, which carry no information about the distribution
    # and are what keeps the biased estimate above zero.
    ss = (k_ss.sum() - k_ss.diagonal().sum()) / (m * (m - 1))
    tt = (k_tt.sum() - k_tt.diagonal().sum()) / (n * (n - 1))
    return ss + tt - 2.0 * k_st.mean()


# --------------------------------------------------------------------------------------------------
# CORAL
# --------------------------------------------------------------------------------------------------
def covariance(x: torch.Tensor) -> torch.Tensor:
    r"""Sample covariance :math:`\frac{1}{n-1}(x - \bar x)^\top (x - \bar x)` of the rows of ``x`` [n, d]."""
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a 2-D tensor [n, d], got {getattr(x, 'shape', type(x).__name__)}.")
    if x.shape[0] < 2:
        raise ValueError(f"a covariance needs at least 2 rows, got {x.shape[0]}.")
    centred = x - x.mean(0, keepdim=True)
    return centred.T @ centred / (x.shape[0] - 1)


def coral(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Deep CORAL loss :math:`\|C_S - C_T\|_F^2 / 4d^2` (Sun and Saenko, 2016), a differentiable scalar."""
    _check_features(source, target, min_rows=2)
    d = source.shape[1]
    return (covariance(source) - covariance(target)).pow(2).sum() / (4.0 * d * d)


# --------------------------------------------------------------------------------------------------
# Proxy A-distance
# --------------------------------------------------------------------------------------------------
def _as_numpy_2d(name, x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D [n, d], got shape {x.shape}; flatten it first.")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return x


def proxy_a_distance(source, target, *, test_fraction: float = 0.5, C: float = 1.0, seed: int = 0) -> float:
    r"""Proxy A-distance :math:`2(1 - 2\epsilon)` between two samples of features (tensors or arrays).

    A logistic-regression domain classifier (features standardised) is trained on part of the pooled
    sample and :math:`\epsilon` is its error on the held-out ``test_fraction``. The larger sample is first
    subsampled to the size of the smaller, so guessing scores exactly 0.5 and the distance means the same
    for any sizes. :math:`\epsilon` is capped at 0.5: a classifier worse than chance on held-out data says
    the domains cannot be told apart, so the result lies in [0, 2].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xs, xt = _as_numpy_2d("source", source), _as_numpy_2d("target", target)
    if xs.shape[1] != xt.shape[1]:
        raise ValueError(
            f"source and target have different widths ({xs.shape[1]} vs {xt.shape[1]}); "
            "compute both with the same feature extractor."
        )
    test_fraction = _check_number("test_fraction", test_fraction, positive=True)
    if test_fraction >= 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}.")
    C = _check_number("C", C, positive=True)
    n = min(len(xs), len(xt))
    n_test = round(2 * n * test_fraction)
    if n_test < 2 or 2 * n - n_test < 2:
        raise ValueError(
            f"source has {len(xs)} and target {len(xt)} rows: too few to train and test a domain classifier "
            f"with test_fraction={test_fraction}; pass at least 4 rows of each."
        )
    rng = np.random.default_rng(seed)
    xs = xs[rng.choice(len(xs), n, replace=False)]
    xt = xt[rng.choice(len(xt), n, replace=False)]
    x = np.concatenate([xs, xt])
    d = np.concatenate([np.zeros(n), np.ones(n)])
    x_train, x_test, d_train, d_test = train_test_split(x, d, test_size=n_test, stratify=d, random_state=seed)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    classifier.fit(x_train, d_train)
    error = min(float(np.mean(classifier.predict(x_test) != d_test)), 0.5)
    return 2.0 * (1.0 - 2.0 * error)


# --------------------------------------------------------------------------------------------------
# Networks and the training loop
# --------------------------------------------------------------------------------------------------
class ShallowNetwork(nn.Module):
    r"""The shallow network of Ganin et al. (2016): :math:`G_f(x) = \mathrm{sigm}(Wx + b)`, a linear
    softmax classifier :math:`G_y` on top. ``.backbone`` is :math:`G_f`, ``.head`` is :math:`G_y`."""

    def __init__(self, in_features: int = 2, hidden: int = 15, n_classes: int = 2):
        super().__init__()
        for name, value in (("in_features", in_features), ("hidden", hidden), ("n_classes", n_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        self.backbone = nn.Sequential(nn.Linear(in_features, hidden), nn.Sigmoid())
        self.backbone.out_features = hidden
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


ADAPTATION_METHODS = ("source_only", "mmd", "coral", "dann")
BATCH_NORM_MODES = ("per_domain", "joint")


@dataclass
class Adaptation:
    """What :func:`adapt` returns: the trained ``model``, the ``discriminator`` (DANN only) and a
    per-step ``history`` with keys task_loss, domain_loss (the alignment loss; NaN for source_only),
    domain_accuracy (DANN's discriminator, NaN otherwise), lambda (the weight applied) and lr."""

    method: str
    model: nn.Module
    discriminator: nn.Module | None = None
    history: dict = field(default_factory=dict)
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
    mmd_multipliers: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
    seed: int = 0,
    device: str = "auto",
    progress: bool = False,
    batch_norm: str = "per_domain",
) -> Adaptation:
    r"""Train ``model`` (with ``.backbone`` :math:`G_f` and ``.head`` :math:`G_y`) on labelled ``source`` and
    unlabelled ``target`` with one of :data:`ADAPTATION_METHODS`.

    Each step draws a source batch (with labels) and a target batch (without), and minimises

    .. math::  L_y(\text{source}) + w \lambda_p \, L_{align}(G_f(\text{source}), G_f(\text{target}))

    with :math:`L_{align}` the multi-kernel MMD (``"mmd"``), the CORAL loss (``"coral"``), or the domain
    discriminator's cross-entropy behind a gradient reversal layer of strength :math:`w\lambda_p`
    (``"dann"``; the discriminator itself always learns at full strength). ``"source_only"`` drops the second
    term and never looks at the target. For the train-on-target bound, call ``"source_only"`` with the
    labelled target data as ``source``.

    ``batch_norm`` says how batch-norm layers (if the backbone has any) treat the two domains:

    * ``"per_domain"`` (the default): source and target batches pass through the backbone one after the
      other, so each domain is normalised with its own batch statistics, and after training the running
      statistics are re-estimated on the target (:func:`adapt_batch_norm`, AdaBN), so the test-time
      normalisation is the target's. This aligns each channel's mean and variance for free and leaves the
      alignment loss the harder, higher-order part of the shift.
    * ``"joint"``: both batches pass through together, so the statistics mix the domains.

    The optimiser is SGD with momentum. ``anneal_lr=True`` lowers the learning rate along
    :func:`learning_rate_schedule` with :math:`\mu_0 =` ``lr``; ``ramp_weight=True`` raises the weight along
    :func:`lambda_schedule` (:math:`\lambda_p`); both as Ganin et al. prescribe. ``False`` keeps ``lr``,
    respectively ``weight``, constant. ``source`` is an ImageSet or an ``(X, y)`` pair, ``target`` an
    ImageSet or a tensor ``X``.
    """
    from tlearn.samplers import DomainBatches
    from tlearn.train import get_device, seed_everything

    if method not in ADAPTATION_METHODS:
        raise ValueError(f"method must be one of {ADAPTATION_METHODS}, got {method!r}.")
    if not isinstance(model, nn.Module) or not hasattr(model, "backbone") or not hasattr(model, "head"):
        raise TypeError(
            "model must be an nn.Module with .backbone (features) and .head (classifier), such as "
            f"tlearn.backbones.Classifier or ShallowNetwork; got {type(model).__name__}."
        )
    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    lr = _check_number("lr", lr, positive=True)
    weight = _check_number("weight", weight, non_negative=True)
    if batch_norm not in BATCH_NORM_MODES:
        raise ValueError(f"batch_norm must be one of {BATCH_NORM_MODES}, got {batch_norm!r}.")
    if method == "mmd" and mmd_estimator not in MMD_ESTIMATORS:
        raise ValueError(f"mmd_estimator must be one of {MMD_ESTIMATORS}, got {mmd_estimator!r}.")

    seed_everything(seed)
    device = get_device(device)
    model.to(device).train()
    if method == "dann":
        if discriminator is None:
            discriminator = DomainDiscriminator(_feature_width(model))
        discriminator.to(device).train()
    else:
        discriminator = None
    parameters = list(model.parameters()) + (list(discriminator.parameters()) if discriminator else [])
    optimizer = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=weight_decay)

    history = {k: [] for k in ("task_loss", "domain_loss", "domain_accuracy", "lambda", "lr")}
    batches = DomainBatches(source, target, batch_size=batch_size, n_steps=steps, seed=seed)
    # the package-wide switch TLEARN_NO_PROGRESS silences bars in tests and scripted runs
    disable = not progress or bool(os.environ.get("TLEARN_NO_PROGRESS"))
    iterator = tqdm(batches, desc=method, total=steps, disable=disable, leave=False)
    start = time.perf_counter()
    for step, (xs, ys, xt) in enumerate(iterator):
        if step >= steps:
            break
        p = step / max(steps - 1, 1)
        step_lr = learning_rate_schedule(p, mu0=lr) if anneal_lr else lr
        lam = weight * (lambda_schedule(p) if ramp_weight else 1.0)
        for group in optimizer.param_groups:
            group["lr"] = step_lr
        xs, ys, xt = xs.to(device), ys.to(device), xt.to(device)

        domain_loss, domain_accuracy = None, float("nan")
        if method == "source_only":
            task_loss = F.cross_entropy(model.head(model.backbone(xs)), ys)
            loss = task_loss
        else:
            if batch_norm == "per_domain":
                f_s, f_t = model.backbone(xs), model.backbone(xt)
            else:
                features = model.backbone(torch.cat([xs, xt]))
                f_s, f_t = features[: len(xs)], features[len(xs) :]
            task_loss = F.cross_entropy(model.head(f_s), ys)
            if method == "dann":
                result = domain_adversarial_loss(discriminator, f_s, f_t, lambda_=lam)
                domain_loss, domain_accuracy = result.loss, result.accuracy
                loss = task_loss + domain_loss  # the reversal layer already scales the features' share by lam
            else:
                statistic = coral if method == "coral" else (
                    lambda a, b: mmd(a, b, estimator=mmd_estimator, multipliers=mmd_multipliers))
                domain_loss = statistic(f_s, f_t)
                loss = task_loss + lam * domain_loss

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        history["task_loss"].append(task_loss.item())
        history["domain_loss"].append(float("nan") if domain_loss is None else domain_loss.item())
        history["domain_accuracy"].append(domain_accuracy)
        history["lambda"].append(lam if method != "source_only" else 0.0)
        history["lr"].append(step_lr)
    if batch_norm == "per_domain" and method != "source_only":
        adapt_batch_norm(model, target)
    seconds = time.perf_counter() - start
    model.eval()
    if discriminator is not None:
        discriminator.eval()
    return Adaptation(method, model, discriminator, history, seconds)


@torch.no_grad()
def adapt_batch_norm(model: nn.Module, data, batch_size: int = 256) -> nn.Module:
    """Re-estimate every batch-norm layer's running statistics on ``data`` (AdaBN, Li et al., 2016): the
    average of the statistics of its batches of ``batch_size``. Returns ``model``, changed in place."""
    x = _inputs(data)
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


def _feature_width(model):
    width = getattr(model.backbone, "out_features", None)
    if not isinstance(width, int):
        raise ValueError(
            "model.backbone has no int .out_features, so the discriminator's width is unknown; "
            "pass discriminator=DomainDiscriminator(width)."
        )
    return width


def _inputs(data, name="data"):
    if hasattr(data, "images"):
        x = data.images
    elif isinstance(data, (tuple, list)):
        x = data[0]
    else:
        x = data
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be an ImageSet, an (X, y) pair or a tensor, got {type(data).__name__}.")
    return x


@torch.no_grad()
def features_of(model: nn.Module, data, batch_size: int = 512, *, own_statistics: bool = False) -> torch.Tensor:
    """The backbone's features of ``data`` (an ImageSet, an ``(X, y)`` pair or a tensor), in eval mode, on CPU.

    ``own_statistics=True`` first re-estimates the batch-norm statistics on ``data`` itself (on a copy of
    the model): that is how a network trained with ``batch_norm="per_domain"`` saw each domain.
    """
    import copy

    if not hasattr(model, "backbone"):
        raise TypeError(f"model must have a .backbone, got {type(model).__name__}.")
    x = _inputs(data)
    if own_statistics:
        model = adapt_batch_norm(copy.deepcopy(model), x)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = torch.cat([model.backbone(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def gap_recovered(accuracy: float, source_only: float, train_on_target: float) -> float:
    r"""Share of the source-only to train-on-target gap a method closes, as the DANN papers report it:
    :math:`(a - a_{source}) / (a_{target} - a_{source})`. 1 means as good as training on labelled target."""
    for name, value in (("accuracy", accuracy), ("source_only", source_only), ("train_on_target", train_on_target)):
        _check_number(name, value)
    if train_on_target <= source_only:
        raise ValueError(
            f"train_on_target ({train_on_target:.3f}) must exceed source_only ({source_only:.3f}) for a gap to exist."
        )
    return (accuracy - source_only) / (train_on_target - source_only)


# --------------------------------------------------------------------------------------------------
# Two moons: the toy problem of Ganin et al. (2016), one call per run
# --------------------------------------------------------------------------------------------------
@dataclass
class ToyRun:
    """One run of :func:`two_moons_adaptation`: the trained ``model``, its data (``source`` and ``target``
    are ``(X, y)`` pairs; the target labels are used for plots and testing only) and its accuracies."""

    method: str
    rotation: float
    weight: float
    model: nn.Module
    source: tuple
    target: tuple
    target_test: tuple
    source_accuracy: float
    target_accuracy: float
    history: dict


def two_moons_adaptation(
    method: str = "dann",
    rotation: float = 30.0,
    weight: float = 6.0,
    *,
    n: int = 300,
    noise: float = 0.1,
    hidden: int = 15,
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 0.5,
    seed: int = 0,
) -> ToyRun:
    """Train the shallow network (``hidden`` sigmoid units) on ``n`` labelled two-moons points and ``n``
    unlabelled points of the same moons rotated by ``rotation`` degrees, with ``method`` and adaptation
    weight ``weight``; test on 1,000 fresh rotated points.

    For ``"dann"`` the domain discriminator has one hidden layer of 32 units: the journal's logistic
    regressor (``DomainDiscriminator(hidden, hidden_sizes=())``) can only compare linear statistics of the
    hidden layer, which does little against a rotation.
    """
    from tlearn.data import moons
    from tlearn.train import evaluate

    rotation = _check_number("rotation", rotation)
    source = moons(n, noise=noise, seed=seed)
    target = moons(n, noise=noise, rotation=rotation, seed=seed + 1)
    target_test = moons(1000, noise=noise, rotation=rotation, seed=seed + 2)
    torch.manual_seed(seed)
    model = ShallowNetwork(2, hidden, 2)
    discriminator = DomainDiscriminator(hidden, hidden_sizes=(32,)) if method == "dann" else None
    run = adapt(method, model, source, target[0], steps=steps, batch_size=batch_size, lr=lr, weight=weight,
                discriminator=discriminator, seed=seed, device="cpu")
    return ToyRun(
        method, rotation, weight, model, source, target, target_test,
        source_accuracy=evaluate(model, source, device="cpu"),
        target_accuracy=evaluate(model, target_test, device="cpu"),
        history=run.history,
    )


# --------------------------------------------------------------------------------------------------
# One domain shift, every method: the notebook's digit tables
# --------------------------------------------------------------------------------------------------
@dataclass
class ShiftComparison:
    """What :func:`compare_methods` returns. ``accuracy`` maps each row name to its target test accuracy;
    ``runs`` maps the trained rows to their :class:`Adaptation`; ``rows()`` gives the results table."""

    name: str
    accuracy: dict
    runs: dict
    seconds: dict

    def gap_recovered(self, row: str) -> float:
        return gap_recovered(self.accuracy[row], self.accuracy["source only"], self.accuracy["train on target"])

    def rows(self) -> list[dict]:
        out = []
        # no gap (train on target no better than source only) means no share of it to report
        has_gap = self.accuracy["train on target"] > self.accuracy["source only"]
        for row, acc in self.accuracy.items():
            bound = row in ("source only", "train on target")
            out.append({
                "method": row,
                "target accuracy": acc,
                "gap recovered": f"{self.gap_recovered(row):.0%}" if has_gap and not bound else None,
                "train s": round(self.seconds.get(row, 0.0), 1),
            })
        return out


def compare_methods(
    make_model,
    source,
    target,
    target_test,
    *,
    weights: dict | None = None,
    name: str = "",
    **adapt_kwargs,
) -> ShiftComparison:
    """Train every method of one domain shift with the same settings, and test each on ``target_test``.

    Rows: *source only* (the lower bound), *source only + AdaBN* (the same network with the target's
    batch-norm statistics; no training), MMD, CORAL and DANN (each with its weight from ``weights``) and
    *train on target* (the upper bound: the labels of ``target`` used as if they were known). ``target`` must
    therefore carry labels, which only that bound reads. ``make_model()`` returns a fresh network with
    ``.backbone`` and ``.head``; ``adapt_kwargs`` go to :func:`adapt`.
    """
    import copy

    from tlearn.train import evaluate

    weights = {"mmd": 1.0, "coral": 1.0, "dann": 1.0, **(weights or {})}
    unknown = set(weights) - {"mmd", "coral", "dann"}
    if unknown:
        raise ValueError(f"weights has unknown methods {sorted(unknown)}; use mmd, coral and dann.")
    if not hasattr(target, "targets"):
        raise TypeError("target must be a labelled ImageSet: its labels train the train-on-target bound only.")
    unlabelled = target.images
    accuracy, runs, seconds = {}, {}, {}

    def run(row, method, labelled, weight=1.0):
        result = adapt(method, make_model(), labelled, unlabelled, weight=weight, **adapt_kwargs)
        device = next(result.model.parameters()).device
        accuracy[row] = evaluate(result.model, target_test, device=device)
        runs[row], seconds[row] = result, result.seconds

    run("source only", "source_only", source)
    adabn = adapt_batch_norm(copy.deepcopy(runs["source only"].model), unlabelled)
    accuracy["source only + AdaBN"] = evaluate(adabn, target_test, device=next(adabn.parameters()).device)
    run("MMD", "mmd", source, weights["mmd"])
    run("CORAL", "coral", source, weights["coral"])
    run("DANN", "dann", source, weights["dann"])
    run("train on target", "source_only", target)
    return ShiftComparison(name, accuracy, runs, seconds)
