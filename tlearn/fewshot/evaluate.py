r"""Evaluating few-shot models on fixed test episodes, and classifying one episode or one drawing.

:func:`evaluate_episodes` scores a model on ``n_episodes`` fixed episodes of the test classes and returns an
:class:`EpisodeResult`: a :class:`tlearn.results.Estimate` (mean accuracy, 95% interval
:math:`\bar a \pm 1.96\, s/\sqrt n` over the episodes, :math:`n`, the protocol in words) that also keeps the
episode sizes. The interval covers the sampling of test episodes only; a different training seed moves
the mean by more than it says.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import checks
from ..data.folders import images_of
from ..results import Estimate, normal_interval_95
from ..train import get_device
from .base import FewShotModel, check_episode, check_model
from .protonet import PrototypicalNet
from .siamese import SiameseNet


@torch.no_grad()
def embed_dataset(model: FewShotModel, dataset, batch_size: int = 256, device="auto") -> torch.Tensor:
    """Embeddings ``[len(dataset), D]`` of every image, in evaluation mode, on the CPU.

    In evaluation mode an image's embedding does not depend on the rest of its batch, so these are exactly
    the embeddings an episode would compute; embedding a test set once makes 600 episodes cheap.
    """
    check_model(model)
    checks.positive_int("batch_size", batch_size)
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    dev = get_device(device)
    was_training = model.training
    model.to(dev).eval()
    images = images_of(dataset)
    if images is not None:
        batches = (images[i : i + batch_size] for i in range(0, len(images), batch_size))
    else:
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
        batches = (x for x, _ in loader)
    out = torch.cat([model.embed(x.to(dev)).float().cpu() for x in batches])
    model.train(was_training)
    return out


def confidence_interval_95(accuracies) -> tuple[float, float]:
    r"""Mean and half-width of the 95% confidence interval of a mean accuracy: :math:`\bar a \pm 1.96\, s/\sqrt{n}`
    (:func:`tlearn.results.normal_interval_95`; :math:`s` the sample standard deviation of the ``n``
    per-episode accuracies)."""
    return normal_interval_95(accuracies)


@dataclass(frozen=True)
class EpisodeResult(Estimate):
    """An :class:`~tlearn.results.Estimate` of the mean accuracy over fixed test episodes (``mean``,
    ``low``, ``high``, ``ci95``, ``n``, ``protocol``, ``values``) that also keeps the episode sizes."""

    n_way: int = 0
    k_shot: int = 0
    q_query: int = 0
    within_groups: bool = False

    @property
    def accuracies(self) -> torch.Tensor:
        """The per-episode accuracies, in episode order."""
        return torch.tensor(self.values, dtype=torch.float64)

    @property
    def n_episodes(self) -> int:
        return self.n

    @classmethod
    def from_accuracies(
        cls, accuracies, n_way: int, k_shot: int, q_query: int, within_groups: bool = False
    ) -> EpisodeResult:
        mean, half = normal_interval_95(accuracies)
        where = "within one alphabet (group)" if within_groups else "classes drawn across alphabets"
        protocol = (
            f"{n_way}-way {k_shot}-shot, {q_query} queries per class, {len(accuracies)} fixed episodes, "
            f"{where}; the interval covers the test episodes only"
        )
        return cls(
            mean,
            mean - half,
            mean + half,
            len(accuracies),
            protocol,
            tuple(torch.as_tensor(accuracies, dtype=torch.float64).tolist()),
            n_way,
            k_shot,
            q_query,
            within_groups,
        )


def _check_distance(model, distance) -> None:
    if distance is None:
        return
    if not isinstance(model, PrototypicalNet):
        raise ValueError(
            f"distance can only be overridden for a PrototypicalNet, got {type(model).__name__}; pass distance=None"
        )
    checks.choice("distance", distance, ("euclidean", "cosine"))


def _override_distance(model, distance):
    """Switch a Prototypical network's distance for one evaluation; returns the one to restore (or None)."""
    _check_distance(model, distance)
    if distance is None:
        return None
    restore, model.distance = model.distance, distance
    return restore


def _episodes(dataset, episodes, n_way, k_shot, q_query, n_episodes, seed, within_groups, groups):
    """The fixed sampler to score, and its sizes, from a shared one or drawn here."""
    from ..samplers import EpisodeSampler

    if episodes is not None:
        if not isinstance(episodes, EpisodeSampler) or not episodes.fixed:
            raise TypeError(f"episodes must be a tlearn.samplers.EpisodeSampler(..., fixed=True), got {episodes!r}")
        if len(episodes.dataset) != len(dataset):
            raise ValueError(
                f"episodes were drawn from a dataset of {len(episodes.dataset)} items, but dataset has "
                f"{len(dataset)}; draw them from the same dataset"
            )
        return episodes
    for name, value in (("n_way", n_way), ("k_shot", k_shot), ("q_query", q_query), ("n_episodes", n_episodes)):
        checks.positive_int(name, value)
    if n_episodes < 2:
        raise ValueError(f"n_episodes must be >= 2 for an interval (600 is the standard), got {n_episodes}")
    if len(dataset) == 0:
        raise ValueError("dataset is empty; pass a labelled image set with at least one image")
    return EpisodeSampler(
        dataset,
        n_way,
        k_shot,
        q_query,
        n_episodes=n_episodes,
        seed=seed,
        fixed=True,
        within_groups=within_groups,
        groups=groups,
    )


