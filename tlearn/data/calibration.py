"""How hard a data world is, measured the way Omniglot's papers measure it.

Vinyals et al., *Matching Networks for One Shot Learning*, NeurIPS 2016, Table 1, report nearest neighbour
on raw pixels for Omniglot (images resized to 28x28, evaluation on characters not seen in training,
the N classes of an episode drawn across all test alphabets):

=================  ======================
protocol           Omniglot, pixels
=================  ======================
5-way 1-shot       41.7%
5-way 5-shot       63.2%
20-way 1-shot      26.7%
20-way 5-shot      42.6%
=================  ======================

:func:`pixel_nn_calibration` runs the same protocol on any labelled image set: ``n_episodes`` fixed
episodes per protocol (:class:`tlearn.samplers.EpisodeSampler`, ``fixed=True``), classes drawn across
groups, each query labelled by its nearest support image in squared Euclidean distance on the flattened
pixels (1-NN; with K shots it is the nearest of all N*K support images). Accuracy is the mean over all
queries of all episodes, with a 95% interval over episodes.

Where the paper is silent we choose: ``q_query`` queries per class (default 5; Vinyals do not say how many
queries an episode holds; the expected accuracy does not depend on it, only the spread does).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checks import positive_int
from ..results import Estimate, from_values

PUBLISHED = {  # (n_way, k_shot): Omniglot pixel nearest neighbour, Vinyals et al. 2016, Table 1
    (5, 1): 0.417,
    (5, 5): 0.632,
    (20, 1): 0.267,
    (20, 5): 0.426,
}
PROTOCOLS = tuple(PUBLISHED)
TOLERANCE = 0.04  # how far a calibrated world may sit from the published figure


@dataclass
class CalibrationRow:
    """One protocol: the measured accuracy (an :class:`Estimate`) beside the published Omniglot figure."""

    n_way: int
    k_shot: int
    accuracy: Estimate
    published: float | None

    @property
    def gap(self) -> float | None:
        """Measured minus published, in accuracy (not percentage points)."""
        return None if self.published is None else self.accuracy.mean - self.published

    def as_dict(self) -> dict:
        return {
            "protocol": f"{self.n_way}-way {self.k_shot}-shot",
            "measured": round(100 * self.accuracy.mean, 1),
            "low": round(100 * self.accuracy.low, 1),
            "high": round(100 * self.accuracy.high, 1),
            "omniglot": None if self.published is None else round(100 * self.published, 1),
            "gap": None if self.gap is None else round(100 * self.gap, 1),
        }


def _flat_images(dataset) -> torch.Tensor:
    images = getattr(dataset, "images", None)
    if isinstance(images, torch.Tensor):
        return images.flatten(1).float()
    return torch.stack([torch.as_tensor(dataset[i][0]) for i in range(len(dataset))]).flatten(1).float()


def pixel_nn_accuracy(images: torch.Tensor, sampler, chunk: int = 100) -> list[float]:
    """Per-episode accuracy of 1-nearest-neighbour in pixel space over the episodes of ``sampler``.

    Episodes are scored ``chunk`` at a time in one batched distance computation (a few large operations
    instead of thousands of small ones)."""
    X = images.flatten(1).float()
    n, q = sampler.n_way, sampler.q_query
    support_labels = torch.arange(n).repeat_interleave(sampler.k_shot)
    query_labels = torch.arange(n).repeat_interleave(q)
    episodes = list(sampler.indices())
    accs = []
    for start in range(0, len(episodes), chunk):
        part = episodes[start : start + chunk]
        s_idx = torch.stack([s for _, s, _ in part])  # [E, N*K]
        q_idx = torch.stack([qi for _, _, qi in part])  # [E, N*Q]
        d = torch.cdist(X[q_idx], X[s_idx])  # ||x_q - x_s||_2 for every query/support pair of each episode
        predicted = support_labels[d.argmin(-1)]  # the label of the nearest support image
        accs += (predicted == query_labels).float().mean(-1).tolist()
    return accs


def pixel_nn_calibration(
    dataset, protocols=PROTOCOLS, n_episodes: int = 1000, q_query: int = 5, seed: int = 0, within_groups: bool = False
) -> list[CalibrationRow]:
    """Pixel nearest neighbour on ``dataset`` under Vinyals' protocol, one row per ``(n_way, k_shot)``.

    ``dataset`` is any labelled image set (Glyphs' evaluation split, real Omniglot's evaluation set, an
    ImageFolder); classes are drawn across all its groups. Each row carries the published Omniglot figure
    for that protocol (``None`` for a protocol the paper does not report).

    ``within_groups=True`` draws each episode's classes from one group (one alphabet) instead: a harder
    protocol than the paper's, so its rows carry no published figure.
    """
    from ..samplers import EpisodeSampler

    positive_int("n_episodes", n_episodes)
    positive_int("q_query", q_query)
    X = _flat_images(dataset)
    rows = []
    for n_way, k_shot in protocols:
        sampler = EpisodeSampler(
            dataset, n_way, k_shot, q_query, n_episodes=n_episodes, seed=seed, fixed=True, within_groups=within_groups
        )
        values = pixel_nn_accuracy(X, sampler)
        protocol = (
            f"pixel 1-NN, {n_way}-way {k_shot}-shot {q_query}-query, {n_episodes} fixed episodes "
            f"(seed {seed}), classes {'within one group' if within_groups else 'across groups'}"
        )
        rows.append(
            CalibrationRow(
                n_way,
                k_shot,
                from_values(values, protocol=protocol),
                None if within_groups else PUBLISHED.get((n_way, k_shot)),
            )
        )
    return rows


def calibration_table(rows: list[CalibrationRow]) -> str:
    """The rows as a plain-text table (measured, 95% interval, published figure, gap in points)."""
    lines = [f"{'protocol':<15}{'measured':>10}{'95% CI':>15}{'Omniglot':>10}{'gap':>7}"]
    for r in rows:
        d = r.as_dict()
        published = "" if d["omniglot"] is None else f"{d['omniglot']:.1f}"
        gap = "" if d["gap"] is None else f"{d['gap']:+.1f}"
        lines.append(
            f"{d['protocol']:<15}{d['measured']:>10.1f}{d['low']:>8.1f}-{d['high']:<6.1f}{published:>10}{gap:>7}"
        )
    return "\n".join(lines)
