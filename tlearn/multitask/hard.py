r"""Hard parameter sharing (Caruana, 1997, "Multitask Learning", Machine Learning 28; the name is Ruder's,
2017, "An Overview of Multi-Task Learning in Deep Neural Networks", arXiv:1706.05098).

One trunk :math:`f_\theta` computes features for every task, and a linear head :math:`g_t` per task maps
them to that task's logits:

.. math::  \hat y_t = g_t(f_\theta(x)), \qquad L = \sum_t w_t\, L_t(\hat y_t, y_t)

so :math:`\nabla_\theta L = \sum_t w_t \nabla_\theta L_t`: every task's gradient reaches the one trunk.
It has the fewest parameters and the strongest inductive bias; it hurts when the tasks want different
features ("negative transfer"). A single-task network is the case of one task.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from .base import check_tasks, check_trunk, heads


class HardSharing(nn.Module):
    """Hard parameter sharing: one shared trunk, one linear head per task.

    ``tasks`` maps task name to number of classes. ``forward(x, *extra)`` passes ``extra`` to the
    trunk (e.g. sequence lengths for ``GRUEncoder``) and returns ``{task: logits}``.
    A single-task network is the special case of one task: ``HardSharing(trunk, {"left": 10})``.
    """

    def __init__(self, trunk: nn.Module, tasks: Mapping[str, int]):
        super().__init__()
        tasks = check_tasks(tasks)
        self.trunk = check_trunk(trunk)
        self.heads = heads(tasks, trunk.out_features)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    def forward(self, x, *extra) -> dict[str, torch.Tensor]:
        z = self.trunk(x, *extra)  # f_theta(x), computed once for every task
        return {t: head(z) for t, head in self.heads.items()}  # y_t = g_t(f_theta(x))
