r"""Matching networks.

Vinyals, Blundell, Lillicrap, Kavukcuoglu and Wierstra, *Matching Networks for One Shot Learning*,
NeurIPS 2016.

Train on episodes shaped like the test ones, and predict a query's label by attention over the support
set :math:`S = \{(x_i, y_i)\}_{i=1}^k` (the paper's eqs. 1 and 2, :math:`y_i` one-hot):

.. math::  \hat y = \sum_{i=1}^{k} a(\hat x, x_i)\, y_i, \qquad
           a(\hat x, x_i) = \frac{e^{c(f(\hat x), g(x_i))}}{\sum_{j=1}^{k} e^{c(f(\hat x), g(x_j))}},

with :math:`c` the cosine similarity, trained to maximise :math:`\log P(y \mid \hat x, S)` on the queries
of training episodes.

*Full-context embeddings* (the paper's appendix, ``fce=True``) make **both** embeddings depend on the
whole support set: each support embedding :math:`g(x_i, S)` is read by a bidirectional LSTM over
:math:`S`, and the query's embedding :math:`f(\hat x, S)` comes from an LSTM that attends to the support
embeddings for :math:`K` steps. The query is thus not embedded alone: what it is compared with shapes
how it is embedded.

Where tlearn departs:

- **A learned scale, not in the paper.** The attention is :math:`\mathrm{softmax}_i(s\,c(f(\hat x),
  g(x_i)))` with a learned inverse temperature :math:`s` (initialised at ``scale``). The paper's plain
  cosine is ``scale=1``: over similarities in :math:`[-1, 1]` that attention can never weigh one support
  example more than :math:`e^2 \approx 7.4` times another, which short runs cannot overcome.
- The attention LSTM *adds* its readout to its state, :math:`h + r`, where the paper concatenates
  :math:`[h, r]` (a common simplification that keeps one state size).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import checks
from .base import FewShotModel, cosine_similarity_matrix, one_hot


class FullContextEmbedding(nn.Module):
    r"""Full-context embeddings (Vinyals et al. 2016, appendix).

    Support: :math:`g(x_i, S) = g'(x_i) + \overrightarrow{h}_i + \overleftarrow{h}_i`, a bidirectional
    LSTM read over the support set. Query: an LSTM run for ``steps`` steps whose state attends to the
    support set, :math:`h_k = \hat h_k + f'(\hat x)` with :math:`\hat h_k, c_k = \mathrm{LSTM}(f'(\hat x),
    h_{k-1} + r_{k-1}, c_{k-1})` and readout :math:`r_k = \sum_i \mathrm{softmax}(h_k^\top g(x_i))\, g(x_i)`.
    """

    def __init__(self, dim: int, steps: int = 3):
        super().__init__()
        self.steps = steps
        self.support_lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.query_cell = nn.LSTMCell(dim, dim)

    def support(self, s: torch.Tensor) -> torch.Tensor:
        """``[..., S, D]`` support embeddings, read in order by the bidirectional LSTM."""
        x = s.reshape(-1, *s.shape[-2:])
        out, _ = self.support_lstm(x)
        forward, backward = out.chunk(2, dim=-1)
        return (x + forward + backward).reshape(s.shape)  # g(x_i, S) = g'(x_i) + h_fwd_i + h_bwd_i

    def query(self, q: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``[..., Q, D]`` query embeddings attending to the full-context support embeddings ``g``."""
        flat = q.reshape(-1, q.shape[-1])
        h_hat, c = torch.zeros_like(flat), torch.zeros_like(flat)
        for _ in range(self.steps):
            h = (h_hat + flat).reshape(q.shape)  # h_k = h_hat_k + f'(x)
            readout = torch.softmax(h @ g.transpose(-1, -2), dim=-1) @ g  # r_k = sum_i softmax(h^T g_i) g_i
            h_hat, c = self.query_cell(flat, ((h + readout).reshape(flat.shape), c))
        return (h_hat + flat).reshape(q.shape)


class MatchingNet(FewShotModel):
    r"""Matching network: attention over the support set, cosine similarity, optional full-context embeddings.

    Logits are :math:`\log P(y = k \mid \hat x, S) = \log \sum_i a(\hat x, x_i)\,[y_i = k]`, so cross-entropy
    on them is the paper's training objective and their softmax gives back :math:`P` itself.
    ``scale`` initialises the learned inverse temperature (not in the paper; ``scale=1`` starts at the
    paper's plain cosine). ``fce=True`` adds full-context embeddings (``fce_steps`` attention steps).
    """

    method = "matching"

    def __init__(
        self,
        encoder: nn.Module,
        fce: bool = False,
        fce_steps: int = 3,
        scale: float = 10.0,
        embedding_dim: int | None = None,
    ):
        super().__init__(encoder)
        checks.positive_number("scale", scale)
        if fce:
            dim = embedding_dim or getattr(encoder, "out_features", None)
            if not isinstance(dim, int) or dim < 1:
                raise ValueError(
                    "fce=True needs the embedding size: pass embedding_dim=... or an encoder with "
                    ".out_features (every tlearn.backbones model has one)"
                )
            self.fce = FullContextEmbedding(dim, checks.positive_int("fce_steps", fce_steps))
        else:
            self.fce = None
        self.log_scale = nn.Parameter(torch.tensor(math.log(scale)))
        self.config.update(fce=bool(fce), fce_steps=fce_steps, scale=scale, embedding_dim=embedding_dim)

    def attention(self, support: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Attention weights ``[..., Q, S]`` of each query over the support embeddings; every row sums to 1."""
        if self.fce is not None:
            support = self.fce.support(support)  # g(x_i, S)
            query = self.fce.query(query, support)  # f(x, S): the query sees the support set too
        return torch.softmax(self.log_scale.exp() * cosine_similarity_matrix(query, support), dim=-1)  # a(x, x_i)

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        probs = self.attention(support, query) @ one_hot(support_labels, n_way)  # y = sum_i a(x, x_i) y_i
        return probs.clamp_min(1e-12).log()
