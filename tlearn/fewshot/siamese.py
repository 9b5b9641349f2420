r"""Siamese networks.

Koch, Zemel and Salakhutdinov, *Siamese Neural Networks for One-shot Image Recognition*, ICML Deep
Learning Workshop 2015.

Twin copies of one network look at two images; the last hidden layers :math:`\mathbf{h}_{1,L-1}` and
:math:`\mathbf{h}_{2,L-1}` are compared component by component, and one sigmoid unit gives the
probability that the two images show the same class. As the paper writes it,

.. math::  \mathbf{p} = \sigma\Big(\sum_j \alpha_j \big|\mathbf{h}^{(j)}_{1,L-1} - \mathbf{h}^{(j)}_{2,L-1}\big|\Big),

where :math:`\sigma` is the sigmoid and the :math:`\alpha_j` are learned weights of the component-wise
distance, trained on same/different pairs with the regularised cross-entropy

.. math::  \mathcal{L}(x_1^{(i)}, x_2^{(i)}) = \mathbf{y}(x_1^{(i)}, x_2^{(i)}) \log \mathbf{p}(x_1^{(i)}, x_2^{(i)})
           + (1 - \mathbf{y}(x_1^{(i)}, x_2^{(i)})) \log (1 - \mathbf{p}(x_1^{(i)}, x_2^{(i)}))
           + \boldsymbol{\lambda}^T |\mathbf{w}|^2

(written as a quantity to maximise; its negative is the loss minimised). One-shot classification then
picks the class of the support image with the highest :math:`\mathbf{p}`. The network never sees an
episode in training: verification is a proxy for the task.

Where tlearn departs, each to make short CPU runs learn:

- the score is :math:`b - \sum_j \alpha_j |z_{1j} - z_{2j}|` with :math:`\alpha_j = \mathrm{softplus}(w_j)
  \ge 0` and a learned bias :math:`b`: a weighted L1 *distance* (a larger difference never counts as
  evidence for "same"; with free signs, as in the paper, a short run learns much more slowly), where the
  paper has no bias and free-signed :math:`\alpha_j`;
- :math:`z = f(x)/\lVert f(x)\rVert`: the embeddings are L2-normalised, so the distance has a fixed scale;
- plain binary cross-entropy with Adam, without the paper's per-layer L2 penalty
  :math:`\boldsymbol\lambda`, its SGD with momentum and per-layer rates, or its affine distortions of
  the training pairs; and the encoder is tlearn's Conv4 on 28x28 images, not the paper's wider network on
  105x105 ones.

``loss="contrastive"`` replaces the sigmoid by the contrastive loss of Hadsell, Chopra and LeCun
(*Dimensionality Reduction by Learning an Invariant Mapping*, CVPR 2006),
:math:`y\,d^2 + (1-y)\max(0, m - d)^2` with :math:`d = \lVert z_1 - z_2 \rVert`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import checks
from .base import FewShotModel, per_class_max, squared_euclidean


def contrastive_loss(distance: torch.Tensor, same: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Contrastive loss (Hadsell, Chopra and LeCun 2006): :math:`y d^2 + (1 - y) \max(0, m - d)^2`, averaged.

    Pulls same-class pairs together and pushes different-class pairs apart until they are ``margin`` away.
    """
    same = same.to(distance.dtype)
    return (same * distance.pow(2) + (1 - same) * (margin - distance).clamp_min(0).pow(2)).mean()


class SiameseNet(FewShotModel):
    r"""Siamese network: twin encoder, weighted L1 distance, sigmoid (``loss="bce"``), or the contrastive
    loss on the Euclidean distance (``loss="contrastive"``). In an episode each class scores as its most
    similar support example, so one-shot classification picks the class of the most similar support
    image, as in the paper."""

    method = "siamese"

    def __init__(self, encoder: nn.Module, loss: str = "bce", margin: float = 1.0, embedding_dim: int | None = None):
        super().__init__(encoder)
        checks.choice("loss", loss, ("bce", "contrastive"))
        checks.positive_number("margin", margin)
        self.loss = loss
        self.margin = margin
        dim = embedding_dim or getattr(encoder, "out_features", None)
        if loss == "bce":
            if not isinstance(dim, int) or dim < 1:
                raise ValueError(
                    "loss='bce' needs the embedding size for the weighted L1 layer: pass "
                    "embedding_dim=... or an encoder with .out_features"
                )
            # softplus(2) ~ 2.1 per dimension and a bias of 3: at the start, identical images score
            # p = 0.95 and images whose unit embeddings differ in every coordinate score close to 0
            self.l1_weight = nn.Parameter(torch.full((dim,), 2.0))
            self.bias = nn.Parameter(torch.tensor(3.0))
        self.config.update(loss=loss, margin=margin, embedding_dim=embedding_dim)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.encoder(x).flatten(1), dim=-1)  # z = f(x) / ||f(x)||

    def l1_weights(self) -> torch.Tensor:
        r"""The non-negative weights :math:`\alpha_j` of the L1 distance (``loss="bce"``)."""
        return F.softplus(self.l1_weight)

    def pair_scores(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Similarity of aligned embedding pairs ``[B, D], [B, D] -> [B]``: larger means same class."""
        if self.loss == "bce":
            return self.bias - ((z1 - z2).abs() * self.l1_weights()).sum(-1)  # b - sum_j alpha_j |z1_j - z2_j|
        return -(z1 - z2).pow(2).sum(-1).clamp_min(1e-12).sqrt()  # -d

    def all_pair_scores(self, query: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
        r"""Scores of every query against every support example, ``[..., Q, D], [..., S, D] -> [..., Q, S]``.

        Because the weights are non-negative, :math:`\sum_j \alpha_j |q_j - s_j| = \sum_j |\alpha_j q_j -
        \alpha_j s_j|`: an ordinary L1 distance between rescaled embeddings, which ``torch.cdist`` computes
        without building the ``[Q, S, D]`` difference tensor.
        """
        if self.loss == "bce":
            alpha = self.l1_weights()
            return self.bias - torch.cdist(query * alpha, support * alpha, p=1.0)
        return -squared_euclidean(query, support).clamp_min(1e-12).sqrt()

    def threshold(self) -> float:
        """A pair is predicted "same" when its score is above this."""
        return 0.0 if self.loss == "bce" else -self.margin / 2

    def pair_loss(self, x1: torch.Tensor, x2: torch.Tensor, same: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss on a batch of pairs, and the scores (a pair is predicted "same" when its score > threshold)."""
        z = self.embed(torch.cat([x1, x2]))  # one pass through the twin: the same weights for both
        scores = self.pair_scores(z[: len(x1)], z[len(x1) :])
        if self.loss == "bce":
            # -[y log p + (1 - y) log(1 - p)], p = sigmoid(score)
            return F.binary_cross_entropy_with_logits(scores, same.to(scores.dtype)), scores
        return contrastive_loss(-scores, same, self.margin), scores

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        return per_class_max(self.all_pair_scores(query, support), support_labels, n_way)
