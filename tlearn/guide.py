r"""Which technique when, in words: the label budget, a practitioner's guide, and the source text's claims.

A **label budget** :math:`k` is the number of labelled examples of each target class: 0 (none), 1, 5, ...,
or :data:`ALL`, every labelled example there is. :func:`budget_text` and :func:`budget_phrase` write it
in a table and in a sentence.

:func:`practitioner_guide` answers the questions a practitioner asks (no labels but descriptions of the
classes, no labels but a labelled neighbouring domain, one label per class, a few, all) in one sentence
each, from the runs recorded in a :class:`tlearn.compare.Comparison`. Its numbers are
:func:`guide_numbers`: at every budget :math:`k > 0`, the best technique :math:`b_k` and the gaps

.. math::  \Delta^{frozen}_k = \bar a_{b_k}(k) - \max_{m \in frozen} \bar a_m(k), \qquad
           \Delta^{scratch}_k = \bar a_{b_k}(k) - \bar a_{scratch}(k),

and the cost ratio of fine-tuning to a probe, :math:`\min_k s_{fine-tuning}(k) / s_{probe}(k)` in
training seconds. Both are returned, so that a notebook asserts what the sentences say.

:func:`source_text_claims` sets the source text's two causal claims (:data:`SOURCE_CLAIMS`) against a
near and a far target. Fine-tuning's effectiveness is its lead over training the same network from
scratch, :math:`\bar a_{fine-tuning}(k) - \bar a_{scratch}(k)`; feature extraction's usefulness is the
probe's lead over fine-tuning, :math:`\bar a_{probe}(k) - \bar a_{fine-tuning}(k)`. A claim holds when
its lead, summed over the budgets, is larger on the target it names. The size-and-similarity rule it is
measured against is Yosinski et al., *How transferable are features in deep neural networks?* (NeurIPS
2014) and CS231n's notes on transfer learning. :func:`claims_markdown` puts the verdicts in a table.
"""

from __future__ import annotations

import math

__all__ = [
    "ALL",
    "SOURCE_CLAIMS",
    "budget_phrase",
    "budget_text",
    "claims_markdown",
    "guide_numbers",
    "practitioner_guide",
    "source_text_claims",
]

ALL = math.inf  # the label budget "every labelled example there is"


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


def _short(target: str) -> str:
    return target.split(": ", 1)[-1]  # "A: new alphabet" -> "new alphabet"


def _points(x: float) -> str:
    return f"{100 * x:.0f} point{'' if round(100 * x) == 1 else 's'}"


def guide_numbers(
    c,
    targets,
    *,
    frozen,
    trained,
    scratch: str = "from scratch",
    fine_tuning: str = "fine-tuning",
    probe: str = "linear probe",
) -> dict:
    """From ``c`` (a :class:`~tlearn.compare.Comparison`), what the practitioner's guide says, as numbers,
    for every target and every budget ``k > 0`` at which ``fine_tuning`` was measured: ``best`` technique
    among ``frozen + trained``; ``frozen_gap``, how far the best ``frozen`` technique is behind it;
    ``scratch_gap``, how far ``scratch`` is behind it; and ``speedup``, per target the smallest ratio of
    ``fine_tuning``'s training seconds to ``probe``'s."""
    learned = list(frozen) + list(trained)
    budgets = {t: [b for b in c.budgets(t, fine_tuning) if b > 0] for t in targets}
    pairs = [(t, k) for t in targets for k in budgets[t]]
    best = {(t, k): c.best(t, learned, k) for t, k in pairs}
    return {
        "budgets": budgets,
        "best": best,
        "frozen_gap": {(t, k): c.mean(t, best[t, k], k) - c.mean(t, c.best(t, frozen, k), k) for t, k in pairs},
        "scratch_gap": {(t, k): c.mean(t, best[t, k], k) - c.mean(t, scratch, k) for t, k in pairs},
        "speedup": {t: min(c.seconds(t, fine_tuning, k) / c.seconds(t, probe, k) for k in budgets[t]) for t in targets},
    }


