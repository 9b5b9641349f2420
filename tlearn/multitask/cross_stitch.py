r"""Cross-stitch networks (Misra, Shrivastava, Gupta & Hebert, 2016, "Cross-stitch Networks for Multi-task
Learning", CVPR).

Every task keeps its own network (a "column"), and after a block the activations of the columns are
mixed by a learned cross-stitch unit. For two tasks A and B, at every location :math:`(i, j)` of the
feature maps, the paper writes

.. math::  \begin{bmatrix} \tilde x_A^{ij} \\ \tilde x_B^{ij} \end{bmatrix}
           = \begin{bmatrix} \alpha_{AA} & \alpha_{AB} \\ \alpha_{BA} & \alpha_{BB} \end{bmatrix}
             \begin{bmatrix} x_A^{ij} \\ x_B^{ij} \end{bmatrix},

and for :math:`K` tasks :math:`\tilde h_s = \sum_t \alpha_{st} h_t`. :math:`\alpha = I` is independent
networks; equal entries (with equal columns) is one shared network: the network learns how much to
share, block by block.

The paper initialises :math:`\alpha` as a convex combination, :math:`(\alpha_S, \alpha_D) = (0.9, 0.1)`
working best for two tasks, starts both columns from one pretrained network, and trains the units at a
learning rate :math:`10^2`-:math:`10^3` times the base rate, so that the few mixing weights move while
the columns are fine-tuned. :func:`param_groups` builds those optimizer groups.

Where tlearn departs: one unit after every block of the trunk (the paper places them after the pooling
and fully connected layers of AlexNet), :math:`\alpha` split evenly over the other columns for
:math:`K > 2` tasks, and, without a pretrained network, every column a copy of one random
initialisation (``same_init=True``) so that channel :math:`c` of one column corresponds to channel
:math:`c` of another. The boosted rate is the caller's choice (``param_groups``); the default
multiplier, 10, is milder than the paper's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .. import checks
from .base import build_columns, check_tasks, heads


class CrossStitch(nn.Module):
    """Cross-stitch networks (Misra et al., 2016): task columns mixed after every block.

    ``trunks``: a factory or a dict of identically built trunks that expose ``.blocks`` (an
    ``nn.ModuleList`` applied in order; their output, flattened, is the feature vector of size
    ``.out_features``), such as ``tlearn.backbones.Conv4``. After block ``l`` the activations of the
    ``K`` columns are mixed by a learned ``K x K`` matrix:  ``h_s <- sum_t alpha[l, s, t] h_t``.
    ``init_self`` is the initial weight a column gives itself; the rest, ``1 - init_self``, is split
    over the other columns (the paper's best initialisation for two tasks is 0.9 / 0.1).
    ``same_init`` (default) starts every column from the first one's parameters, as the paper starts
    both columns from one pretrained network. Train alpha at a boosted rate with :func:`param_groups`.
    """

    def __init__(self, trunks, tasks: Mapping[str, int], init_self: float = 0.9, same_init: bool = True):
        super().__init__()
        tasks = check_tasks(tasks)
        init_self = checks.fraction("init_self", init_self)
        self.trunks = build_columns(trunks, tasks, same_init)
        for t, trunk in self.trunks.items():
            if not isinstance(getattr(trunk, "blocks", None), nn.ModuleList):
                raise TypeError(
                    f"trunks[{t!r}] ({type(trunk).__name__}) has no .blocks ModuleList; cross-stitch "
                    "units sit between blocks, so use a trunk made of blocks such as Conv4"
                )
        k = len(tasks)
        n_blocks = len(next(iter(self.trunks.values())).blocks)
        other = (1.0 - init_self) / (k - 1) if k > 1 else 0.0
        alpha = torch.full((k, k), other)  # alpha_D off the diagonal
        alpha.fill_diagonal_(init_self if k > 1 else 1.0)  # alpha_S on it
        self.alpha = nn.Parameter(alpha.repeat(n_blocks, 1, 1))  # [blocks, K, K]
        self.heads = heads(tasks, next(iter(self.trunks.values())).out_features)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    @staticmethod
    def stitch(hs: Sequence[torch.Tensor], alpha: torch.Tensor) -> list[torch.Tensor]:
        """``h_s <- sum_t alpha[s, t] h_t`` for activations ``hs`` of equal shape."""
        stacked = torch.stack(list(hs))  # [K, B, ...]
        mixed = torch.tensordot(alpha, stacked, dims=([1], [0]))  # h~_s = sum_t alpha_st h_t, at every (i, j)
        return list(mixed.unbind(0))

    def forward(self, x) -> dict[str, torch.Tensor]:
        columns = list(self.trunks.values())
        hs = [x] * len(columns)
        for layer in range(self.alpha.shape[0]):
            hs = [col.blocks[layer](h) for col, h in zip(columns, hs)]
            hs = self.stitch(hs, self.alpha[layer])
        return {t: self.heads[t](h.flatten(1)) for t, h in zip(self.heads, hs)}

    def param_groups(self, lr: float, stitch_lr: float | None = None) -> list[dict]:
        """Optimizer parameter groups: the network at ``lr``, alpha at ``stitch_lr`` (default ``10 * lr``)."""
        lr = checks.positive_number("lr", lr)
        stitch_lr = 10.0 * lr if stitch_lr is None else checks.positive_number("stitch_lr", stitch_lr)
        return _groups(self, lr, stitch_lr)


def param_groups(model: nn.Module, lr: float, cross_stitch_mult: float = 10.0) -> list[dict]:
    """Optimizer parameter groups that train cross-stitch units at ``cross_stitch_mult * lr``, the rest at ``lr``.

    For a :class:`CrossStitch` model: ``[{network, lr}, {alpha, cross_stitch_mult * lr}]``; for any other
    model one group at ``lr``, so one optimizer factory serves every model, e.g.
    ``torch.optim.SGD(param_groups(model, 0.02, cross_stitch_mult=100), momentum=0.9)``. Misra et al. used
    multipliers of 100 to 1000 with SGD.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    lr = checks.positive_number("lr", lr)
    cross_stitch_mult = checks.positive_number("cross_stitch_mult", cross_stitch_mult)
    if not isinstance(model, CrossStitch):
        return [{"params": list(model.parameters()), "lr": lr}]
    return _groups(model, lr, cross_stitch_mult * lr)


def _groups(model: CrossStitch, lr: float, stitch_lr: float) -> list[dict]:
    rest = [p for name, p in model.named_parameters() if name != "alpha"]
    return [{"params": rest, "lr": lr}, {"params": [model.alpha], "lr": stitch_lr}]
