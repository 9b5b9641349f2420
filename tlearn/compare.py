r"""Which technique when? Comparing transfer-learning techniques across label budgets.

Each notebook of the course teaches one way to reuse what was learned elsewhere: descriptions of the
classes (zero-shot), a learned metric (few-shot), a pretrained network kept frozen (feature extraction)
or trained further (fine-tuning), a labelled neighbouring domain (domain adaptation). Which one to reach
for depends first on the **label budget** :math:`k`, the number of labelled examples of each target class
(0 for none), then on what else is at hand and on the time there is to train. This module holds the runs
of such a comparison and turns them into curves with intervals, a ranking at any budget, and a decision
guide in words. It trains nothing: every technique is run with the calls of its own notebook and the
result is recorded here with :meth:`Comparison.add`.

**Intervals.** A technique run :math:`R \ge 2` times at one budget (on :math:`R` random draws of the
labelled examples, say) gives accuracies :math:`a_1, \dots, a_R`; their mean comes with the Student-t
interval

.. math:: \bar a \pm t_{0.975,\,R-1}\; s / \sqrt{R},

with :math:`s` the sample standard deviation. With few runs the t quantile matters (12.7 for two runs,
2.26 for ten), which is why this is not the normal 1.96 used for hundreds of few-shot episodes. A
technique run once has no spread across runs to measure; its interval is the Wilson score interval of its
accuracy :math:`\hat p` over the :math:`n` test images (Wilson, *Probable inference, the law of
succession, and statistical inference*, JASA 1927), with :math:`z = 1.96`,

.. math:: \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}{1 + z^2/n},

which covers the luck of the test sample only, not that of the labelled draw or the initial weights.

**Ranking at a budget.** Whoever has :math:`k` labels per class can use any technique measured at a
budget :math:`\le k` (a zero-shot model works whatever labels there are). So each technique is represented
by its result at the largest budget it was measured at that does not exceed :math:`k`, and techniques are
ranked by mean accuracy. Two techniques whose intervals overlap are *not separated by this run*. A time
limit drops the techniques whose training on the target took longer; a tolerance picks the cheapest
technique whose mean is within that many points of the best one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["ALL", "Summary", "Comparison", "t_interval_95", "wilson_interval_95", "budget_text",
           "budget_phrase"]

ALL = math.inf  # the label budget "every labelled example there is"
Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal


def _check_accuracy(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1] (a fraction of test examples), got {value!r}")
    return float(value)


def t_interval_95(values) -> tuple[float, float]:
    r"""Mean of ``values`` and the half-width of its 95% Student-t interval, :math:`t_{0.975, n-1}\, s/\sqrt n`."""
    from scipy.stats import t as student_t

    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    if len(x) < 2:
        raise ValueError(f"values needs at least 2 runs for a spread, got {len(x)}; with one run use "
                         "wilson_interval_95(accuracy, n_test)")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("values contains NaN or infinite numbers")
    half = float(student_t.ppf(0.975, len(x) - 1)) * float(x.std(unbiased=True)) / math.sqrt(len(x))
    return float(x.mean()), half


def wilson_interval_95(accuracy: float, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval ``(low, high)`` of an accuracy measured on ``n`` test examples."""
    p = _check_accuracy("accuracy", accuracy)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of test examples), got {n!r}")
    z2 = Z_95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))  # rounding never leaves p out


def budget_text(labels) -> str:
    """``0``, ``1``, ..., or ``all`` for :data:`ALL`."""
    return "all" if labels == ALL else f"{int(labels)}"


def budget_phrase(labels) -> str:
    """The budget in words: ``no labels``, ``1 label per class``, ``5 labels per class``, ``all labels``."""
    if labels == ALL:
        return "all labels"
    if labels == 0:
        return "no labels"
    return f"{int(labels)} label{'' if labels == 1 else 's'} per class"


@dataclass(frozen=True)
class Summary:
    """A technique at one budget: mean accuracy, 95% interval ``[low, high]``, how many runs, the mean
    training seconds on the target, and what the interval is over (``"runs"`` or ``"test images"``)."""

    mean: float
    low: float
    high: float
    runs: int
    seconds: float
    interval: str

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} % [{100 * self.low:.1f}, {100 * self.high:.1f}]"

    def overlaps(self, other: "Summary") -> bool:
        """Whether the two 95% intervals overlap (the run does not separate the two)."""
        return self.low <= other.high and other.low <= self.high