def practitioner_guide(
    c,
    near: str,
    far: str,
    *,
    zero_shot: str,
    adaptation: str,
    frozen,
    trained,
    chance: float,
    scratch: str = "from scratch",
    fine_tuning: str = "fine-tuning",
    probe: str = "linear probe",
    margin: float = 0.03,
) -> tuple[list[str], dict]:
    """The questions a practitioner asks, answered in five sentences from the runs recorded in ``c`` (a
    :class:`~tlearn.compare.Comparison`): no labels but descriptions (``zero_shot`` on ``near``, against ``chance``), no target labels but a neighbouring
    domain (``adaptation`` on ``far``), one label per class, a few labels and more, all labels. Returns
    the sentences and :func:`guide_numbers` (plus the two zero-label accuracies) so that a notebook can
    assert what they say. Two accuracies closer than ``margin`` are called "about as good as"."""
    n = guide_numbers(
        c, (near, far), frozen=frozen, trained=trained, scratch=scratch, fine_tuning=fine_tuning, probe=probe
    )
    best, frozen_gap, scratch_gap, budgets = n["best"], n["frozen_gap"], n["scratch_gap"], n["budgets"]
    mean = c.mean
    n["zero_shot"], n["adaptation"] = mean(near, zero_shot, 0), mean(far, adaptation, 0)
    at_one = {t: mean(t, best[t, 1], 1) for t in (near, far)}
    gap = n["adaptation"] - at_one[far]
    relation = "about as good as" if abs(gap) < margin else ("better than" if gap > 0 else "worse than")

    def behind(t):
        worst = max(frozen_gap[t, k] for k in budgets[t])
        return (
            f"a frozen technique is the best at every budget on the {_short(t)}"
            if worst <= 0
            else f"the best frozen technique is at most {_points(worst)} behind the best on the {_short(t)}"
        )

    def closing(t):
        first, last = scratch_gap[t, budgets[t][0]], scratch_gap[t, budgets[t][-1]]
        return (
            f"{'closes in' if last < first else 'does not close in'} on the {_short(t)} ({_points(first)} "
            f"behind the best with {budget_phrase(budgets[t][0])}, {_points(last)} with "
            f"{budget_phrase(budgets[t][-1])})"
        )

    wins = [(t, k) for t in (near, far) for k in budgets[t] if best[t, k] == fine_tuning]
    sentences = [
        (
            f"No labels, but descriptions of the classes: zero-shot learning names {n['zero_shot']:.0%} of the "
            f"{_short(near)}'s test images, {n['zero_shot'] / chance:.1f}x chance; one label per class does "
            f"{'better' if at_one[near] > n['zero_shot'] else 'worse'} ({best[near, 1]}: {at_one[near]:.0%})."
        ),
        (
            f"No target labels, but a labelled neighbouring domain: {adaptation} reaches {n['adaptation']:.0%} on the "
            f"{_short(far)}, {relation} one label per class ({best[far, 1]}: {at_one[far]:.0%}), for "
            f"{c.seconds(far, adaptation, 0):.0f} s of training."
        ),
        "One label per class: reuse the pretrained network. Best: "
        + "; ".join(
            f"{best[t, 1]} on the {_short(t)} ({at_one[t]:.0%}), "
            + (
                "which trains nothing on the target"
                if best[t, 1] in frozen
                else f"{_points(frozen_gap[t, 1])} ahead of the best frozen technique"
            )
            for t in (near, far)
        )
        + f". Training from scratch is {_points(scratch_gap[near, 1])} and {_points(scratch_gap[far, 1])} behind.",
        "A few labels and more: "
        + "; ".join(behind(t) for t in (near, far))
        + f". The probe trains at least {min(n['speedup'].values()):.0f}x faster than fine-tuning. "
        + (
            (
                f"Fine-tuning comes out on top with {', '.join(f'{budget_phrase(k)} on the {_short(t)}' for t, k in wins)}"
                ": there, training the whole network buys the last points, at many times the cost."
            )
            if wins
            else "Fine-tuning never comes out on top here: start with a probe."
        ),
        f"All labels: training from scratch {closing(near)}, and {closing(far)}.",
    ]
    return sentences, n


