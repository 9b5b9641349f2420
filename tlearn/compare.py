r"""Which technique when? Comparing transfer-learning techniques across label budgets.

Each notebook of the course teaches one way to reuse what was learned elsewhere: descriptions of the
classes (zero-shot), a learned metric (few-shot), a pretrained network kept frozen (feature extraction)
or trained further (fine-tuning), a labelled neighbouring domain (domain adaptation). Which one to reach
for depends first on the **label budget** :math:`k`, the number of labelled examples of each target class
(0 for none), then on what else is at hand and on the time there is to train. This module holds the runs
of such a comparison and turns them into curves with intervals, a ranking at any budget, and a decision
guide in words. It trains nothing: every technique is run with the calls of its own notebook and the
result is recorded here with :meth:`Comparison.add`.

**Intervals** (the package's one result type, :class:`tlearn.results.Estimate`, computes them). A
technique run :math:`R \ge 2` times at one budget (on :math:`R` random draws of the labelled examples, say)
gives accuracies :math:`a_1, \dots, a_R`; their mean comes with the Student-t interval
:math:`\bar a \pm t_{0.975,\,R-1}\, s/\sqrt R` (:func:`tlearn.results.from_values`). With few runs the t
quantile matters (12.7 for two runs, 2.26 for ten), which is why this is not the normal 1.96 used for
hundreds of few-shot episodes. A technique run once has no spread across runs to measure; its interval
is the Wilson score interval of its accuracy over the :math:`n` test images (Wilson, *Probable inference,
the law of succession, and statistical inference*, JASA 1927; :func:`tlearn.results.from_accuracy`),
which covers the luck of the test sample only, not that of the labelled draw or the initial weights.

**Ranking at a budget.** Whoever has :math:`k` labels per class can use any technique measured at a
budget :math:`\le k` (a zero-shot model works whatever labels there are). So each technique is represented
by its result at the largest budget it was measured at that does not exceed :math:`k`, and techniques are
ranked by mean accuracy. Two techniques whose intervals overlap are *not separated by this run*. A time
limit drops the techniques whose training on the target took longer; a tolerance picks the cheapest
technique whose mean is within that many points of the best one.

**In words** (:mod:`tlearn.guide`). :func:`~tlearn.guide.practitioner_guide` answers a practitioner's
questions (no labels, one, a few, all) from the runs, and :func:`~tlearn.guide.source_text_claims` sets the
source text's two causal claims about similar and different data (:data:`~tlearn.guide.SOURCE_CLAIMS`)
against a near and a far target; both return their numbers too, so that a notebook asserts what the words
say. They, the label budget :data:`ALL` and its wording (:func:`budget_text`, :func:`budget_phrase`) live
in :mod:`tlearn.guide` and are importable from here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from . import checks
from .guide import (  # noqa: F401  (re-exported: the guide in words, importable from here as before)
    ALL,
    SOURCE_CLAIMS,
    _points,
    _short,
    budget_phrase,
    budget_text,
    claims_markdown,
    guide_numbers,
    practitioner_guide,
    source_text_claims,
)
from .results import (
    Estimate,
    from_accuracy,
    from_values,
    t_interval_95,
    wilson_interval_95,
)

__all__ = [
    "ALL",
    "SOURCE_CLAIMS",
    "Comparison",
    "Summary",
    "budget_phrase",
    "budget_text",
    "claims_markdown",
    "guide_numbers",
    "practitioner_guide",
    "source_text_claims",
    "t_interval_95",
    "wilson_interval_95",
]


@dataclass(frozen=True)
class Summary(Estimate):
    """A technique at one budget: an :class:`~tlearn.results.Estimate` (``mean``, 95% interval ``[low,
    high]`` clipped to [0, 1], ``n`` runs, ``protocol`` in words) with the mean training ``seconds`` on the
    target and what the interval is over, ``interval``: ``"runs"``, ``"test images"`` or ``"none"``."""

    seconds: float = 0.0
    interval: str = "none"

    @property
    def runs(self) -> int:
        """How many runs the mean is over (``n``)."""
        return self.n

    def __str__(self) -> str:
        return f"{100 * self.mean:.1f} % [{100 * self.low:.1f}, {100 * self.high:.1f}]"


def _summary(estimate: Estimate, seconds: float, interval: str) -> Summary:
    values = {f.name: getattr(estimate, f.name) for f in fields(Estimate)}
    values["low"], values["high"] = max(0.0, values["low"]), min(1.0, values["high"])  # accuracies live in [0, 1]
    return Summary(**values, seconds=seconds, interval=interval)


class Comparison:
    """Runs of several techniques on one or more targets, at several label budgets.

    ``add(target, technique, labels, accuracy, seconds, n_test)`` records one run; ``labels`` is the number
    of labelled examples per class (0, 1, 5, ..., or :data:`ALL`), ``seconds`` the training time on the
    target, ``n_test`` the number of test examples (it gives a single run its Wilson interval).
    """

    def __init__(self):
        self._runs: dict[tuple[str, str, float], list[tuple[float, float, int | None]]] = {}

    # --- recording ------------------------------------------------------------------------------------
    def add(
        self, target: str, technique: str, labels, accuracy: float, seconds: float = 0.0, n_test: int | None = None
    ) -> None:
        for name, value in (("target", target), ("technique", technique)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{name} must be a non-empty string, got {value!r}")
        if (
            isinstance(labels, bool)
            or not isinstance(labels, (int, float))
            or not (labels == ALL or (labels >= 0 and float(labels).is_integer()))
        ):
            raise ValueError(
                f"labels must be a whole number of labelled examples per class >= 0, or "
                f"tlearn.compare.ALL, got {labels!r}"
            )
        accuracy = checks.fraction("accuracy", accuracy)
        seconds = checks.number("seconds", seconds, non_negative=True)
        if n_test is not None:
            checks.positive_int("n_test", n_test)
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
            raise ValueError(
                f"{technique!r} was not run on {target!r} with {budget_text(labels)} labels per class "
                f"(measured budgets: {measured})"
            )
        return [a for a, _, _ in self._runs[key]]

    # --- summaries ------------------------------------------------------------------------------------
    def mean(self, target: str, technique: str, labels) -> float:
        """Mean accuracy of ``technique`` on ``target`` at ``labels`` per class."""
        return self.summary(target, technique, labels).mean

    def seconds(self, target: str, technique: str, labels) -> float:
        """Mean training seconds on the target of ``technique`` at ``labels`` per class."""
        return self.summary(target, technique, labels).seconds

    def best(self, target: str, techniques, labels) -> str:
        """The technique with the highest mean accuracy among ``techniques``, all measured at ``labels``."""
        techniques = list(techniques)
        if not techniques:
            raise ValueError("techniques is empty; name at least one technique measured on the target")
        return max(techniques, key=lambda name: self.mean(target, name, labels))

    def summary(self, target: str, technique: str, labels) -> Summary:
        """Mean accuracy with its 95% interval: Student t over runs, or Wilson over test images for one run."""
        accs = self.accuracies(target, technique, labels)
        runs = self._runs[(target, technique, float(labels))]
        seconds = sum(s for _, s, _ in runs) / len(runs)
        if len(accs) >= 2:
            estimate = from_values(accs, f"mean over {len(accs)} runs; Student-t interval over runs", student_t=True)
            return _summary(estimate, seconds, "runs")
        n_test = runs[0][2]
        if n_test is None:
            return Summary(
                accs[0],
                accs[0],
                accs[0],
                1,
                "one run; no interval (number of test images not given)",
                (accs[0],),
                seconds=seconds,
                interval="none",
            )
        estimate = from_accuracy(accs[0], n_test, f"one run; Wilson interval over {n_test} test images")
        return _summary(estimate, seconds, "test images")

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

    def recommend(
        self, target: str, labels, max_seconds: float = math.inf, tolerance: float = 0.0
    ) -> tuple[str, float, Summary] | None:
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
                text += (
                    f"; within {100 * tolerance:.0f} points and {best.seconds / max(pick[2].seconds, 1e-9):.0f}x "
                    f"faster: {pick[0]} ({100 * pick[2].mean:.1f} %, {pick[2].seconds:.2g} s against "
                    f"{best.seconds:.2g} s)"
                )
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
