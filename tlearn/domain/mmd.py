r"""Maximum mean discrepancy (MMD): how far apart two samples are, in a kernel's feature space.

Gretton, Borgwardt, Rasch, Schölkopf and Smola, "A Kernel Two-Sample Test", JMLR 13, 2012, compare two
distributions :math:`p, q` by the distance of their mean embeddings :math:`\mu_p = \mathbb{E}_p[\phi(x)]`
in the reproducing kernel Hilbert space of a kernel :math:`k`:

.. math::  \mathrm{MMD}^2(p, q) = \|\mu_p - \mu_q\|_{\mathcal{H}}^2
           = \mathbb{E}[k(x, x')] + \mathbb{E}[k(y, y')] - 2\,\mathbb{E}[k(x, y)],
           \quad x, x' \sim p,\; y, y' \sim q .

With a characteristic kernel, such as the Gaussian :math:`k_\sigma(a, b) = \exp(-\|a-b\|^2 / 2\sigma^2)`,
it is zero exactly when :math:`p = q`. :func:`mmd` has the paper's three estimators from :math:`m` source
rows :math:`x_i` and :math:`n` target rows :math:`y_j`:

* ``"biased"`` (a V-statistic, all pairs, self-pairs included): the squared norm
  :math:`\|\hat\mu_p - \hat\mu_q\|^2` of the difference of the two *empirical* mean embeddings, so it is
  :math:`\ge 0` by construction, and above 0 even for two samples of one distribution (the self-pairs
  :math:`k(x_i, x_i) = 1` add :math:`\approx 1/m + 1/n`).
* ``"unbiased"`` (a U-statistic, self-pairs left out): its *expectation* is the true MMD², so for two samples
  of one distribution it has **mean** zero and comes out negative often. Mean zero is not median zero:
  how often it is negative depends on the skew of its distribution, not on unbiasedness.
* ``"linear"``: the mean of :math:`h = k(x_1,x_2) + k(y_1,y_2) - k(x_1,y_2) - k(x_2,y_1)` over disjoint
  quadruples, cost linear in the batch; unbiased too, with more variance.

**DAN and tlearn's simplification.** Long, Cao, Wang and Jordan, "Learning Transferable Features with Deep
Adaptation Networks", ICML 2015, use MMD as a deep adaptation loss with three choices tlearn does not copy:

1. a **multi-kernel** MMD whose kernel :math:`k = \sum_u \beta_u k_u` (:math:`\beta_u \ge 0`,
   :math:`\sum_u\beta_u = 1`) is a convex combination of Gaussians with **learned** weights :math:`\beta`,
   chosen by a quadratic programme that maximises the test power (MMD over its variance);
2. the **linear-time** unbiased estimator above, for its cost in SGD;
3. the penalty on **several layers** at once (fc6-fc8 of AlexNet),
   :math:`\min \frac1{n_a}\sum_i J(\theta(x^a_i), y^a_i) + \lambda \sum_{l=l_1}^{l_2} d_k^2(\mathcal{D}_s^l,
   \mathcal{D}_t^l)`.

tlearn averages the Gaussians with **equal, fixed** weights, takes their bandwidths from the batch's
median pairwise distance (Gretton's median heuristic) times a few ``multipliers``, uses the quadratic-time
**unbiased** estimator by default (``mmd_estimator="linear"`` in :func:`tlearn.domain.adapt` gives DAN's),
and penalises **one** layer: the backbone's output.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

from .. import checks

MMD_ESTIMATORS = ("biased", "unbiased", "linear")
DEFAULT_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``[m, n]`` matrix of ``||a_i - b_j||^2``."""
    # ||a||^2 + ||b||^2 - 2 a.b instead of cdist: differentiable at zero distance (cdist's sqrt is not).
    d2 = a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1).unsqueeze(0) - 2.0 * a @ b.T
    return d2.clamp_min(0.0)


