r"""Checking function for the implementation exercise of notebook 06 (zero-shot learning).

The learner writes the generalized zero-shot harmonic mean after calibrated stacking (Chao, Changpinyo,
Gong and Sha, ECCV 2016, eq. 4; Xian, Lampert, Schiele and Akata, TPAMI 2019, eqs. 10-11):

.. math:: \hat y(x) = \arg\max_{c \in \mathcal S \cup \mathcal U}\; s(x, a_c) - \gamma\,\mathbb 1[c \in \mathcal S],
          \qquad H = \frac{2\,\mathrm{acc}_S\,\mathrm{acc}_U}{\mathrm{acc}_S + \mathrm{acc}_U},

where :math:`\mathrm{acc}_S` and :math:`\mathrm{acc}_U` are *per-class* accuracies (each class counts
equally) over the test images of seen and of unseen classes. The checker runs the learner's function on
random score matrices with unequal class sizes and compares it with
:func:`tlearn.zeroshot.generalized_accuracy`. Like the other checkers it prints a verdict and returns
``True`` or ``False``; it never raises on a wrong answer.
"""

from __future__ import annotations

import torch

from .zeroshot.metrics import generalized_accuracy

__all__ = ["check_calibrated_harmonic_mean", "zeroshot_exercise_inputs"]


def zeroshot_exercise_inputs(seed: int = 0, n_seen: int = 6, n_unseen: int = 4, n_images: int = 120):
    """Random ``(scores [N, C], targets [N], seen, unseen)``: seen classes favoured by a constant (as a
    model trained on them would), class sizes far from equal, and classes in shuffled order."""
    g = torch.Generator().manual_seed(seed)
    n_classes = n_seen + n_unseen
    order = torch.randperm(n_classes, generator=g)
    seen, unseen = order[:n_seen].sort().values, order[n_seen:].sort().values
    weights = torch.rand(n_classes, generator=g) ** 3 + 0.02  # some classes have many images, some few
    targets = torch.multinomial(weights, n_images, replacement=True, generator=g)
    targets[:n_classes] = torch.arange(n_classes)  # every class has at least one test image
    scores = torch.randn(n_images, n_classes, generator=g)
    scores[torch.arange(n_images), targets] += 1.5  # the right class tends to score higher ...
    scores[:, seen] += 1.0  # ... and seen classes are favoured
    return scores, targets, seen, unseen


def check_calibrated_harmonic_mean(fn, trials: int = 4, atol: float = 1e-5, verbose: bool = True) -> bool:
    r"""Check ``fn(scores, targets, seen, unseen, gamma) -> H``, the harmonic mean of per-class seen and
    unseen accuracy when :math:`\gamma` is subtracted from every seen-class score, against
    :func:`tlearn.zeroshot.generalized_accuracy`, at several :math:`\gamma` (0 among them)."""

    def say(ok: bool, message: str) -> bool:
        if verbose:
            print(("Correct: " if ok else "Not yet: ") + message)
        return ok

    for trial in range(trials):
        scores, targets, seen, unseen = zeroshot_exercise_inputs(seed=trial)
        for gamma in (0.0, 0.5 + trial / 2):
            try:
                got = fn(scores.clone(), targets.clone(), seen.clone(), unseen.clone(), gamma)
            except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
                return say(False, f"your function raised {type(error).__name__}: {error}")
            want = generalized_accuracy(scores, targets, seen, unseen, gamma)
            try:
                value = float(got)
            except (TypeError, ValueError):
                return say(False, f"return one number, the harmonic mean H, got {type(got).__name__}")
            if abs(value - want["harmonic"]) > atol:
                return say(
                    False,
                    f"H = {value:.4f} but it should be {want['harmonic']:.4f} at gamma = {gamma} "
                    f"(seen accuracy {want['seen']:.4f}, unseen {want['unseen']:.4f}); subtract gamma "
                    "from the seen columns only, let all classes compete, average accuracy per class, "
                    "then take 2 S U / (S + U)",
                )
    return say(True, f"your H equals tlearn's on {trials} random score matrices, with and without calibration.")
