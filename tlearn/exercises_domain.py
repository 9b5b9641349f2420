r"""Checking functions for the domain-adaptation notebooks' implementation exercises (03a and 03b).

Each checker runs the learner's function on random inputs against a reference and prints whether it is
right; it returns ``True`` or ``False`` and never raises on a wrong answer.

* 03a: the **linear-time MMD** estimator of Gretton et al. (2012, "A Kernel Two-Sample Test", JMLR 13,
  section 6), :math:`\widehat{\mathrm{MMD}}^2_l = \frac1{b}\sum_{i<b} h(z_{2i}, z_{2i+1})` with
  :math:`h = k(x,x') + k(y,y') - k(x,y') - k(x',y)`, with one Gaussian kernel of a given bandwidth;
  the reference is :func:`tlearn.domain.mmd` with ``estimator="linear"``.
* 03b: **Log-Euclidean CORAL** (Log-D-CORAL; Morerio and Murino, "Correlation Alignment by Riemannian
  Metric for Domain Adaptation", arXiv 2017), :math:`\frac1{4d^2}\|\log C_S - \log C_T\|_F^2`: covariances
  compared along the manifold of positive definite matrices instead of as flat arrays; here each
  covariance is regularised as :math:`C + \varepsilon I` before the matrix logarithm.
"""

from __future__ import annotations

import torch


def _say(ok: bool, message: str, verbose: bool) -> bool:
    if verbose:
        print(("Correct: " if ok else "Not yet: ") + message)
    return ok


def _compare(fn, args, want: torch.Tensor, what: str, atol: float, verbose: bool):
    """None when ``fn(*args)`` equals ``want`` (a scalar); else the verdict ``False`` (already printed)."""
    try:
        got = fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
    except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
        return _say(False, f"your function raised {type(error).__name__}: {error}", verbose)
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        return _say(False, f"return a scalar torch.Tensor, got {type(got).__name__}", verbose)
    if not torch.allclose(got.double().reshape(()), want.double(), atol=atol, rtol=1e-4):
        return _say(False, f"{what}: expected {want.item():.6f}, got {got.item():.6f}", verbose)
    return None


def linear_mmd_reference(x: torch.Tensor, y: torch.Tensor, sigma: float) -> torch.Tensor:
    """tlearn's linear-time MMD² with one Gaussian kernel of bandwidth ``sigma``."""
    from .domain import mmd

    return mmd(x, y, estimator="linear", bandwidths=sigma)


def check_linear_mmd(fn, trials: int = 3, atol: float = 1e-5, verbose: bool = True) -> bool:
    r"""Check ``fn(x, y, sigma) -> scalar``, the linear-time MMD² with the Gaussian kernel
    :math:`\exp(-\|a-b\|^2/2\sigma^2)` on pairs :math:`(x_0,x_1), (x_2,x_3), \dots` (odd sample sizes and
    unequal ones included: use :math:`b = \lfloor\min(m,n)/2\rfloor` pairs)."""
    for trial in range(trials):
        g = torch.Generator().manual_seed(trial)
        m, n = 20 + 3 * trial, 17 + 2 * trial
        x, y = torch.randn(m, 3, generator=g), torch.randn(n, 3, generator=g) + 0.5
        sigma = 0.5 + trial
        verdict = _compare(
            fn,
            (x, y, sigma),
            linear_mmd_reference(x, y, sigma),
            f"on {m} and {n} points with sigma {sigma}",
            atol,
            verbose,
        )
        if verdict is not None:
            return verdict
    return _say(True, "your linear-time estimator matches tlearn's on every trial.", verbose)


def log_coral_reference(source: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    r""":math:`\frac1{4d^2}\|\log(C_S + \varepsilon I) - \log(C_T + \varepsilon I)\|_F^2`, the matrix logarithm
    through the eigendecomposition of the symmetric covariances."""
    from .domain import covariance

    def matrix_log(c):
        values, vectors = torch.linalg.eigh(c + eps * torch.eye(len(c), dtype=c.dtype))
        return vectors @ torch.diag(values.log()) @ vectors.T  # log C = U diag(log s) U^T

    d = source.shape[1]
    return (matrix_log(covariance(source)) - matrix_log(covariance(target))).pow(2).sum() / (4.0 * d * d)


def check_log_coral(fn, trials: int = 3, eps: float = 1e-3, atol: float = 1e-5, verbose: bool = True) -> bool:
    r"""Check ``fn(source, target, eps) -> scalar``, Log-Euclidean CORAL
    :math:`\frac1{4d^2}\|\log(C_S + \varepsilon I) - \log(C_T + \varepsilon I)\|_F^2` (float64 inputs)."""
    for trial in range(trials):
        g = torch.Generator().manual_seed(trial)
        d = 4 + trial
        a = torch.randn(60, d, generator=g, dtype=torch.float64)
        b = torch.randn(50, d, generator=g, dtype=torch.float64) * torch.linspace(0.5, 2.0, d, dtype=torch.float64)
        verdict = _compare(fn, (a, b, eps), log_coral_reference(a, b, eps), f"with d = {d}", atol, verbose)
        if verdict is not None:
            return verdict
    return _say(True, "your Log-Euclidean CORAL matches the reference on every trial.", verbose)


__all__ = ["check_linear_mmd", "check_log_coral", "linear_mmd_reference", "log_coral_reference"]