class Comparison:
    """Runs of several techniques on one or more targets, at several label budgets.

    ``add(target, technique, labels, accuracy, seconds, n_test)`` records one run; ``labels`` is the number
    of labelled examples per class (0, 1, 5, ..., or :data:`ALL`), ``seconds`` the training time on the
    target, ``n_test`` the number of test examples (it gives a single run its Wilson interval).
    """

    def __init__(self):
        self._runs: dict[tuple[str, str, float], list[tuple[float, float, int | None]]] = {}

    # --- recording ------------------------------------------------------------------------------------
    def add(self, target: str, technique: str, labels, accuracy: float, seconds: float = 0.0,
            n_test: int | None = None) -> None:
        for name, value in (("target", target), ("technique", technique)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a non-empty string, got {value!r}")
        if isinstance(labels, bool) or not isinstance(labels, (int, float)) or not (
                labels == ALL or (labels >= 0 and float(labels).is_integer())):
            raise ValueError(f"labels must be a whole number of labelled examples per class >= 0, or "
                             f"tlearn.compare.ALL, got {labels!r}")
        accuracy = _check_accuracy("accuracy", accuracy)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"seconds must be a number >= 0 (training time on the target), got {seconds!r}")
        if n_test is not None and (isinstance(n_test, bool) or not isinstance(n_test, int) or n_test < 1):
            raise ValueError(f"n_test must be None or a positive integer (test examples), got {n_test!r}")
        self._runs.setdefault((target, technique, float(labels)), []).append((accuracy, float(seconds), n_test))

    def __len__(self) -> int:
        return sum(len(v) for v in self._runs.values())

    # --- what is there --------------------------------------------------------------------------------
    def targets(self) -> list[str]:
        return list(dict.fromkeys(t for t, _, _ in self._runs))

    def techniques(self, target: str) -> list[str]:
        """Techniques measured on ``target``, in the order they were first added."""
        self._check_target(target)
        return list(dict.fromkeys(m for t, m, _ in self._runs if t == target))

    def budgets(self, target: str, technique: str | None = None) -> list[float]:
        """Sorted label budgets measured on ``target`` (by ``technique``, if given)."""
        self._check_target(target)
        return sorted({b for t, m, b in self._runs if t == target and technique in (None, m)})

    def _check_target(self, target):
        if target not in self.targets():
            raise ValueError(f"no runs on target {target!r}; targets: {self.targets() or 'none yet'}")

    def accuracies(self, target: str, technique: str, labels) -> list[float]:
        """The accuracy of every run of ``technique`` on ``target`` at ``labels`` per class."""
        key = (target, technique, float(labels))
        if key not in self._runs:
            measured = ", ".join(budget_text(b) for b in self.budgets(target, technique)) or "none"
            raise ValueError(f"{technique!r} was not run on {target!r} with {budget_text(labels)} labels per class "
                             f"(measured budgets: {measured})")
        return [a for a, _, _ in self._runs[key]]

    # --- summaries ------------------------------------------------------------------------------------
    def summary(self, target: str, technique: str, labels) -> Summary:
        """Mean accuracy with its 95% interval: Student t over runs, or Wilson over test images for one run."""
        accs = self.accuracies(target, technique, labels)
        runs = self._runs[(target, technique, float(labels))]
        seconds = sum(s for _, s, _ in runs) / len(runs)
        if len(accs) >= 2:
            mean, half = t_interval_95(accs)
            return Summary(mean, max(0.0, mean - half), min(1.0, mean + half), len(accs), seconds, "runs")
        n_test = runs[0][2]
        if n_test is None:
            return Summary(accs[0], accs[0], accs[0], 1, seconds, "none")
        low, high = wilson_interval_95(accs[0], n_test)
        return Summary(accs[0], low, high, 1, seconds, "test images")

    def curve(self, target: str, technique: str) -> dict[float, Summary]:
        """``{labels: Summary}`` of one technique, budgets in increasing order."""
        return {b: self.summary(target, technique, b) for b in self.budgets(target, technique)}

    def ranking(self, target: str, labels, max_seconds: float = math.inf) -> list[tuple[str, float, Summary]]:
        """Every technique usable with ``labels`` per class, best mean first, as ``(technique, budget used,
        summary)``: each at its largest measured budget ``<= labels``, dropping those whose training took
        longer than ``max_seconds``."""
        if isinstance(labels, bool) or not isinstance(labels, (int, float)) or labels < 0:
            raise ValueError(f"labels must be a number >= 0 or tlearn.compare.ALL, got {labels!r}")
        if not isinstance(max_seconds, (int, float)) or not max_seconds > 0:
            raise ValueError(f"max_seconds must be a positive number (math.inf for no limit), got {max_seconds!r}")
        out = []
        for technique in self.techniques(target):
            usable = [b for b in self.budgets(target, technique) if b <= labels]
            if usable:
                s = self.summary(target, technique, usable[-1])
                if s.seconds <= max_seconds:
                    out.append((technique, usable[-1], s))
        return sorted(out, key=lambda row: -row[2].mean)

    def recommend(self, target: str, labels, max_seconds: float = math.inf,
                  tolerance: float = 0.0) -> tuple[str, float, Summary] | None:
        """The technique to use with ``labels`` per class and ``max_seconds`` of training: the fastest one
        whose mean accuracy is within ``tolerance`` (a fraction, 0.01 = one point) of the best usable
        mean; ``None`` if nothing is usable."""
        if not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
            raise ValueError(f"tolerance must lie in [0, 1) (0.01 = one accuracy point), got {tolerance!r}")
        ranking = self.ranking(target, labels, max_seconds)
        if not ranking:
            return None
        best = ranking[0][2].mean
        close = [row for row in ranking if row[2].mean >= best - tolerance]
        return min(close, key=lambda row: (row[2].seconds, -row[2].mean))

    # --- words and tables -----------------------------------------------------------------------------
    def guide(self, target: str, tolerance: float = 0.02, speedup: float = 2.0) -> list[str]:
        """A decision guide for ``target``, one sentence per measured budget, from the numbers recorded:
        the best technique, those this run cannot separate from it, and the fastest one within
        ``tolerance`` of it when that one trains at least ``speedup`` times faster."""
        if not isinstance(speedup, (int, float)) or not speedup >= 1:
            raise ValueError(f"speedup must be a number >= 1 (how many times faster is worth naming), got {speedup!r}")
        lines = []
        for labels in self.budgets(target):
            ranking = self.ranking(target, labels)
            name, used, best = ranking[0]
            where = "" if used == labels else f" (its {budget_text(used)}-label result)"
            text = f"{budget_phrase(labels).capitalize()}: {name}{where}, {100 * best.mean:.1f} %"
            tied = [n for n, _, s in ranking[1:] if s.overlaps(best)]
            if tied:
                text += f"; not separated from it by this run: {', '.join(tied)}"
            pick = self.recommend(target, labels, tolerance=tolerance)
            if pick[0] != name and pick[2].seconds * speedup <= best.seconds:
                text += (f"; within {100 * tolerance:.0f} points and {best.seconds / max(pick[2].seconds, 1e-9):.0f}x "
                         f"faster: {pick[0]} ({100 * pick[2].mean:.1f} %, {pick[2].seconds:.2g} s against "
                         f"{best.seconds:.2g} s)")
            lines.append(text + ".")
        return lines

    def rows(self, target: str, budgets=None, extra: dict | None = None) -> list[dict]:
        """One table row per technique: mean and interval (%) at each budget, and the mean training seconds
        over all its runs on the target. ``extra`` maps a technique to more columns (e.g. what it needs)."""
        budgets = self.budgets(target) if budgets is None else list(budgets)
        rows = []
        for technique in self.techniques(target):
            row = {"target": target, "technique": technique, **(extra or {}).get(technique, {})}
            for b in budgets:
                key = (target, technique, float(b))
                if key in self._runs:
                    s = self.summary(target, technique, b)
                    cell = f"{100 * s.mean:.1f} [{100 * s.low:.0f}-{100 * s.high:.0f}]"
                else:
                    cell = "-"
                row[f"{budget_text(b)} label{'' if b == 1 else 's'}"] = cell
            runs = [r for (t, m, _), v in self._runs.items() if t == target and m == technique for r in v]
            row["train s / run"] = round(sum(s for _, s, _ in runs) / len(runs), 2)
            rows.append(row)
        return rows
