r"""Few-shot learning: recognise a new class from one or a few examples.

A few-shot task, an **episode**, gives a *support set* of :math:`K` labelled examples of each of
:math:`N` classes never seen in training (":math:`N`-way :math:`K`-shot") and asks for the labels of a
*query set*. Nothing is fine-tuned at test time: a network trained on *other* classes maps images to
embeddings :math:`f_\theta(x)`, and a query takes the label of the support examples it is closest to.
What transfers is the metric, not a classifier head. The three classic ways to learn it:

**Siamese networks** (Koch, Zemel and Salakhutdinov, *Siamese Neural Networks for One-shot Image
Recognition*, ICML Deep Learning Workshop 2015). Twin copies of one encoder look at two images and a
weighted L1 distance decides whether they show the same class:

.. math::  p(\text{same} \mid x_1, x_2) = \sigma\Big(\sum_j \alpha_j\, |f(x_1)_j - f(x_2)_j| + b\Big),

trained with binary cross-entropy on same/different pairs. One-shot classification then picks the class
of the most similar support image. The contrastive loss of Hadsell, Chopra and LeCun (CVPR 2006),
:math:`y\,d^2 + (1-y)\max(0, m - d)^2` with :math:`d = \lVert f(x_1) - f(x_2) \rVert`, is the option.
The network never sees an episode in training: verification is a proxy for the task.

**Matching networks** (Vinyals, Blundell, Lillicrap, Kavukcuoglu and Wierstra, *Matching Networks for
One Shot Learning*, NeurIPS 2016). Train on episodes shaped like the test ones, and predict with
attention over the support set:

.. math::  P(y \mid \hat x, S) = \sum_{i=1}^{|S|} a(\hat x, x_i)\, y_i, \qquad
           a(\hat x, x_i) = \frac{e^{c(f(\hat x), g(x_i))}}{\sum_j e^{c(f(\hat x), g(x_j))}}

with :math:`c` the cosine similarity and :math:`y_i` one-hot. *Full-context embeddings* (optional) let
the support set shape its own embeddings :math:`g` (a bidirectional LSTM over it) and the query's
:math:`f` (an LSTM that attends to the support set for a few steps).

**Prototypical networks** (Snell, Swersky and Zemel, *Prototypical Networks for Few-shot Learning*,
NeurIPS 2017). Summarise each class by the mean of its support embeddings, the *prototype*
:math:`c_k = \frac{1}{K}\sum_{(x_i, y_i = k)} f(x_i)`, and score a query by its negative squared
Euclidean distance to each prototype:

.. math::  \text{logit}_k(\hat x) = -\lVert f(\hat x) - c_k \rVert^2 .

With squared Euclidean distance this is a linear classifier in embedding space (Bregman divergences make
the class mean the right summary); with cosine similarity the embedding's length is thrown away, so a
scale (inverse temperature) has to be learned for the softmax to become confident.

**The protocol** (as in those papers): train on the *background* alphabets, test on the *evaluation*
alphabets, report the mean accuracy over at least 600 fixed test episodes with a 95% confidence interval
:math:`\bar a \pm 1.96\, s / \sqrt{n}` (:math:`s` the sample standard deviation of the per-episode
accuracies, :math:`n` the number of episodes). :class:`PixelNearestNeighbour` is the baseline that
learns nothing: one-nearest-neighbour in pixel space.

All models here share one interface: ``model(support, support_labels, query)`` returns logits
``[n_query, n_way]`` for an episode, in training and in evaluation mode alike; ``model.embed(x)`` is the
per-image encoder and ``model.logits_from_embeddings(...)`` the episode head, so an evaluation can embed a
test set once and score hundreds of episodes from the cached embeddings. Everything works on any labelled
image set the samplers of :mod:`tlearn.samplers` accept: Glyphs, torchvision's Omniglot, an
``ImageFolder`` of your own images (see :func:`image_folder` and :func:`load_data`).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "squared_euclidean",
    "cosine_similarity_matrix",
    "class_means",
    "FewShotModel",
    "PrototypicalNet",
    "MatchingNet",
    "SiameseNet",
    "PixelNearestNeighbour",
    "make_model",
    "METHODS",
    "contrastive_loss",
    "train_episodes",
    "train_pairs",
    "train",
    "embed_dataset",
    "confidence_interval_95",
    "EpisodeResult",
    "evaluate_episodes",
    "classify",
    "parse_strokes",
    "classify_drawing",
    "rotate_classes",
    "image_folder",
    "load_data",
    "has_splits",
    "save_model",
    "load_model",
]


# ------------------------------------------------------------------------------------------------------
# Distances and prototypes
# ------------------------------------------------------------------------------------------------------
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


def _one_hot(labels: torch.Tensor, n_way: int) -> torch.Tensor:
    return F.one_hot(labels, n_way).to(torch.float32)


def class_means(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int | None = None) -> torch.Tensor:
    r"""Prototypes :math:`c_k = \frac{1}{|S_k|} \sum_{i: y_i = k} f(x_i)`, ``[..., S, D] -> [..., n_way, D]``.

    Written as a matrix product with the (column-normalised) one-hot label matrix, so the support set
    may come in any order and classes may have different numbers of shots.
    """
    n_way = int(labels.max()) + 1 if n_way is None else n_way
    onehot = _one_hot(labels, n_way).to(embeddings.dtype)  # [S, N]
    counts = onehot.sum(0)
    if bool((counts == 0).any()):
        missing = torch.nonzero(counts == 0).flatten().tolist()
        raise ValueError(f"support_labels has no example of class(es) {missing}; every one of the "
                         f"{n_way} ways needs at least one support example")
    return (onehot / counts).T @ embeddings


def _check_episode(support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor) -> int:
    """Validate one episode's tensors and return its number of ways."""
    for name, value in (("support", support), ("support_labels", support_labels), ("query", query)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if support_labels.dim() != 1 or support_labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"support_labels must be a 1-D integer tensor of class ids 0..N-1, got shape "
                         f"{tuple(support_labels.shape)} and dtype {support_labels.dtype}")
    if len(support_labels) != len(support):
        raise ValueError(f"support has {len(support)} examples but support_labels has {len(support_labels)}; "
                         "give one label per support example")
    if len(support) == 0 or len(query) == 0:
        raise ValueError(f"an episode needs support and query examples, got {len(support)} support and "
                         f"{len(query)} query")
    if support.shape[1:] != query.shape[1:]:
        raise ValueError(f"support examples have shape {tuple(support.shape[1:])} but queries have "
                         f"{tuple(query.shape[1:])}; both must come from the same kind of input")
    if int(support_labels.min()) < 0:
        raise ValueError(f"support_labels must be class ids 0..N-1, got a minimum of {int(support_labels.min())}")
    n_way = int(support_labels.max()) + 1
    if len(torch.unique(support_labels)) != n_way:
        raise ValueError(f"support_labels must use every class id 0..{n_way - 1} (relabel the episode's classes "
                         f"to 0..N-1), got {sorted(torch.unique(support_labels).tolist())}")
    return n_way