def median_heuristic(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The (lower) median distance between distinct points of the pooled sample, a 0-d tensor, no gradient."""
    with torch.no_grad():
        z = torch.cat([source, target])
        rows, cols = torch.triu_indices(len(z), len(z), offset=1, device=z.device)
        # the median of squared distances, then one square root: the same order, a fraction of the work
        return squared_distances(z, z)[rows, cols].median().sqrt()


def median_bandwidth(source: torch.Tensor, target: torch.Tensor) -> float:
    """Gretton's median heuristic: the (lower) median distance between distinct points of the pooled sample."""
    source, target = checks.feature_pair(source, target)
    if len(source) + len(target) < 2:
        raise ValueError("the median heuristic needs at least 2 points in source and target together")
    sigma = float(median_heuristic(source, target))
    if sigma <= 0:
        raise ValueError("the median distance between the points is 0 (most points coincide); pass bandwidths")
    return sigma


def kernel(d2: torch.Tensor, sigmas) -> torch.Tensor:
    r""":math:`k(a, b) = \frac1U \sum_u \exp(-\|a-b\|^2 / 2\sigma_u^2)` from the squared distances ``d2``."""
    return torch.stack([torch.exp(-d2 / (2.0 * s * s)) for s in sigmas]).mean(0)


def batch_bandwidths(source: torch.Tensor, target: torch.Tensor, multipliers=DEFAULT_MULTIPLIERS) -> list:
    """The median heuristic times each multiplier (0-d tensors, no gradient, so the loss cannot shrink by
    blowing a bandwidth up). A batch whose points all coincide gets a tiny bandwidth instead of 0."""
    sigma = median_heuristic(source, target).clamp_min(1e-12)
    return [sigma * m for m in multipliers]


def mmd_squared(source: torch.Tensor, target: torch.Tensor, sigmas, estimator: str = "unbiased") -> torch.Tensor:
    """The per-step form of :func:`mmd`, without checks: the estimate with the given bandwidths."""
    assert source.dim() == target.dim() == 2 and source.shape[1] == target.shape[1], (source.shape, target.shape)
    m, n = len(source), len(target)
    if estimator == "linear":
        b = min(m, n) // 2
        x1, x2 = source[0 : 2 * b : 2], source[1 : 2 * b : 2]
        y1, y2 = target[0 : 2 * b : 2], target[1 : 2 * b : 2]

        def k(a, c):
            return kernel((a - c).pow(2).sum(1), sigmas)

        return (k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)).mean()  # 1/b sum_i h(z_i)
    k_ss = kernel(squared_distances(source, source), sigmas)
    k_tt = kernel(squared_distances(target, target), sigmas)
    k_st = kernel(squared_distances(source, target), sigmas)
    if estimator == "biased":
        return k_ss.mean() + k_tt.mean() - 2.0 * k_st.mean()  # 1/m^2 sum k(x,x') + 1/n^2 sum k(y,y') - 2/mn sum k(x,y)
    # unbiased: leave out the self-pairs k(x_i, x_i) = 1, which carry no information about the distribution
    # and are what keeps the biased estimate above zero.
    ss = (k_ss.sum() - k_ss.diagonal().sum()) / (m * (m - 1))  # 1/(m(m-1)) sum_{i != j} k(x_i, x_j)
    tt = (k_tt.sum() - k_tt.diagonal().sum()) / (n * (n - 1))  # 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
    return ss + tt - 2.0 * k_st.mean()


def _positive_list(name, values) -> list[float]:
    values = [values] if isinstance(values, numbers.Real) else list(values)
    if not values:
        raise ValueError(f"{name} is empty; pass at least one positive number, e.g. (0.5, 1.0, 2.0)")
    return [checks.number(name, v, positive=True) for v in values]


def mmd(
    source: torch.Tensor,
    target: torch.Tensor,
    *,
    estimator: str = "unbiased",
    bandwidths: float | Sequence[float] | None = None,
    multipliers: float | Sequence[float] = DEFAULT_MULTIPLIERS,
) -> torch.Tensor:
    r"""Estimate the squared maximum mean discrepancy between ``source`` [m, d] and ``target`` [n, d].

    The kernel is the mean of Gaussians :math:`\exp(-\|a-b\|^2 / 2\sigma^2)`, one per bandwidth
    :math:`\sigma`. ``bandwidths=None`` takes them from the batch: the median pairwise distance of the
    pooled sample times each of ``multipliers`` (computed without gradient). For ``estimator``:

    * ``"biased"``:   :math:`\frac1{m^2}\sum_{i,j} k(x_i,x_j) + \frac1{n^2}\sum_{i,j} k(y_i,y_j)
      - \frac2{mn}\sum_{i,j} k(x_i,y_j)`
    * ``"unbiased"``: the same with :math:`i \ne j` in the first two sums, over :math:`m(m-1)` and
      :math:`n(n-1)` terms; can be negative.
    * ``"linear"``:   :math:`\frac1{b}\sum_{i<b} k(x_{2i},x_{2i+1}) + k(y_{2i},y_{2i+1})
      - k(x_{2i},y_{2i+1}) - k(x_{2i+1},y_{2i})`
      with :math:`b = \lfloor \min(m, n)/2 \rfloor`. The kernel sums are linear in the batch; the median
      heuristic is not, so pass ``bandwidths`` for very large batches.

    Returns a scalar tensor that gradients flow through.
    """
    checks.choice("estimator", estimator, MMD_ESTIMATORS)
    source, target = checks.feature_pair(source, target, min_rows=1 if estimator == "biased" else 2)
    if bandwidths is None:
        multipliers = _positive_list("multipliers", multipliers)
        sigma = median_bandwidth(source, target)
        sigmas = [sigma * m for m in multipliers]
    else:
        sigmas = _positive_list("bandwidths", bandwidths)
    return mmd_squared(source, target, sigmas, estimator)