SOURCE_CLAIMS = (
    "fine-tuning is particularly effective when the new task has a similar data distribution",
    "feature extraction is particularly useful when the new task has a different data distribution",
)


def source_text_claims(
    c,
    near: str,
    far: str,
    budgets,
    *,
    probe: str = "linear probe",
    fine_tuning: str = "fine-tuning",
    scratch: str = "from scratch",
) -> list[dict]:
    """The two causal claims of the source text (:data:`SOURCE_CLAIMS`) against the runs recorded, on a
    ``near`` and a ``far`` target at each of ``budgets``. Fine-tuning's effectiveness is its lead over
    training the same network from ``scratch`` (what the pretrained start buys); feature extraction's
    usefulness is the ``probe``'s lead over ``fine_tuning``. A claim holds when its quantity, averaged over
    the budgets, is larger on the target it names. Each claim is a dict: ``says``, ``lead`` ({target: [per
    budget]}), ``holds``, ``measured`` and ``why`` (sentences from the numbers). ``c`` is a
    :class:`~tlearn.compare.Comparison`, or any function ``mean(target, technique, budget)`` giving the mean
    accuracy of a technique (notebook 01 passes its own grid of runs this way)."""
    budgets = list(budgets)
    mean = c.mean if hasattr(c, "mean") else c
    if not callable(mean):
        raise TypeError(f"c must be a Comparison or a function mean(target, technique, budget), got {type(c).__name__}")

    def lead(t, a, b):
        return [mean(t, a, k) - mean(t, b, k) for k in budgets]

    def words(leads):
        return "; ".join(
            f"{_short(t)}: "
            + ", ".join(f"{100 * x:+.1f} points with {budget_phrase(k)}" for x, k in zip(leads[t], budgets))
            for t in (near, far)
        )

    out = []
    for says, leads, named, other in (
        (SOURCE_CLAIMS[0], {t: lead(t, fine_tuning, scratch) for t in (near, far)}, near, far),
        (SOURCE_CLAIMS[1], {t: lead(t, probe, fine_tuning) for t in (near, far)}, far, near),
    ):
        holds = sum(leads[named]) > sum(leads[other])
        out.append({"says": says, "lead": leads, "holds": holds})
    ft, fe = out
    ft["measured"] = f"{fine_tuning}'s lead over {scratch}: {words(ft['lead'])}."
    fe["measured"] = f"the {probe}'s lead over {fine_tuning}: {words(fe['lead'])}."
    ft["why"] = (
        f"A start learnt on similar data is closer to a solution, so the same steps from it go further on the "
        f"{_short(near)}; on the {_short(far)} less of it applies."
        if ft["holds"]
        else f"The pretrained start bought more on the {_short(far)}: there, training from scratch is further behind."
    )
    fe["why"] = (
        f"On the {_short(far)}, training the network on few labels lost more to overfitting than its "
        f"frozen features lost by not adapting."
        if fe["holds"]
        else f"Frozen features are worth most where they were learnt: on the {_short(near)} they already separate "
        f"the new classes, and training them on few labels adds noise; on the {_short(far)} they miss what "
        f"tells its classes apart, and fine-tuning recovers it. The size-and-similarity rule (CS231n; "
        f"Yosinski et al. 2014) says the same: freeze for a similar target, fine-tune a different one."
    )
    for claim in out:
        claim["measured"] = ("Holds" if claim["holds"] else "Does not hold") + " in this run: " + claim["measured"]
    return out


def claims_markdown(claims) -> str:
    """A Markdown box "The source text says / We measured / Why", one row per claim."""
    rows = [f"| \u201c{c['says']}\u201d | {c['measured']} | {c['why']} |" for c in claims]
    return "\n".join(["| The source text says | We measured | Why |", "|---|---|---|", *rows])