def _per_class_max(scores: torch.Tensor, support_labels: torch.Tensor, n_way: int) -> torch.Tensor:
    """``[..., Q, S]`` scores against support examples -> ``[..., Q, N]``: each class's best support example."""
    index = support_labels.expand(scores.shape)
    out = torch.full((*scores.shape[:-1], n_way), float("-inf"), dtype=scores.dtype, device=scores.device)
    return out.scatter_reduce(-1, index, scores, reduce="amax", include_self=False)


# ------------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------------
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
            raise TypeError(f"encoder must be a torch.nn.Module (e.g. tlearn.backbones.Conv4()), "
                            f"got {type(encoder).__name__}")
        self.encoder = encoder
        self.config: dict = {"method": self.method, "encoder": None}

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Per-image embeddings ``[B, D]``."""
        return self.encoder(x).flatten(1)

    def logits_from_embeddings(self, support: torch.Tensor, support_labels: torch.Tensor,
                               query: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """Support embeddings ``[..., S, D]`` with labels ``[S]`` in ``0..N-1`` and query embeddings
        ``[..., Q, D]`` -> logits ``[..., Q, N]``. Leading dimensions are a batch of episodes that share
        one label layout (the sampler's class-major order), which is how evaluation scores hundreds of
        episodes at once."""
        raise NotImplementedError

    def forward(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        _check_episode(support, support_labels, query)
        # one encoder pass over support and query together: batch-norm statistics in training mode
        # then come from the whole episode, as in the papers' implementations
        z = self.embed(torch.cat([support, query]))
        return self.logits_from_embeddings(z[: len(support)], support_labels, z[len(support):])

    def episode_loss(self, support, support_labels, query, query_labels) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-entropy of the query predictions, and the logits (for an accuracy)."""
        logits = self(support, support_labels, query)
        return F.cross_entropy(logits, query_labels), logits


class PrototypicalNet(FewShotModel):
    r"""Prototypical network (Snell et al. 2017): logits :math:`-\lVert f(\hat x) - c_k\rVert^2` to class means.

    ``distance="cosine"`` scores by :math:`s \cos(f(\hat x), c_k)` instead, with a learned scale
    :math:`s` (initialised at ``scale``): cosine similarities live in :math:`[-1, 1]`, and a softmax
    over numbers that close together cannot become confident without it.
    """

    method = "protonet"

    def __init__(self, encoder: nn.Module, distance: str = "euclidean", scale: float = 10.0):
        super().__init__(encoder)
        if distance not in ("euclidean", "cosine"):
            raise ValueError(f"distance must be 'euclidean' (squared, as in the paper) or 'cosine', got {distance!r}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0 (the cosine's inverse temperature), got {scale}")
        self.distance = distance
        self.log_scale = nn.Parameter(torch.tensor(math.log(scale)), requires_grad=distance == "cosine")
        self.config.update(distance=distance, scale=scale)

    def prototypes(self, support: torch.Tensor, support_labels: torch.Tensor) -> torch.Tensor:
        return class_means(support, support_labels)

    def logits_from_embeddings(self, support, support_labels, query):
        protos = self.prototypes(support, support_labels)
        if self.distance == "euclidean":
            return -squared_euclidean(query, protos)
        return self.log_scale.exp() * cosine_similarity_matrix(query, protos)


class _FullContextEmbedding(nn.Module):
    r"""Full-context embeddings of Matching networks (Vinyals et al. 2016, appendix).

    Support: :math:`g(x_i, S) = g'(x_i) + \overrightarrow{h}_i + \overleftarrow{h}_i`, a bidirectional
    LSTM read over the support set. Query: an LSTM run for ``steps`` steps whose state attends to the
    support set, :math:`h_k = \hat h_k + f'(\hat x)` with :math:`\hat h_k, c_k = \mathrm{LSTM}(f'(\hat x),
    h_{k-1} + r_{k-1}, c_{k-1})` and readout :math:`r_k = \sum_i \mathrm{softmax}(h_k^\top g(x_i))\, g(x_i)`
    (the paper concatenates :math:`[h, r]`; adding them, a common simplification, keeps one state size).
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
        return (x + forward + backward).reshape(s.shape)

    def query(self, q: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``[..., Q, D]`` query embeddings attending to the full-context support embeddings ``g``."""
        flat = q.reshape(-1, q.shape[-1])
        h_hat, c = torch.zeros_like(flat), torch.zeros_like(flat)
        for _ in range(self.steps):
            h = (h_hat + flat).reshape(q.shape)
            readout = torch.softmax(h @ g.transpose(-1, -2), dim=-1) @ g
            h_hat, c = self.query_cell(flat, ((h + readout).reshape(flat.shape), c))
        return (h_hat + flat).reshape(q.shape)


class MatchingNet(FewShotModel):
    r"""Matching network (Vinyals et al. 2016): softmax attention over cosine similarities to the support set.

    Logits are :math:`\log P(y = k \mid \hat x, S) = \log \sum_i a(\hat x, x_i)\,[y_i = k]`, so cross-entropy
    on them is the paper's training objective and their softmax gives back :math:`P` itself. The
    attention is :math:`\mathrm{softmax}_i(s \cos(f(\hat x), g(x_i)))` with a learned inverse temperature
    :math:`s` (initialised at ``scale``; the paper's plain cosine is ``scale=1``, whose attention over
    similarities in :math:`[-1, 1]` can never be sharper than a ratio of :math:`e^2` between two examples).
    ``fce=True`` adds full-context embeddings (:class:`_FullContextEmbedding`, ``fce_steps`` steps).
    """

    method = "matching"

    def __init__(self, encoder: nn.Module, fce: bool = False, fce_steps: int = 3, scale: float = 10.0,
                 embedding_dim: int | None = None):
        super().__init__(encoder)
        if not scale > 0:
            raise ValueError(f"scale must be > 0 (the attention's inverse temperature), got {scale}")
        if fce:
            dim = embedding_dim or getattr(encoder, "out_features", None)
            if not isinstance(dim, int) or dim < 1:
                raise ValueError("fce=True needs the embedding size: pass embedding_dim=... or an encoder with "
                                 ".out_features (every tlearn.backbones model has one)")
            if not isinstance(fce_steps, int) or fce_steps < 1:
                raise ValueError(f"fce_steps must be a positive integer, got {fce_steps!r}")
            self.fce = _FullContextEmbedding(dim, fce_steps)
        else:
            self.fce = None
        self.log_scale = nn.Parameter(torch.tensor(math.log(scale)))
        self.config.update(fce=bool(fce), fce_steps=fce_steps, scale=scale,
                           embedding_dim=embedding_dim)

    def attention(self, support: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Attention weights ``[..., Q, S]`` of each query over the support embeddings; every row sums to 1."""
        if self.fce is not None:
            support = self.fce.support(support)
            query = self.fce.query(query, support)
        return torch.softmax(self.log_scale.exp() * cosine_similarity_matrix(query, support), dim=-1)

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        probs = self.attention(support, query) @ _one_hot(support_labels, n_way)  # [Q, N]
        return probs.clamp_min(1e-12).log()


def contrastive_loss(distance: torch.Tensor, same: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    r"""Contrastive loss (Hadsell, Chopra and LeCun 2006): :math:`y d^2 + (1 - y) \max(0, m - d)^2`, averaged.

    Pulls same-class pairs together and pushes different-class pairs apart until they are ``margin`` away.
    """
    same = same.to(distance.dtype)
    return (same * distance.pow(2) + (1 - same) * (margin - distance).clamp_min(0).pow(2)).mean()


class SiameseNet(FewShotModel):
    r"""Siamese network (Koch et al. 2015): twin encoder, weighted L1 distance, sigmoid.

    :meth:`pair_scores` returns the logit of "same class". With ``loss="bce"`` (the paper's) it is

    .. math::  b - \sum_j \alpha_j\, |z_{1j} - z_{2j}|, \qquad \alpha_j = \mathrm{softplus}(w_j) \ge 0,

    trained with binary cross-entropy. Two choices differ from the paper, both to make short runs learn:
    the embeddings :math:`z = f(x)/\lVert f(x)\rVert` are L2-normalised (so the distance has a fixed scale),
    and the weights are kept non-negative (so the score is a weighted L1 *distance*, and a larger
    difference never counts as evidence for "same"; with free signs, as in the paper, a short run learns
    much more slowly). ``loss="contrastive"`` scores by the negative Euclidean distance of the normalised
    embeddings and trains with :func:`contrastive_loss`. In an episode each class scores as its most
    similar support example, so one-shot classification picks the class of the most similar support image,
    as in the paper.
    """

    method = "siamese"

    def __init__(self, encoder: nn.Module, loss: str = "bce", margin: float = 1.0,
                 embedding_dim: int | None = None):
        super().__init__(encoder)
        if loss not in ("bce", "contrastive"):
            raise ValueError(f"loss must be 'bce' (weighted L1 + sigmoid, as in the paper) or 'contrastive', "
                             f"got {loss!r}")
        if not margin > 0:
            raise ValueError(f"margin must be > 0, got {margin}")
        self.loss = loss
        self.margin = margin
        dim = embedding_dim or getattr(encoder, "out_features", None)
        if loss == "bce":
            if not isinstance(dim, int) or dim < 1:
                raise ValueError("loss='bce' needs the embedding size for the weighted L1 layer: pass "
                                 "embedding_dim=... or an encoder with .out_features")
            # softplus(2) ~ 2.1 per dimension and a bias of 3: at the start, identical images score
            # p = 0.95 and images whose unit embeddings differ in every coordinate score close to 0
            self.l1_weight = nn.Parameter(torch.full((dim,), 2.0))
            self.bias = nn.Parameter(torch.tensor(3.0))
        self.config.update(loss=loss, margin=margin, embedding_dim=embedding_dim)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.encoder(x).flatten(1), dim=-1)

    def l1_weights(self) -> torch.Tensor:
        r"""The non-negative weights :math:`\alpha_j` of the L1 distance (``loss="bce"``)."""
        return F.softplus(self.l1_weight)

    def pair_scores(self, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """Similarity of aligned embedding pairs ``[B, D], [B, D] -> [B]``: larger means same class."""
        if self.loss == "bce":
            return self.bias - ((z1 - z2).abs() * self.l1_weights()).sum(-1)
        return -(z1 - z2).pow(2).sum(-1).clamp_min(1e-12).sqrt()

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

    def pair_loss(self, x1: torch.Tensor, x2: torch.Tensor, same: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss on a batch of pairs, and the scores (a pair is predicted "same" when its score > threshold)."""
        z = self.embed(torch.cat([x1, x2]))
        scores = self.pair_scores(z[: len(x1)], z[len(x1):])
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(scores, same.to(scores.dtype)), scores
        return contrastive_loss(-scores, same, self.margin), scores

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        return _per_class_max(self.all_pair_scores(query, support), support_labels, n_way)


class PixelNearestNeighbour(FewShotModel):
    r"""The baseline that learns nothing: 1-nearest-neighbour in pixel space.

    Logit of class :math:`k`: :math:`-\min_{i: y_i = k} \lVert \hat x - x_i \rVert^2` over raw pixels.
    """

    method = "pixel-nn"

    def __init__(self):
        super().__init__(nn.Flatten())

    def logits_from_embeddings(self, support, support_labels, query):
        n_way = int(support_labels.max()) + 1
        return _per_class_max(-squared_euclidean(query, support), support_labels, n_way)


METHODS = {"protonet": PrototypicalNet, "matching": MatchingNet, "siamese": SiameseNet,
           "pixel-nn": PixelNearestNeighbour}


def _build_encoder(spec: dict) -> nn.Module:
    from . import backbones

    spec = dict(spec)
    name = spec.pop("name")
    if name not in ("Conv4", "ResNet"):
        raise ValueError(f"unknown encoder {name!r} in the model's config; expected 'Conv4' or 'ResNet'")
    if "widths" in spec:
        spec["widths"] = tuple(spec["widths"])
    return getattr(backbones, name)(**spec)


def make_model(method: str = "protonet", *, in_channels: int = 1, hidden: int = 64, image_size: int = 28,
               seed: int | None = None, **options) -> FewShotModel:
    """A few-shot model on a :class:`tlearn.backbones.Conv4` encoder, with a config that :func:`load_model`
    can rebuild it from.

    ``method``: ``"protonet"`` (options ``distance``, ``scale``), ``"matching"`` (``fce``, ``fce_steps``,
    ``scale``), ``"siamese"`` (``loss``, ``margin``) or ``"pixel-nn"`` (no encoder, no options).
    ``seed`` makes the initial weights reproducible (without touching the global random state).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if method == "pixel-nn":
        if options:
            raise ValueError(f"pixel-nn takes no options, got {sorted(options)}")
        return PixelNearestNeighbour()
    for name, value in (("in_channels", in_channels), ("hidden", hidden), ("image_size", image_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    spec = {"name": "Conv4", "in_channels": in_channels, "hidden": hidden, "image_size": image_size}
    with torch.random.fork_rng(enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        model = METHODS[method](_build_encoder(spec), **options)
    model.config["encoder"] = spec
    return model


# ------------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------------
def _device(device):
    from .train import get_device

    return get_device(device)


def _check_model(model, allowed=(FewShotModel,)):
    if not isinstance(model, allowed):
        names = " or ".join(c.__name__ for c in allowed)
        raise TypeError(f"model must be a {names} (see tlearn.fewshot.make_model), got {type(model).__name__}")


def _check_positive_int(**values):
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _history(**columns):
    from .train import History

    history = History()
    for key, value in columns.items():
        history[key] = value
    return history


def _progress(iterable, progress: bool, desc: str, total: int):
    from .train import _progress as progress_bar  # one progress bar style (and off-switch) for the package

    return progress_bar(iterable, progress, desc, total)


def _schedule(optimizer, n_steps: int, lr_schedule):
    r"""The papers halve the learning rate every few thousand episodes; for long runs a half cosine,
    :math:`\eta_t = \eta_0 (1 + \cos(\pi t / T)) / 2`, does the same job smoothly. Runs of a few hundred
    steps (the notebook's) end better at a constant rate, the default."""
    if lr_schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=n_steps)
    if lr_schedule is None:
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    raise ValueError(f"lr_schedule must be 'cosine' or None (constant), got {lr_schedule!r}")


def _start_training(model, lr: float, lr_schedule, n_steps: int, seed: int, device):
    """What both training loops begin with: a checked rate, the seed, the device, train mode, Adam and its
    schedule. Returns ``(device, optimizer, schedule)``."""
    from .train import seed_everything

    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    seed_everything(seed)
    dev = _device(device)
    model.to(dev).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return dev, optimizer, _schedule(optimizer, n_steps, lr_schedule)


def _step(optimizer, schedule, loss: torch.Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    schedule.step()


def train_episodes(model: FewShotModel, dataset, *, n_way: int = 20, k_shot: int = 1, q_query: int = 5,
                   n_episodes: int = 500, lr: float = 1e-3, lr_schedule: str | None = None,
                   within_groups: bool = False, seed: int = 0, device="auto", progress: bool = True,
                   desc: str | None = None):
    """Episodic training (Matching and Prototypical networks): each step is one ``n_way``-way ``k_shot``-shot
    episode drawn from ``dataset`` by :class:`tlearn.samplers.EpisodeSampler`, with the cross-entropy of
    its ``q_query`` queries per class as the loss. Snell et al. found training with more ways than the test
    uses (e.g. 20 or 60 for a 5-way test) helps. Adam with a constant learning rate ``lr``, or one annealed
    to zero along a half cosine with ``lr_schedule="cosine"``.

    Returns a :class:`tlearn.train.History` with per-episode ``loss`` and ``train_acc`` and the total
    ``seconds``.
    """
    from .samplers import EpisodeSampler

    _check_model(model, (PrototypicalNet, MatchingNet, SiameseNet))
    _check_positive_int(n_way=n_way, k_shot=k_shot, q_query=q_query, n_episodes=n_episodes)
    dev, optimizer, schedule = _start_training(model, lr, lr_schedule, n_episodes, seed, device)
    sampler = EpisodeSampler(dataset, n_way, k_shot, q_query, n_episodes=n_episodes, seed=seed,
                             within_groups=within_groups)
    losses, accs, start = [], [], time.perf_counter()
    for episode in _progress(sampler, progress, desc or f"{type(model).__name__} episodes", n_episodes):
        loss, logits = model.episode_loss(episode.support.to(dev), episode.support_labels.to(dev),
                                          episode.query.to(dev), episode.query_labels.to(dev))
        _step(optimizer, schedule, loss)
        losses.append(loss.item())
        accs.append((logits.argmax(1).cpu() == episode.query_labels).float().mean().item())
    model.eval()
    return _history(loss=losses, train_acc=accs, seconds=[time.perf_counter() - start])


def train_pairs(model: SiameseNet, dataset, *, batch_size: int = 64, n_batches: int = 500, lr: float = 1e-3,
                lr_schedule: str | None = None, seed: int = 0, device="auto", progress: bool = True,
                desc: str | None = None):
    """Verification training (Siamese networks): each step is a batch of ``batch_size`` image pairs from
    :class:`tlearn.samplers.PairSampler`, half of them same-class, with binary cross-entropy (or the
    contrastive loss) on "same or not". Adam with learning rate ``lr`` and ``lr_schedule`` as in
    :func:`train_episodes`.

    Returns a :class:`tlearn.train.History` with per-batch ``loss`` and ``train_acc`` (pair verification
    accuracy) and the total ``seconds``.
    """
    from .samplers import PairSampler

    _check_model(model, (SiameseNet,))
    _check_positive_int(batch_size=batch_size, n_batches=n_batches)
    dev, optimizer, schedule = _start_training(model, lr, lr_schedule, n_batches, seed, device)
    threshold = 0.0 if model.loss == "bce" else -model.margin / 2
    losses, accs, start = [], [], time.perf_counter()
    pairs = PairSampler(dataset, batch_size=batch_size, n_batches=n_batches, seed=seed)
    for x1, x2, same in _progress(pairs, progress, desc or "SiameseNet pairs", n_batches):
        x1, x2, same = x1.to(dev), x2.to(dev), same.to(dev)
        loss, scores = model.pair_loss(x1, x2, same)
        _step(optimizer, schedule, loss)
        losses.append(loss.item())
        accs.append(((scores > threshold).float() == same).float().mean().item())
    model.eval()
    return _history(loss=losses, train_acc=accs, seconds=[time.perf_counter() - start])


def train(model: FewShotModel, dataset, *, steps: int = 500, n_way: int = 20, k_shot: int = 1, q_query: int = 5,
          lr: float = 1e-3, lr_schedule: str | None = None, seed: int = 0, device="auto", progress: bool = True,
          within_groups: bool = False):
    """Train any few-shot model the way its paper does, ``steps`` optimiser steps on the same image budget.

    Matching and Prototypical networks train on episodes (:func:`train_episodes`); a Siamese network
    trains on pairs (:func:`train_pairs`), with as many images per batch as one episode has
    (``n_way * (k_shot + q_query)``, i.e. half as many pairs, rounded down to an even number). :class:`PixelNearestNeighbour` has nothing
    to train and returns an empty history.
    """
    _check_model(model)
    _check_positive_int(steps=steps, n_way=n_way, k_shot=k_shot, q_query=q_query)
    if isinstance(model, PixelNearestNeighbour):
        return _history(loss=[], train_acc=[], seconds=[])
    if isinstance(model, SiameseNet):
        pairs = max(2, n_way * (k_shot + q_query) // 4 * 2)  # even: half same-class, half different
        return train_pairs(model, dataset, batch_size=pairs, n_batches=steps, lr=lr, lr_schedule=lr_schedule,
                           seed=seed, device=device, progress=progress)
    return train_episodes(model, dataset, n_way=n_way, k_shot=k_shot, q_query=q_query, n_episodes=steps, lr=lr,
                          lr_schedule=lr_schedule, within_groups=within_groups, seed=seed, device=device,
                          progress=progress)


# ------------------------------------------------------------------------------------------------------
# Evaluation
# ------------------------------------------------------------------------------------------------------
def _images_of(dataset):
    """The image tensor of an in-memory set (ImageSet and anything with a 4-D ``.images``), else None."""
    images = getattr(dataset, "images", None)
    return images if isinstance(images, torch.Tensor) and images.dim() == 4 else None


@torch.no_grad()
def embed_dataset(model: FewShotModel, dataset, batch_size: int = 256, device="auto") -> torch.Tensor:
    """Embeddings ``[len(dataset), D]`` of every image, in evaluation mode, on the CPU.

    In evaluation mode an image's embedding does not depend on the rest of its batch, so these are exactly
    the embeddings an episode would compute; embedding a test set once makes 600 episodes cheap.
    """
    _check_model(model)
    _check_positive_int(batch_size=batch_size)
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    dev = _device(device)
    was_training = model.training
    model.to(dev).eval()
    images = _images_of(dataset)
    if images is not None:
        batches = (images[i:i + batch_size] for i in range(0, len(images), batch_size))
    else:
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
        batches = (x for x, _ in loader)
    out = torch.cat([model.embed(x.to(dev)).float().cpu() for x in batches])
    model.train(was_training)
    return out


def confidence_interval_95(accuracies) -> tuple[float, float]:
    r"""Mean and half-width of the 95% confidence interval of a mean accuracy: :math:`\bar a \pm 1.96\, s/\sqrt{n}`.

    :math:`s` is the sample standard deviation (:math:`n - 1` in the denominator) of the ``n`` per-episode
    accuracies; 1.96 is the 97.5% quantile of the standard normal, which the central limit theorem makes
    appropriate for hundreds of independent episodes.
    """
    acc = torch.as_tensor(accuracies, dtype=torch.float64).flatten()
    if len(acc) < 2:
        raise ValueError(f"accuracies needs at least 2 episodes for an interval, got {len(acc)}")
    if not bool(torch.isfinite(acc).all()):
        raise ValueError("accuracies contains NaN or infinite values")
    return float(acc.mean()), float(1.96 * acc.std(unbiased=True) / math.sqrt(len(acc)))


@dataclass
class EpisodeResult:
    """Mean accuracy over fixed test episodes, its 95% interval, and the protocol that produced it."""

    mean: float
    ci95: float
    accuracies: torch.Tensor = field(repr=False)
    n_way: int
    k_shot: int
    q_query: int
    n_episodes: int
    within_groups: bool = False

    @property
    def protocol(self) -> str:
        where = "within one alphabet (group)" if self.within_groups else "classes drawn across alphabets"
        return (f"{self.n_way}-way {self.k_shot}-shot, {self.q_query} queries per class, "
                f"{self.n_episodes} fixed episodes, {where}")

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} ± {100 * self.ci95:.1f} %"


def _override_distance(model, distance):
    """Switch a Prototypical network's distance for one evaluation; returns the one to restore (or None)."""
    if distance is None:
        return None
    if not isinstance(model, PrototypicalNet):
        raise ValueError(f"distance can only be overridden for a PrototypicalNet, got {type(model).__name__}; "
                         "pass distance=None")
    if distance not in ("euclidean", "cosine"):
        raise ValueError(f"distance must be 'euclidean' or 'cosine', got {distance!r}")
    restore, model.distance = model.distance, distance
    return restore


@torch.no_grad()
def evaluate_episodes(model: FewShotModel, dataset, *, n_way: int = 5, k_shot: int = 1, q_query: int = 15,
                      n_episodes: int = 600, seed: int = 0, within_groups: bool = False, groups=None,
                      embeddings: torch.Tensor | None = None, episodes=None, device="auto",
                      distance: str | None = None, batch_size: int = 256) -> EpisodeResult:
    """Accuracy of ``model`` on ``n_episodes`` fixed ``n_way``-way ``k_shot``-shot episodes of ``dataset``.

    The episodes come from :class:`tlearn.samplers.EpisodeSampler` with ``fixed=True``: one ``seed``
    gives the same episodes for every model, so methods are compared on identical tasks. The model
    embeds the dataset once (or takes precomputed ``embeddings`` from :func:`embed_dataset`) in evaluation
    mode. ``within_groups=True`` draws every episode's classes from one group (one alphabet): the harder
    protocol (``groups`` gives each class its group if the dataset has no ``.groups``). ``distance``
    overrides a Prototypical network's distance at test time (to ask how a model trained with one metric
    does under the other). ``episodes`` takes a fixed :class:`~tlearn.samplers.EpisodeSampler` of
    ``dataset`` instead of drawing one (its sizes then replace ``n_way`` ... ``within_groups``), so several
    models are scored on one draw without drawing it again. Returns an :class:`EpisodeResult`.
    """
    from .samplers import EpisodeSampler

    _check_model(model)
    if episodes is not None:
        if not isinstance(episodes, EpisodeSampler) or not episodes.fixed:
            raise TypeError(f"episodes must be a tlearn.samplers.EpisodeSampler(..., fixed=True), "
                            f"got {episodes!r}")
        if len(episodes.dataset) != len(dataset):
            raise ValueError(f"episodes were drawn from a dataset of {len(episodes.dataset)} items, but dataset has "
                             f"{len(dataset)}; draw them from the same dataset")
        n_way, k_shot, q_query = episodes.n_way, episodes.k_shot, episodes.q_query
        n_episodes, within_groups = episodes.n_episodes, episodes.within_groups
    _check_positive_int(n_way=n_way, k_shot=k_shot, q_query=q_query, n_episodes=n_episodes)
    if n_episodes < 2:
        raise ValueError(f"n_episodes must be >= 2 for an interval (600 is the standard), got {n_episodes}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    if embeddings is None:
        embeddings = embed_dataset(model, dataset, batch_size=batch_size, device=device)
    elif not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 2 or len(embeddings) != len(dataset):
        shape = tuple(embeddings.shape) if isinstance(embeddings, torch.Tensor) else type(embeddings).__name__
        raise ValueError(f"embeddings must be [len(dataset)={len(dataset)}, D] from embed_dataset(model, dataset), "
                         f"got {shape}")
    restore = _override_distance(model, distance)
    sampler = episodes if episodes is not None else EpisodeSampler(
        dataset, n_way, k_shot, q_query, n_episodes=n_episodes, seed=seed, fixed=True, within_groups=within_groups,
        groups=groups)
    # sampler.indices() draws the episodes without loading a single image: cached embeddings are gathered
    # by those indices instead, and a chunk of episodes is scored in one batched call
    _, support_index, query_index = (torch.stack(t) for t in zip(*sampler.indices()))
    was_training = model.training
    model.eval()
    head_device = next(model.parameters(), torch.empty(0)).device
    embeddings = embeddings.to(head_device)
    support_labels = torch.arange(n_way, device=head_device).repeat_interleave(k_shot)  # class-major order
    query_labels = torch.arange(n_way, device=head_device).repeat_interleave(q_query)
    # keep the largest intermediates near 64 MB: the [chunk, Q + S, D] gathered embeddings and the
    # [chunk, Q, S] scores against every support example
    n_query, n_support = n_way * q_query, n_way * k_shot
    per_episode = (n_query + n_support) * embeddings.shape[1] + n_query * n_support
    chunk = max(1, (1 << 24) // per_episode)
    accs = []
    try:
        for start in range(0, n_episodes, chunk):
            logits = model.logits_from_embeddings(embeddings[support_index[start:start + chunk].to(head_device)],
                                                  support_labels,
                                                  embeddings[query_index[start:start + chunk].to(head_device)])
            accs.append((logits.argmax(-1) == query_labels).double().mean(-1).cpu())
    finally:
        model.train(was_training)
        if restore is not None:
            model.distance = restore
    accs = torch.cat(accs)
    mean, ci95 = confidence_interval_95(accs)
    return EpisodeResult(mean, ci95, accs, n_way, k_shot, q_query, n_episodes, within_groups)


@torch.no_grad()
def classify(model: FewShotModel, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
             device="auto", distance: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted class (``[Q]``, ids of the support labels) and class scores ``[Q, N]`` for queries, in
    evaluation mode. Scores are probabilities (a softmax over the classes), except for a Siamese network
    trained with BCE, whose scores are each class's "same" probability. ``distance`` as in
    :func:`evaluate_episodes`. The pure function behind the notebook's panels and "draw your own"."""
    _check_model(model)
    _check_episode(support, support_labels, query)
    dev = _device(device)
    was_training = model.training
    restore = _override_distance(model, distance)
    model.to(dev).eval()
    try:
        logits = model(support.to(dev), support_labels.to(dev), query.to(dev)).cpu()
    finally:
        model.train(was_training)
        if restore is not None:
            model.distance = restore
    if isinstance(model, SiameseNet) and model.loss == "bce":
        scores = torch.sigmoid(logits)
    else:
        scores = torch.softmax(logits, dim=1)
    return logits.argmax(1), scores


def parse_strokes(text: str) -> list:
    """Strokes typed as text, e.g. ``"[[(-0.5, 0.6), (0.5, 0.6)], [(0, 0.6), (0, -0.6)]]"``: a list of
    strokes, each a list of ``(x, y)`` points in ``[-1, 1]`` (y up). Raises ``ValueError`` saying what is
    wrong."""
    import ast

    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    try:
        strokes = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError) as err:
        raise ValueError(f"could not read the strokes ({err}); write a list of strokes, each a list of (x, y) "
                         "points, e.g. [[(-0.5, 0.6), (0.5, 0.6)], [(0, 0.6), (0, -0.6)]]") from None
    if not isinstance(strokes, (list, tuple)) or not strokes:
        raise ValueError("the strokes must be a non-empty list of strokes, each a list of (x, y) points")
    for j, stroke in enumerate(strokes):
        if not isinstance(stroke, (list, tuple)) or not stroke or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
                for p in stroke):
            raise ValueError(f"stroke {j} must be a non-empty list of (x, y) number pairs, got {stroke!r}")
        if any(abs(v) > 1 for p in stroke for v in p):
            raise ValueError(f"stroke {j} has points outside the canvas; keep x and y in [-1, 1] (y up)")
    return [[tuple(map(float, p)) for p in stroke] for stroke in strokes]


def classify_drawing(model: FewShotModel, strokes, support: torch.Tensor, support_labels: torch.Tensor,
                     width: float = 1.8, device="auto") -> tuple[torch.Tensor, int, torch.Tensor]:
    """"Draw your own": render ``strokes`` (a list of strokes of ``(x, y)`` points, or text for
    :func:`parse_strokes`) with the Glyphs renderer at the support images' size, and classify the drawing
    against the support set. Returns the image ``[1, H, W]``, the predicted class and the class scores."""
    from .data.glyphs import render_points

    if isinstance(strokes, str):
        strokes = parse_strokes(strokes)
    if not isinstance(support, torch.Tensor) or support.dim() != 4:
        raise ValueError("support must be images [S, C, H, W], e.g. episode.support")
    if not width > 0:
        raise ValueError(f"width must be > 0 (stroke width in pixels at 28x28), got {width}")
    image = render_points(strokes, width=width, image_size=support.shape[-1])
    image = image.expand(support.shape[1], -1, -1)  # as many channels as the support images
    prediction, scores = classify(model, support, support_labels, image[None], device=device)
    return image, int(prediction[0]), scores[0]


# ------------------------------------------------------------------------------------------------------
# Data: rotations as new classes, ImageFolder, named datasets
# ------------------------------------------------------------------------------------------------------
class RotatedClasses(torch.utils.data.Dataset):
    """A lazily rotated copy of any labelled image dataset in which each rotation is a new class:
    item ``r * len(base) + i`` is image ``i`` rotated by ``angles[r]`` with label ``r * n_classes + y_i``."""

    def __init__(self, base, angles, labels: torch.Tensor):
        self.base, self.angles, self.base_labels = base, tuple(angles), labels
        self.n_base_classes = int(labels.max()) + 1
        self.targets = torch.cat([labels + r * self.n_base_classes for r in range(len(self.angles))])
        base_groups = getattr(base, "groups", None)
        self.groups = None if base_groups is None else torch.as_tensor(base_groups).repeat(len(self.angles))

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        r, j = divmod(int(i), len(self.base))
        image, _ = self.base[j]
        return torch.rot90(image, self.angles[r] // 90, dims=(-2, -1)), int(self.targets[i])


def rotate_classes(dataset, angles=(0, 90, 180, 270)):
    """Rotations as new classes, the augmentation of the Omniglot papers (Santoro et al. 2016, Vinyals et al.
    2016, Snell et al. 2017): a character rotated by 90 degrees is treated as a different character,
    multiplying the training classes by ``len(angles)``.

    An :class:`tlearn.data.ImageSet` comes back as an ``ImageSet`` (groups kept: a rotated character stays
    in its alphabet); any other dataset (torchvision's Omniglot, an ``ImageFolder``) is wrapped lazily.
    """
    from .data import ImageSet
    from .samplers import labels_of

    angles = tuple(angles)
    if not angles or any((not isinstance(a, int)) or a % 90 for a in angles) or len(set(a % 360 for a in angles)) != len(angles):
        raise ValueError(f"angles must be distinct multiples of 90 degrees, e.g. (0, 90, 180, 270), got {angles}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    images = _images_of(dataset)
    if isinstance(dataset, ImageSet) and images is not None:
        n = dataset.n_classes
        groups = None if dataset.groups is None else dataset.groups.repeat(len(angles))
        return ImageSet(
            images=torch.cat([torch.rot90(images, a // 90, dims=(-2, -1)) for a in angles]),
            targets=torch.cat([dataset.targets + r * n for r in range(len(angles))]),
            classes=[f"{c}@{a}" for a in angles for c in dataset.classes],
            groups=groups, group_names=list(dataset.group_names),
            name=f"{dataset.name or 'images'} x{len(angles)} rotations",
        )
    return RotatedClasses(dataset, angles, labels_of(dataset))


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def image_folder(path, image_size: int = 28, channels: int = 1, invert: bool = False):
    """A folder of your own images as a labelled dataset: ``path/<class name>/<image file>``.

    Returns a :class:`torchvision.datasets.ImageFolder` that resizes every image to ``image_size`` square,
    converts it to ``channels`` (1 grey or 3 colour) and to a tensor in ``[0, 1]``; ``invert=True`` turns
    dark strokes on a light background (scans, Omniglot's files) into light on dark, like Glyphs. Raises a
    ``ValueError`` naming the problem if the folder is not one-class-per-subfolder.
    """
    from torchvision import datasets, transforms

    root = Path(path).expanduser()
    if not root.is_dir():
        raise ValueError(f"path {str(path)!r} is not a folder; expected a folder with one subfolder per class")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels!r}")
    _check_positive_int(image_size=image_size)
    subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
    if not subdirs:
        hint = f" (it holds images such as {loose[0]!r} directly)" if loose else ""
        raise ValueError(f"folder {str(path)!r} has no class subfolders{hint}; expected one subfolder per class, "
                         "e.g. path/cat/1.png, path/dog/1.png")
    empty = [p.name for p in subdirs
             if not any(f.suffix.lower() in _IMAGE_SUFFIXES for f in p.rglob("*") if f.is_file())]
    if empty:
        raise ValueError(f"folder {str(path)!r} is not one-class-per-subfolder: class subfolder(s) "
                         f"{empty[:5]} hold no images ({', '.join(_IMAGE_SUFFIXES)})")
    steps = [transforms.Grayscale(channels) if channels == 1 else transforms.Lambda(lambda im: im.convert("RGB")),
             transforms.Resize((image_size, image_size), antialias=True), transforms.ToTensor()]
    if invert:
        steps.append(transforms.Lambda(lambda x: 1.0 - x))
    return datasets.ImageFolder(str(root), transform=transforms.Compose(steps))


def has_splits(spec: str) -> bool:
    """Whether ``spec`` is ``folder:<path>`` with ``background/`` and ``evaluation/`` subfolders."""
    if not isinstance(spec, str) or not spec.startswith("folder:"):
        return False
    path = Path(spec[len("folder:"):]).expanduser()
    return (path / "background").is_dir() and (path / "evaluation").is_dir()


def _omniglot_groups(dataset) -> torch.Tensor:
    """The alphabet of each torchvision Omniglot character (its class names are ``alphabet/character``)."""
    alphabets = [name.split("/")[0] for name in dataset._characters]
    ids = {a: i for i, a in enumerate(dict.fromkeys(alphabets))}
    return torch.tensor([ids[a] for a in alphabets])


def load_data(spec: str, split: str = "background", image_size: int = 28, seed: int = 0, invert: bool = False):
    """A labelled image set by name: one switch for the notebook and the command line.

    ``spec``:

    - ``"glyphs"``: the offline procedural Omniglot (``split`` ``"background"`` for training,
      ``"evaluation"`` for testing; see :func:`tlearn.data.glyphs`);
    - ``"omniglot"``: torchvision's Omniglot, background or evaluation alphabets, downloaded once into the
      cache folder by :func:`tlearn.data.real.load_real` (``.groups`` is set to each character's alphabet,
      for within-alphabet episodes);
    - ``"folder:<path>"``: an ``ImageFolder`` of your own images (:func:`image_folder`; ``invert`` for
      dark-on-light scans). If ``<path>`` holds ``background/`` and ``evaluation/`` subfolders, ``split``
      picks one; otherwise the folder itself is used whatever ``split`` says.
    """
    if split not in ("background", "evaluation"):
        raise ValueError(f"split must be 'background' (training classes) or 'evaluation' (test classes), "
                         f"got {split!r}")
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string such as 'glyphs', 'omniglot' or 'folder:/path', "
                        f"got {type(spec).__name__}")
    if spec == "glyphs":
        from .data import glyphs

        return glyphs(split, image_size=image_size, seed=seed)
    if spec == "omniglot":
        from .data.real import load_real

        dataset = load_real("omniglot", train=split == "background", image_size=image_size)
        dataset.groups = _omniglot_groups(dataset)
        return dataset
    if spec.startswith("folder:"):
        path = Path(spec[len("folder:"):]).expanduser()
        return image_folder(path / split if has_splits(spec) else path, image_size=image_size, invert=invert)
    raise ValueError(f"unknown dataset {spec!r}; use 'glyphs' (offline default), 'omniglot' or 'folder:<path>'")


# ------------------------------------------------------------------------------------------------------
# Saving and loading
# ------------------------------------------------------------------------------------------------------
FORMAT = "tlearn.fewshot/1"


def _checksum(state: dict) -> str:
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def save_model(model: FewShotModel, path, **info) -> Path:
    """Save a trained model: its ``state_dict``, the config :func:`make_model` needs to rebuild it, a
    checksum of the weights, and any ``info`` you add (e.g. the accuracy it reached; plain numbers and
    strings only). Returns the path."""
    _check_model(model)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "config": dict(model.config), "state_dict": state,
               "sha256": _checksum(state), "info": dict(info)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def load_model(path, encoder: nn.Module | None = None, device="cpu") -> FewShotModel:
    """Load a model written by :func:`save_model` (with ``torch.load(weights_only=True)``: no code runs).

    A model built by :func:`make_model` is rebuilt from its config; one built around your own encoder
    needs that encoder (untrained, same architecture) passed as ``encoder``. Raises ``ValueError`` for a
    missing, corrupt or mismatched file. The model comes back in evaluation mode; ``.info`` holds what was
    saved with it.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no model file at {str(path)!r}; train and save one with tlearn.fewshot.save_model")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"{str(path)!r} is not a readable model file (corrupt or not saved by "
                         f"tlearn.fewshot.save_model): {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a tlearn few-shot model file (format {FORMAT!r}); save models "
                         "with tlearn.fewshot.save_model")
    state, config = payload["state_dict"], dict(payload["config"])
    if _checksum(state) != payload.get("sha256"):
        raise ValueError(f"{str(path)!r} failed its checksum: the weights are corrupt; save the model again")
    method = config.pop("method")
    spec = config.pop("encoder")
    if method not in METHODS:
        raise ValueError(f"{str(path)!r} holds an unknown method {method!r}")
    if method == "pixel-nn":
        model = PixelNearestNeighbour()
    else:
        if encoder is None:
            if spec is None:
                raise ValueError(f"{str(path)!r} was saved with a custom encoder; pass the same architecture as "
                                 "load_model(path, encoder=...)")
            encoder = _build_encoder(spec)
        model = METHODS[method](encoder, **config)
        model.config["encoder"] = spec
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"the weights in {str(path)!r} do not fit the model they describe (was a different "
                         f"encoder passed?): {str(err).splitlines()[0]}") from None
    model.info = dict(payload.get("info", {}))
    return model.to(_device(device)).eval()


if __name__ == "__main__":  # python -m tlearn.fewshot: the command line lives in tlearn.fewshot_cli
    from tlearn.fewshot_cli import main

    raise SystemExit(main())
