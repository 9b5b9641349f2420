r"""Soft parameter sharing (Duong, Cohn, Bird & Cook, 2015, "Low Resource Dependency Parsing: Cross-lingual
Parameter Sharing in a Neural Network Parser", ACL).

Every task keeps its own network :math:`f_{\theta_t}`, but corresponding layers are tied by a squared
:math:`\ell_2` penalty on the difference of their parameters. Duong et al. tie the layers of two parsers
(one per language); over :math:`K` tasks, summed over every pair, the loss is

.. math::  L = \sum_t w_t L_t + \lambda \sum_{s<t} \sum_{\ell}
           \big\lVert \theta^{(\ell)}_s - \theta^{(\ell)}_t \big\rVert_2^2 .

:math:`\lambda = 0` gives independent single-task networks; as :math:`\lambda` grows the networks are
pulled together and, in the limit, become one hard-shared trunk: :math:`\lambda` is a dial between the
two. Yang & Hospedales (2017, "Trace Norm Regularised Deep Multi-Task Learning", ICLR workshop) keep the
same structure with a trace norm of the stacked layers in place of the distance; tlearn uses the distance.

Where tlearn departs: only the trunks are tied (the heads have task-specific shapes and stay free), and
the task networks start as copies of one initialisation (``same_init=True``). Two randomly initialised
networks order their hidden units arbitrarily, so "corresponding layers" would compare unrelated units;
Duong et al.'s networks correspond because both are trained from the same setup on related languages.

With plain SGD the penalty's gradient :math:`2\lambda\sum_{t\ne s}(\theta_s - \theta_t)` shrinks every
difference by a factor :math:`1 - 2\eta\lambda K` per step; Adam rescales each step by the running
gradient size, so there a very large :math:`\lambda` mostly slows the task losses down.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import torch
from torch import nn

from .. import checks
from .base import build_columns, check_same_architecture, check_tasks, heads


def squared_parameter_distance(a: nn.Module, b: nn.Module) -> torch.Tensor:
    """``sum_l ||theta_a^(l) - theta_b^(l)||^2`` over corresponding parameters (differentiable)."""
    for name, m in (("a", a), ("b", b)):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(m).__name__}")
    check_same_architecture(a, b, ("a", "b"))
    terms = [(pa - pb).pow(2).sum() for pa, pb in zip(a.parameters(), b.parameters())]
    if not terms:
        raise ValueError("a and b have no parameters to compare")
    return torch.stack(terms).sum()


def parameter_distance(a: nn.Module, b: nn.Module) -> float:
    """Euclidean distance between two networks' parameter vectors (same architecture)."""
    with torch.no_grad():
        return float(squared_parameter_distance(a, b).sqrt())


class SoftSharing(nn.Module):
    """Soft parameter sharing (Duong et al., 2015): a network per task, tied by an L2 penalty.

    ``trunks``: a function that builds a trunk (called once per task) or a dict ``{task: trunk}`` of
    identically built trunks. ``same_init`` (default) starts every task's trunk from the first one's
    parameters, so that the penalty ties units that correspond; ``same_init=False`` keeps each
    trunk's own initialisation (then even a large lambda must first undo unrelated random starts).
    ``lam``: the penalty strength lambda; ``penalty()`` returns

        lambda * sum over task pairs s < t of sum over layers ||theta_s - theta_t||^2

    over the trunks' parameters (heads have task-specific shapes and stay free).
    ``fit_multitask`` adds ``penalty()`` to the task losses. With ``lam=0`` this is exactly a set of
    independent single-task networks trained side by side (from one initialisation).
    """

    def __init__(self, trunks, tasks: Mapping[str, int], lam: float = 1e-2, same_init: bool = True):
        super().__init__()
        tasks = check_tasks(tasks)
        self.trunks = build_columns(trunks, tasks, same_init)
        self.heads = heads(tasks, next(iter(self.trunks.values())).out_features)
        self.lam = lam

    @property
    def lam(self) -> float:
        return self._lam

    @lam.setter
    def lam(self, value: float) -> None:
        self._lam = checks.number("lam", value, non_negative=True)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    def forward(self, x, *extra) -> dict[str, torch.Tensor]:
        return {t: self.heads[t](self.trunks[t](x, *extra)) for t in self.heads}  # y_t = g_t(f_theta_t(x))

    def squared_distance(self) -> torch.Tensor:
        """``sum_{s<t} sum_l ||theta_s^(l) - theta_t^(l)||^2`` over the task trunks."""
        # the trunks were checked to match when the model was built, so the parameters pair directly
        terms = [
            (pa - pb).pow(2).sum()  # ||theta_s^(l) - theta_t^(l)||_2^2
            for a, b in itertools.combinations(self.trunks.values(), 2)  # s < t
            for pa, pb in zip(a.parameters(), b.parameters())  # layer l
        ]
        if not terms:  # one task: nothing to tie
            return next(self.parameters()).new_zeros(())
        return torch.stack(terms).sum()

    def penalty(self) -> torch.Tensor:
        return self.lam * self.squared_distance()  # lambda sum_{s<t} sum_l ||theta_s - theta_t||^2

    def parameter_distance(self) -> float:
        """sqrt of the summed squared distances: for two tasks, the distance between the trunks."""
        with torch.no_grad():
            return float(self.squared_distance().sqrt())
