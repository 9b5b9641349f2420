r"""Training few-shot models: episodes for Matching and Prototypical networks, pairs for Siamese ones.

Each trainer builds its sampler and a :class:`tlearn.train.Method`, then calls :func:`tlearn.train.fit`,
the package's one loop (its seeding policy, device handling and progress bar apply here too):

- :class:`EpisodeLoss`: the cross-entropy of an episode's queries,
  :math:`\mathcal{L} = -\frac{1}{|Q|}\sum_{(\hat x, y) \in Q} \log p(y \mid \hat x, S)`, with :math:`p`
  the softmax of the model's logits for the episode;
- :class:`PairLoss`: binary cross-entropy (or the contrastive loss) on same/different pairs.

``lr_schedule="cosine"`` anneals the rate along a half cosine, :math:`\eta_t = \eta_0 (1 + \cos(\pi t /
T)) / 2`. The papers halve the rate every few thousand episodes; for long runs the cosine does that job
smoothly. Runs of a few hundred steps (the notebook's) end better at a constant rate, the default.
``lr_schedule="step"`` is Snell et al.'s own Omniglot schedule: the rate halved every 2,000 episodes,
:math:`\eta_t = \eta_0\, 2^{-\lfloor t / 2000 \rfloor}` (:data:`HALVE_EVERY`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch.nn.functional as F

from .. import checks
from ..train import History, Method, fit
from .base import FewShotModel, PixelNearestNeighbour, check_model
from .matching import MatchingNet
from .protonet import PrototypicalNet
from .siamese import SiameseNet


class EpisodeLoss(Method):
    """Episodic training: the loss of one :class:`tlearn.samplers.Episode` is the cross-entropy of its
    queries; logs the query accuracy as ``train_acc``."""

    def __init__(self, model: FewShotModel):
        super().__init__()
        self.model = model

    def loss(self, episode, progress: float):
        logits = self.model.episode_logits(episode.support, episode.support_labels, episode.query)
        loss = F.cross_entropy(logits, episode.query_labels)  # -mean log p(y | x, S)
        return loss, {"train_acc": (logits.argmax(1) == episode.query_labels).float().mean()}


class PairLoss(Method):
    """Verification training: the loss of a batch ``(x1, x2, same)`` of pairs; logs the pair accuracy as
    ``train_acc``."""

    def __init__(self, model: SiameseNet):
        super().__init__()
        self.model = model

    def loss(self, batch, progress: float):
        x1, x2, same = batch
        loss, scores = self.model.pair_loss(x1, x2, same)
        return loss, {"train_acc": ((scores > self.model.threshold()).float() == same).float().mean()}


def cosine(p: float) -> float:
    """The half-cosine multiplier of the learning rate at progress ``p``: 1 at the start, 0 at the end."""
    return 0.5 * (1 + math.cos(math.pi * p))  # eta_t / eta_0 = (1 + cos(pi t / T)) / 2


HALVE_EVERY = 2000  # Snell et al. (2017): Adam at 1e-3, halved every 2,000 episodes


def step_decay(steps: int, every: int = HALVE_EVERY) -> Callable[[float], float]:
    """The multiplier that halves the rate every ``every`` of ``steps`` steps, as a function of progress p."""
    return lambda p: 0.5 ** math.floor(p * steps / every + 1e-9)  # eta_t / eta_0 = 2^-floor(t / every)


def _schedule(lr_schedule, steps: int) -> Callable[[float], float] | None:
    if lr_schedule is None or callable(lr_schedule):
        return lr_schedule
    if lr_schedule == "cosine":
        return cosine
    if lr_schedule == "step":
        return step_decay(steps)
    raise ValueError(
        f"lr_schedule must be 'cosine', 'step' (halved every {HALVE_EVERY} steps), None (constant) "
        f"or a function of the progress p, got {lr_schedule!r}"
    )


def train_episodes(
    model: FewShotModel,
    dataset,
    *,
    n_way: int = 20,
    k_shot: int = 1,
    q_query: int = 5,
    n_episodes: int = 500,
    lr: float = 1e-3,
    lr_schedule=None,
    within_groups: bool = False,
    seed: int = 0,
    device="auto",
    progress: bool = True,
    desc: str | None = None,
) -> History:
    """Episodic training (Matching and Prototypical networks): each step is one ``n_way``-way ``k_shot``-shot
    episode drawn from ``dataset`` by :class:`tlearn.samplers.EpisodeSampler`, with the cross-entropy of
    its ``q_query`` queries per class as the loss. Snell et al. found training with more ways than the test
    uses (e.g. 20 or 60 for a 5-way test) helps. Adam with a constant learning rate ``lr``, or one annealed
    to zero along a half cosine with ``lr_schedule="cosine"``, halved every 2,000 episodes with
    ``lr_schedule="step"`` (Snell et al.'s recipe), or any multiplier ``m(p)``.

    Returns a :class:`tlearn.train.History` with per-episode ``loss`` and ``train_acc``, and ``.seconds``.
    """
    from ..samplers import EpisodeSampler

    check_model(model, (PrototypicalNet, MatchingNet, SiameseNet))
    for name, value in (("n_way", n_way), ("k_shot", k_shot), ("q_query", q_query), ("n_episodes", n_episodes)):
        checks.positive_int(name, value)
    schedule = _schedule(lr_schedule, n_episodes)
    sampler = EpisodeSampler(
        dataset, n_way, k_shot, q_query, n_episodes=n_episodes, seed=seed, within_groups=within_groups
    )
    return fit(
        EpisodeLoss(model),
        sampler,
        n_episodes,
        lr=lr,
        lr_schedule=schedule,
        device=device,
        seed=seed,
        progress=progress,
        desc=desc or f"{type(model).__name__} episodes",
    )


def train_pairs(
    model: SiameseNet,
    dataset,
    *,
    batch_size: int = 64,
    n_batches: int = 500,
    lr: float = 1e-3,
    lr_schedule=None,
    seed: int = 0,
    device="auto",
    progress: bool = True,
    desc: str | None = None,
) -> History:
    """Verification training (Siamese networks): each step is a batch of ``batch_size`` image pairs from
    :class:`tlearn.samplers.PairSampler`, half of them same-class, with binary cross-entropy (or the
    contrastive loss) on "same or not". Adam with learning rate ``lr`` and ``lr_schedule`` as in
    :func:`train_episodes`.

    Returns a :class:`tlearn.train.History` with per-batch ``loss`` and ``train_acc`` (pair verification
    accuracy), and ``.seconds``.
    """
    from ..samplers import PairSampler

    check_model(model, (SiameseNet,))
    checks.positive_int("batch_size", batch_size)
    checks.positive_int("n_batches", n_batches)
    schedule = _schedule(lr_schedule, n_batches)
    pairs = PairSampler(dataset, batch_size=batch_size, n_batches=n_batches, seed=seed)
    return fit(
        PairLoss(model),
        pairs,
        n_batches,
        lr=lr,
        lr_schedule=schedule,
        device=device,
        seed=seed,
        progress=progress,
        desc=desc or "SiameseNet pairs",
    )


def train(
    model: FewShotModel,
    dataset,
    *,
    steps: int = 500,
    n_way: int = 20,
    k_shot: int = 1,
    q_query: int = 5,
    lr: float = 1e-3,
    lr_schedule=None,
    seed: int = 0,
    device="auto",
    progress: bool = True,
    within_groups: bool = False,
) -> History:
    """Train any few-shot model the way its paper does, ``steps`` optimiser steps on the same image budget.

    Matching and Prototypical networks train on episodes (:func:`train_episodes`); a Siamese network
    trains on pairs (:func:`train_pairs`), with as many images per batch as one episode has
    (``n_way * (k_shot + q_query)``, i.e. half as many pairs, rounded down to an even number).
    :class:`PixelNearestNeighbour` has nothing to train and returns an empty history.
    """
    check_model(model)
    for name, value in (("steps", steps), ("n_way", n_way), ("k_shot", k_shot), ("q_query", q_query)):
        checks.positive_int(name, value)
    if isinstance(model, PixelNearestNeighbour):
        return History(loss=[], train_acc=[])
    if isinstance(model, SiameseNet):
        pairs = max(2, n_way * (k_shot + q_query) // 4 * 2)  # even: half same-class, half different
        return train_pairs(
            model,
            dataset,
            batch_size=pairs,
            n_batches=steps,
            lr=lr,
            lr_schedule=lr_schedule,
            seed=seed,
            device=device,
            progress=progress,
        )
    return train_episodes(
        model,
        dataset,
        n_way=n_way,
        k_shot=k_shot,
        q_query=q_query,
        n_episodes=steps,
        lr=lr,
        lr_schedule=lr_schedule,
        within_groups=within_groups,
        seed=seed,
        device=device,
        progress=progress,
    )
