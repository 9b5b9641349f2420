r"""What every few-shot model shares: distances, class means, the episode interface, and the pixel baseline.

A few-shot model is an encoder :math:`f_\theta` plus an *episode head*: given the embeddings of a support
set :math:`S = \{(x_i, y_i)\}` with labels in :math:`0..N-1` and of a query set, the head returns logits
``[n_query, N]``. ``model(support, support_labels, query)`` checks the episode, embeds support and query in
one pass and applies the head; :meth:`FewShotModel.logits_from_embeddings` is the head alone, so an
evaluation can embed a test set once and score hundreds of episodes from the cached embeddings.

The math here (:func:`squared_euclidean`, :func:`class_means`, the heads) checks nothing: the episode is
checked once where it enters (``model(...)``, :func:`tlearn.fewshot.classify`, the samplers).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def squared_euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    r"""All pairwise squared Euclidean distances :math:`\lVert a_i - b_j \rVert^2`, ``[..., A, D] x [..., B, D]
    -> [..., A, B]`` (leading dimensions, e.g. a batch of episodes, broadcast).

    Expanded as :math:`\lVert a\rVert^2 - 2\,a\cdot b + \lVert b\rVert^2`, so memory grows with
    :math:`A \times B` and not :math:`A \times B \times D` (pixel space has :math:`D = 784`); the clamp
    removes the tiny negatives that rounding leaves when two points nearly coincide.
    """
    cross = a @ b.transpose(-1, -2)
    return (a.pow(2).sum(-1)[..., :, None] - 2 * cross + b.pow(2).sum(-1)[..., None, :]).clamp_min(0)


def cosine_similarity_matrix(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    r"""All pairwise cosine similarities :math:`\frac{a_i \cdot b_j}{\lVert a_i\rVert \lVert b_j\rVert}`,
    ``[..., A, D] x [..., B, D] -> [..., A, B]``."""
    return F.normalize(a, dim=-1, eps=eps) @ F.normalize(b, dim=-1, eps=eps).transpose(-1, -2)


def one_hot(labels: torch.Tensor, n_way: int) -> torch.Tensor:
    return F.one_hot(labels, n_way).to(torch.float32)


def class_means(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int | None = None) -> torch.Tensor:
    r"""Prototypes :math:`c_k = \frac{1}{|S_k|} \sum_{i: y_i = k} f(x_i)`, ``[..., S, D] -> [..., n_way, D]``.

    Written as a matrix product with the (column-normalised) one-hot label matrix, so the support set
    may come in any order and classes may have different numbers of shots. Every class must have a support
    example (``model(...)`` checks that; a class without one would divide by zero).
    """
    n_way = int(labels.max()) + 1 if n_way is None else n_way
    onehot = one_hot(labels, n_way).to(embeddings.dtype)  # [S, N]
    return (onehot / onehot.sum(0)).T @ embeddings  # c_k = (1/|S_k|) sum_{y_i = k} f(x_i)


def per_class_max(scores: torch.Tensor, support_labels: torch.Tensor, n_way: int) -> torch.Tensor:
    """``[..., Q, S]`` scores against support examples -> ``[..., Q, N]``: each class's best support example."""
    index = support_labels.expand(scores.shape)
    out = torch.full((*scores.shape[:-1], n_way), float("-inf"), dtype=scores.dtype, device=scores.device)
    return out.scatter_reduce(-1, index, scores, reduce="amax", include_self=False)


def check_episode(support, support_labels, query) -> int:
    """Check one episode's tensors where they enter; returns its number of ways."""
    for name, value in (("support", support), ("support_labels", support_labels), ("query", query)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if support_labels.dim() != 1 or support_labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(
            f"support_labels must be a 1-D integer tensor of class ids 0..N-1, got shape "
            f"{tuple(support_labels.shape)} and dtype {support_labels.dtype}"
        )
    if len(support_labels) != len(support):
        raise ValueError(
            f"support has {len(support)} examples but support_labels has {len(support_labels)}; "
            "give one label per support example"
        )
    if len(support) == 0 or len(query) == 0:
        raise ValueError(
            f"an episode needs support and query examples, got {len(support)} support and {len(query)} query"
        )
    if support.shape[1:] != query.shape[1:]:
        raise ValueError(
            f"support examples have shape {tuple(support.shape[1:])} but queries have "
            f"{tuple(query.shape[1:])}; both must come from the same kind of input"
        )
    if int(support_labels.min()) < 0:
        raise ValueError(f"support_labels must be class ids 0..N-1, got a minimum of {int(support_labels.min())}")
    n_way = int(support_labels.max()) + 1
    if len(torch.unique(support_labels)) != n_way:
        raise ValueError(
            f"support_labels must use every class id 0..{n_way - 1} (relabel the episode's classes "
            f"to 0..N-1), got {sorted(torch.unique(support_labels).tolist())}"
        )
    return n_way


def check_model(model, allowed=None) -> None:
    allowed = allowed or (FewShotModel,)
    if not isinstance(model, allowed):
        names = " or ".join(c.__name__ for c in allowed)
        raise TypeError(f"model must be a {names} (see tlearn.fewshot.make_model), got {type(model).__name__}")


class FewShotModel(nn.Module):
    """An encoder plus an episode head.

    ``forward(support, support_labels, query)`` -> logits ``[n_query, n_way]`` (larger is more likely).
    Subclasses define :meth:`logits_from_embeddings`; :meth:`embed` is the encoder, applied per image, so
    embeddings of a whole test set can be computed once and reused across episodes.
    """

    method = "base"

    def __init__(self, encoder: nn.Module):
        super().__init__()
        if not isinstance(encoder, nn.Module):
            raise TypeError(
                f"encoder must be a torch.nn.Module (e.g. tlearn.backbones.Conv4()), got {type(encoder).__name__}"
            )
        self.encoder = encoder
        self.config: dict = {"method": self.method, "encoder": None}

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Per-image embeddings ``[B, D]``."""
        return self.encoder(x).flatten(1)

    def logits_from_embeddings(
        self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor
    ) -> torch.Tensor:  # pragma: no cover - abstract
        """Support embeddings ``[..., S, D]`` with labels ``[S]`` in ``0..N-1`` and query embeddings
        ``[..., Q, D]`` -> logits ``[..., Q, N]``. Leading dimensions are a batch of episodes that share
        one label layout (the sampler's class-major order), which is how evaluation scores hundreds of
        episodes at once."""
        raise NotImplementedError

    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor):
        """Logits of an episode, unchecked (the training step's path)."""
        # one encoder pass over support and query together: batch-norm statistics in training mode
        # then come from the whole episode, as in the papers' implementations
        z = self.embed(torch.cat([support, query]))
        return self.logits_from_embeddings(z[: len(support)], support_labels, z[len(support) :])

    def forward(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        check_episode(support, support_labels, query)
        return self.episode_logits(support, support_labels, query)

    def episode_loss(self, support, support_labels, query, query_labels) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of the query predictions, and the logits (for an accuracy)."""
        logits = self.episode_logits(support, support_labels, query)
        return F.cross_entropy(logits, query_labels), logits


class PixelNearestNeighbour(FewShotModel):
    r"""The baseline that learns nothing: 1-nearest-neighbour in pixel space.

    Logit of class :math:`k`: :math:`-\min_{i: y_i = k} \lVert \hat x - x_i \rVert^2` over raw pixels.
    """

    method = "pixel-nn"

    def __init__(self):
        super().__init__(nn.Flatten())

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        return per_class_max(-squared_euclidean(query, support), support_labels, n_way)  # -min_i ||q - x_i||^2
