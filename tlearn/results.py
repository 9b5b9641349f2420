r"""The one result type of an evaluation: a mean, its 95% interval, how many measurements, and the protocol.

Two intervals are used in the course, and :class:`Estimate` says which one it holds:

- **over test episodes or runs** (the mean of :math:`n` accuracies :math:`a_i`):
  :math:`\bar a \pm 1.96\, s/\sqrt n` with :math:`s` the sample standard deviation; with few runs
  (training seeds, label draws) Student's :math:`t_{0.975,\,n-1}` replaces 1.96 (:func:`from_values`);
- **over test examples** (one accuracy :math:`\hat p` measured on :math:`n` examples): the Wilson score
  interval (:func:`from_accuracy`).

An interval over test episodes covers the sampling of test episodes only: a different training seed
moves the mean by more than it says. Rankings of methods are stated over several training seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from . import checks

Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal


@dataclass(frozen=True)
class Estimate:
    """``mean`` with a 95% interval ``[low, high]`` from ``n`` measurements; ``protocol`` says what was
    measured and what the interval is over. ``values`` keeps the measurements (episode accuracies, runs)."""

    mean: float
    low: float
    high: float
    n: int
    protocol: str = ""
    values: tuple = field(default=(), repr=False, compare=False)

    @property
    def ci95(self) -> float:
        """Half-width of the interval (symmetric ones; the larger side of a Wilson interval)."""
        return max(self.mean - self.low, self.high - self.mean)

    def overlaps(self, other: "Estimate") -> bool:
        """Whether the two 95% intervals overlap (the measurement does not separate the two)."""
        return self.low <= other.high and other.low <= self.high

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} ± {100 * self.ci95:.1f} %"

    def __float__(self) -> float:
        return float(self.mean)


def _values(values) -> torch.Tensor:
    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    if len(x) < 2:
        raise ValueError(
            f"values needs at least 2 measurements for an interval, got {len(x)}; with one "
            "accuracy on n test examples use from_accuracy(accuracy, n)"
        )
    if not bool(torch.isfinite(x).all()):
        raise ValueError("values contains NaN or infinite numbers")
    return x


def normal_interval_95(values) -> tuple[float, float]:
    r"""Mean and half-width :math:`1.96\, s/\sqrt n` (hundreds of independent episodes)."""
    x = _values(values)
    return float(x.mean()), float(Z_95 * x.std(unbiased=True) / math.sqrt(len(x)))


def t_interval_95(values) -> tuple[float, float]:
    r"""Mean and half-width :math:`t_{0.975, n-1}\, s/\sqrt n` (a few runs)."""
    from scipy.stats import t as student_t

    x = _values(values)
    return float(x.mean()), float(student_t.ppf(0.975, len(x) - 1)) * float(x.std(unbiased=True)) / math.sqrt(len(x))


def from_values(values, protocol: str = "", *, student_t: bool | None = None) -> Estimate:
    """An :class:`Estimate` from per-episode or per-run accuracies. Student's t is used below 30 values
    unless ``student_t`` says otherwise."""
    x = _values(values)
    use_t = len(x) < 30 if student_t is None else student_t
    mean, half = (t_interval_95 if use_t else normal_interval_95)(x)
    return Estimate(mean, mean - half, mean + half, len(x), protocol, tuple(x.tolist()))


def wilson_interval_95(accuracy: float, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval ``(low, high)`` of an accuracy measured on ``n`` test examples."""
    p = checks.fraction("accuracy", accuracy)
    n = checks.positive_int("n", n)
    z2 = Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))  # rounding never leaves p out


def from_accuracy(accuracy: float, n: int, protocol: str = "") -> Estimate:
    """An :class:`Estimate` of one accuracy measured on ``n`` test examples (Wilson interval)."""
    low, high = wilson_interval_95(accuracy, n)
    return Estimate(float(accuracy), low, high, 1, protocol or f"one run, interval over {n} test examples")


def over_seeds(runs: dict, names, value: str = "accuracy", keep=("seconds",)) -> list[dict]:
    """Rows of a results table from runs repeated over seeds: ``runs`` maps a key tuple whose *last*
    element is the seed (for example ``(target, method, labels, seed)``) to a dict holding ``value``.

    One row per key without its seed, in first-seen order: the key's parts under ``names``, ``seeds`` (how
    many), ``value`` (the mean over those seeds), ``range`` (``"low-high"``, or None for a single seed), and
    each field of ``keep`` taken from the first seed's run.
    """
    names = list(names)
    groups: dict[tuple, list] = {}
    for key, run in runs.items():
        if len(key) != len(names) + 1:
            raise ValueError(f"runs are keyed by {len(key)}-tuples; names has {len(names)} names plus the seed")
        groups.setdefault(tuple(key[:-1]), []).append(run)
    rows = []
    for key, group in groups.items():
        values = [float(run[value]) for run in group]
        row = dict(zip(names, key))
        row |= {"seeds": len(values), value: sum(values) / len(values)}
        row["range"] = f"{min(values):.3f}-{max(values):.3f}" if len(values) > 1 else None
        row |= {name: group[0].get(name) for name in keep}
        rows.append(row)
    return rows
