r"""Task weighting: how the task losses add up to the one loss a multi-task network minimises.

With several losses the weights :math:`w_t` of :math:`L = \sum_t w_t L_t` matter: a task with a large
loss (many classes, a noisy target) dominates the shared trunk's gradient.

:class:`FixedWeighting` uses weights you choose (equal by default).

:class:`UncertaintyWeighting` learns them (Kendall, Gal & Cipolla, 2018, "Multi-Task Learning Using
Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR). Each task gets a homoscedastic noise
scale :math:`\sigma_t`; maximising the Gaussian likelihood of a regression task gives the paper's Eq. (7),

.. math::  L = \sum_t \frac{1}{2\sigma_t^2} L_t + \log \sigma_t ,

and a softmax classifier scaled by :math:`1/\sigma_t^2` gives, by the paper's approximation (Eq. 10),
:math:`\frac{1}{\sigma_t^2} L_t + \log\sigma_t`, without the :math:`\tfrac12`. "In practice, we train the
network to predict the log variance, :math:`s := \log\sigma^2`", which keeps the loss free of a division
by zero. tlearn uses exactly that form:

.. math::  L = \sum_t c_t\, e^{-s_t} L_t + \tfrac12 s_t, \qquad s_t = \log\sigma_t^2, \qquad
           c_t = 1 \text{ (classification, the default)}, \quad c_t = \tfrac12 \text{ (tasks named in ``regression``)},

with every :math:`s_t` initialised to 0 (weight :math:`c_t`). Many implementations use
:math:`\tfrac12 e^{-s_t} L_t + \tfrac12 s_t` for every task; for a classification task that halves its
weight relative to tlearn's. A noisy (high-loss) task gets a large :math:`\sigma_t` and so a small weight;
the :math:`\tfrac12 s_t` term stops every weight collapsing to zero. For a fixed loss the optimum is
:math:`\partial_s = -c_t e^{-s} L_t + \tfrac12 = 0`, i.e. :math:`c_t e^{-s_t} = 1 / (2 L_t)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .. import checks
from .base import check_per_task, check_task_names


class FixedWeighting(nn.Module):
    """``L = sum_t w_t L_t`` with weights you choose; equal weights (all 1) by default."""

    def __init__(self, tasks: Sequence[str], weights: Mapping[str, float] | None = None):
        super().__init__()
        self.task_names = check_task_names(tasks)
        if weights is None:
            weights = {t: 1.0 for t in self.task_names}
        if not isinstance(weights, Mapping):
            raise TypeError(f"weights must be a dict {{task: weight}} or None, got {type(weights).__name__}")
        check_per_task(weights, self.task_names, "FixedWeighting", what="weights")
        self._weights = {t: checks.number(f"weights[{t!r}]", weights[t], non_negative=True) for t in self.task_names}

    def weights(self) -> dict[str, float]:
        return dict(self._weights)

    def forward(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        assert set(losses) == set(self.task_names), f"losses for {list(losses)}, weights for {self.task_names}"
        return sum(self._weights[t] * losses[t] for t in self.task_names)  # sum_t w_t L_t


class UncertaintyWeighting(nn.Module):
    """Learned task weights from homoscedastic uncertainty (Kendall, Gal & Cipolla, 2018).

    ``L = sum_t c_t exp(-s_t) L_t + s_t / 2`` with a learned ``s_t = log sigma_t^2`` (initialised to
    0) and ``c_t = 1`` for classification, ``1/2`` for tasks named in ``regression`` (squared errors).
    Its parameters must be optimised with the model's (``fit_multitask`` does this).
    """

    def __init__(self, tasks: Sequence[str], regression: Sequence[str] = ()):
        super().__init__()
        self.task_names = check_task_names(tasks)
        unknown = [t for t in regression if t not in self.task_names]
        if isinstance(regression, str) or unknown:
            raise ValueError(
                f"regression = {regression!r} names tasks not in {self.task_names}; give a list of "
                "task names whose loss is a squared error"
            )
        self.scale = {t: (0.5 if t in regression else 1.0) for t in self.task_names}  # c_t
        self.log_variance = nn.Parameter(torch.zeros(len(self.task_names)))  # s_t = log sigma_t^2

    def weights(self) -> dict[str, float]:
        """The current effective weight ``c_t exp(-s_t)`` of each task."""
        w = torch.exp(-self.log_variance.detach())
        return {t: self.scale[t] * float(w[i]) for i, t in enumerate(self.task_names)}

    def forward(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        assert set(losses) == set(self.task_names), f"losses for {list(losses)}, weights for {self.task_names}"
        s = self.log_variance
        return sum(
            self.scale[t] * torch.exp(-s[i]) * losses[t] + 0.5 * s[i]  # c_t e^{-s_t} L_t + s_t / 2
            for i, t in enumerate(self.task_names)
        )