@torch.no_grad()
def evaluate_episodes(
    model: FewShotModel,
    dataset,
    *,
    n_way: int = 5,
    k_shot: int = 1,
    q_query: int = 15,
    n_episodes: int = 600,
    seed: int = 0,
    within_groups: bool = False,
    groups=None,
    embeddings: torch.Tensor | None = None,
    episodes=None,
    device="auto",
    distance: str | None = None,
    batch_size: int = 256,
) -> EpisodeResult:
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
    check_model(model)
    _check_distance(model, distance)
    if embeddings is not None and (
        not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 2 or len(embeddings) != len(dataset)
    ):
        shape = tuple(embeddings.shape) if isinstance(embeddings, torch.Tensor) else type(embeddings).__name__
        raise ValueError(
            f"embeddings must be [len(dataset)={len(dataset)}, D] from embed_dataset(model, dataset), got {shape}"
        )
    sampler = _episodes(dataset, episodes, n_way, k_shot, q_query, n_episodes, seed, within_groups, groups)
    n_way, k_shot, q_query = sampler.n_way, sampler.k_shot, sampler.q_query
    n_episodes, within_groups = sampler.n_episodes, sampler.within_groups
    if embeddings is None:
        embeddings = embed_dataset(model, dataset, batch_size=batch_size, device=device)
    restore = _override_distance(model, distance)
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
            logits = model.logits_from_embeddings(
                embeddings[support_index[start : start + chunk].to(head_device)],
                support_labels,
                embeddings[query_index[start : start + chunk].to(head_device)],
            )
            accs.append((logits.argmax(-1) == query_labels).double().mean(-1).cpu())
    finally:
        model.train(was_training)
        if restore is not None:
            model.distance = restore
    return EpisodeResult.from_accuracies(torch.cat(accs), n_way, k_shot, q_query, within_groups)


@torch.no_grad()
def classify(
    model: FewShotModel,
    support: torch.Tensor,
    support_labels: torch.Tensor,
    query: torch.Tensor,
    device="auto",
    distance: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted class (``[Q]``, ids of the support labels) and class scores ``[Q, N]`` for queries, in
    evaluation mode. Scores are probabilities (a softmax over the classes), except for a Siamese network
    trained with BCE, whose scores are each class's "same" probability. ``distance`` as in
    :func:`evaluate_episodes`. The pure function behind the notebook's panels and "draw your own"."""
    check_model(model)
    check_episode(support, support_labels, query)
    dev = get_device(device)
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
        raise ValueError(
            f"could not read the strokes ({err}); write a list of strokes, each a list of (x, y) "
            "points, e.g. [[(-0.5, 0.6), (0.5, 0.6)], [(0, 0.6), (0, -0.6)]]"
        ) from None
    if not isinstance(strokes, (list, tuple)) or not strokes:
        raise ValueError("the strokes must be a non-empty list of strokes, each a list of (x, y) points")
    for j, stroke in enumerate(strokes):
        if (
            not isinstance(stroke, (list, tuple))
            or not stroke
            or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
                for p in stroke
            )
        ):
            raise ValueError(f"stroke {j} must be a non-empty list of (x, y) number pairs, got {stroke!r}")
        if any(abs(v) > 1 for p in stroke for v in p):
            raise ValueError(f"stroke {j} has points outside the canvas; keep x and y in [-1, 1] (y up)")
    return [[tuple(map(float, p)) for p in stroke] for stroke in strokes]


def classify_drawing(
    model: FewShotModel, strokes, support: torch.Tensor, support_labels: torch.Tensor, width: float = 1.8, device="auto"
) -> tuple[torch.Tensor, int, torch.Tensor]:
    """ "Draw your own": render ``strokes`` (a list of strokes of ``(x, y)`` points, or text for
    :func:`parse_strokes`) with the Glyphs renderer at the support images' size, and classify the drawing
    against the support set. Returns the image ``[1, H, W]``, the predicted class and the class scores."""
    from ..data.glyphs import render_points

    if isinstance(strokes, str):
        strokes = parse_strokes(strokes)
    if not isinstance(support, torch.Tensor) or support.dim() != 4:
        raise ValueError("support must be images [S, C, H, W], e.g. episode.support")
    checks.positive_number("width", width)
    image = render_points(strokes, width=width, image_size=support.shape[-1])
    image = image.expand(support.shape[1], -1, -1)  # as many channels as the support images
    prediction, scores = classify(model, support, support_labels, image[None], device=device)
    return image, int(prediction[0]), scores[0]
