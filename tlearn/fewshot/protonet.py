r"""Prototypical networks.

Snell, Swersky and Zemel, *Prototypical Networks for Few-shot Learning*, NeurIPS 2017.

Each class is summarised by the mean of its embedded support examples, its *prototype*
(the paper's eq. 1, :math:`S_k` the support examples of class :math:`k`),

.. math::  \mathbf{c}_k = \frac{1}{|S_k|} \sum_{(\mathbf{x}_i, y_i) \in S_k} f_\phi(\mathbf{x}_i),

and a query :math:`\mathbf{x}` gets a softmax over negative distances to the prototypes (eq. 2),

.. math::  p_\phi(y = k \mid \mathbf{x}) = \frac{\exp(-d(f_\phi(\mathbf{x}), \mathbf{c}_k))}
           {\sum_{k'} \exp(-d(f_\phi(\mathbf{x}), \mathbf{c}_{k'}))},

trained by minimising :math:`J(\phi) = -\log p_\phi(y = k \mid \mathbf{x})` over the queries of random
training episodes, with :math:`d` the *squared* Euclidean distance. With that :math:`d` the model is a
linear classifier in embedding space (the class mean is the right summary for any Bregman divergence).
The paper trains Omniglot with more ways than it tests (60-way episodes for a 5- or 20-way test).

Where tlearn departs: ``distance="cosine"`` scores by :math:`s \cos(f(\mathbf{x}), \mathbf{c}_k)` with a
*learned* inverse temperature :math:`s` (not in the paper, which compares cosine and squared Euclidean
without a scale and finds Euclidean better): cosines live in :math:`[-1, 1]`, and a softmax over numbers
that close together cannot become confident without a scale. Notebook 05 asks how much of the gap the
scale closes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import checks
from .base import FewShotModel, class_means, cosine_similarity_matrix, squared_euclidean


class PrototypicalNet(FewShotModel):
    r"""Prototypical network: logits :math:`-\lVert f(\hat x) - c_k\rVert^2` to the class means, or
    :math:`s \cos(f(\hat x), c_k)` with ``distance="cosine"`` (learned :math:`s`, initialised at ``scale``)."""

    method = "protonet"

    def __init__(self, encoder: nn.Module, distance: str = "euclidean", scale: float = 10.0):
        super().__init__(encoder)
        checks.choice("distance", distance, ("euclidean", "cosine"))
        checks.positive_number("scale", scale)
        self.distance = distance
        self.log_scale = nn.Parameter(torch.tensor(math.log(scale)), requires_grad=distance == "cosine")
        self.config.update(distance=distance, scale=scale)

    def prototypes(self, support: torch.Tensor, support_labels: torch.Tensor) -> torch.Tensor:
        return class_means(support, support_labels)  # c_k = (1/|S_k|) sum f(x_i)

    def logits_from_embeddings(self, support, support_labels, query):
        protos = self.prototypes(support, support_labels)
        if self.distance == "euclidean":
            return -squared_euclidean(query, protos)  # -d(f(x), c_k), d = ||.||^2
        return self.log_scale.exp() * cosine_similarity_matrix(query, protos)  # s cos(f(x), c_k)
