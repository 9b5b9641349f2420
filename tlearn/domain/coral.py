r"""CORAL: align the second-order statistics of the source and target features.

Sun and Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation", ECCV 2016 Workshops
(TASK-CV), extend CORAL (Sun, Feng and Saenko, AAAI 2016, a closed-form whitening and re-colouring) to a
differentiable loss on a deep layer. With :math:`d` the feature width and :math:`C_S, C_T` the feature
covariance matrices of the source and target batches,

.. math::  \ell_{CORAL} = \frac{1}{4d^2}\, \|C_S - C_T\|_F^2, \qquad
           C_S = \frac{1}{n_S - 1}\Big(D_S^\top D_S - \frac1{n_S}(\mathbf 1^\top D_S)^\top(\mathbf 1^\top D_S)\Big),

and likewise :math:`C_T`. The paper adds it to the classification loss on the last layer (fc8 of AlexNet),
weighted so that the two losses are about equal at the end of training. tlearn adds it on the backbone's
output, weighted by ``weight`` times DANN's :math:`\lambda_p` ramp. Means are not compared at all: two
batches that differ only by a shift have zero CORAL loss.
"""

from __future__ import annotations

import torch

from .. import checks


def covariance(x: torch.Tensor) -> torch.Tensor:
    r"""Sample covariance :math:`\frac{1}{n-1}(x - \bar x)^\top (x - \bar x)` of the rows of ``x`` [n, d]."""
    assert x.dim() == 2, x.shape
    centred = x - x.mean(0, keepdim=True)
    return centred.T @ centred / (x.shape[0] - 1)  # C = 1/(n-1) (D^T D - 1/n (1^T D)^T (1^T D))


def coral_loss(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The per-step form of :func:`coral`, without checks."""
    d = source.shape[1]
    return (covariance(source) - covariance(target)).pow(2).sum() / (4.0 * d * d)  # ||C_S - C_T||_F^2 / 4d^2


def coral(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Deep CORAL loss :math:`\|C_S - C_T\|_F^2 / 4d^2` (Sun and Saenko, 2016) between ``source`` [m, d]
    and ``target`` [n, d] (at least 2 rows each), a differentiable scalar."""
    source, target = checks.feature_pair(source, target, min_rows=2)
    return coral_loss(source, target)
