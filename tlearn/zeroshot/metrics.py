r"""How zero-shot models are scored: conventional and generalized accuracy, and calibrated stacking.

**Conventional** zero-shot accuracy lets only the unseen classes compete and averages the accuracy per
class, so that a frequent class does not dominate (Xian, Lampert, Schiele and Akata, *Zero-shot learning:
a comprehensive evaluation of the good, the bad and the ugly*, TPAMI 2019, eq. 10):

.. math:: \mathrm{acc}_{\mathcal Y} = \frac{1}{\|\mathcal Y\|} \sum_{c=1}^{\|\mathcal Y\|}
          \frac{\#\,\text{correct predictions in } c}{\#\,\text{samples in } c}.

**Generalized** zero-shot (Chao, Changpinyo, Gong and Sha, *An empirical study and analysis of
generalized zero-shot learning for object recognition in the wild*, ECCV 2016) lets every class compete,
seen and unseen. Xian et al. report the per-class accuracy on seen-class test images
:math:`\mathrm{acc}_S`, on unseen-class images :math:`\mathrm{acc}_U`, and their harmonic mean (eq. 11)

.. math:: H = \frac{2 \cdot \mathrm{acc}_S \cdot \mathrm{acc}_U}{\mathrm{acc}_S + \mathrm{acc}_U},

which is high only when both are. A model trained on seen classes scores them higher, so most unseen
images are taken for a seen class. **Calibrated stacking** (Chao et al. 2016, eq. 4) subtracts a constant
from every seen-class score,

.. math:: \hat y = \arg\max_{c \in \mathcal T}\; f_c(x) - \gamma\, \mathbb{I}[c \in \mathcal S];

sweeping :math:`\gamma` traces the seen-unseen accuracy curve, and the area under it (AUSUC) summarises a
model whatever :math:`\gamma`.

Where tlearn departs: :func:`stacking_curve` places the constants at quantiles of the per-image margin
(best seen score minus best unseen score) rather than on a fixed grid, so every model's curve runs from
"everything is seen" to "everything is unseen" in the same number of points.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import checks
from . import _inputs
from .splits import check_split


def _per_class_accuracy(pred: torch.Tensor, true: torch.Tensor) -> float:
    # acc = 1/|Y| sum_c (correct in c) / (samples in c)
    per_class = [(pred[true == c] == c).float().mean() for c in torch.unique(true)]
    return float(torch.stack(per_class).mean())


def per_class_accuracy(predictions, targets) -> float:
    """Accuracy averaged over the classes present in ``targets`` (each class counts equally)."""
    pred = torch.as_tensor(predictions).long().reshape(-1)
    true = torch.as_tensor(targets).long().reshape(-1)
    if len(true) == 0:
        raise ValueError("targets is empty; accuracy needs at least one test image")
    checks.same_length(predictions=pred, targets=true)
    return _per_class_accuracy(pred, true)


def _harmonic(acc_s: float, acc_u: float) -> float:
    total = acc_s + acc_u
    return 0.0 if total == 0 else 2 * acc_s * acc_u / total  # H = 2 acc_S acc_U / (acc_S + acc_U)


def harmonic_mean(seen_accuracy: float, unseen_accuracy: float) -> float:
    """:math:`H = 2 a_S a_U / (a_S + a_U)`, and 0 when both accuracies are 0."""
    return _harmonic(
        checks.fraction("seen_accuracy", seen_accuracy), checks.fraction("unseen_accuracy", unseen_accuracy)
    )


def zero_shot_accuracy(scores, targets, unseen) -> float:
    """Conventional zero-shot accuracy: only unseen classes compete; mean per-class accuracy.

    ``scores`` ``[N, C]`` has a column per class id; ``targets`` must all be unseen classes.
    """
    s, t = _inputs.scores(scores, targets)
    unseen = checks.class_ids("unseen", unseen, s.shape[1])
    outside = torch.unique(t[~torch.isin(t, unseen)])
    if len(outside):
        raise ValueError(
            f"targets contain classes {outside.tolist()} that are not in unseen; conventional "
            "zero-shot accuracy is measured on images of unseen classes only"
        )
    return _per_class_accuracy(unseen[s[:, unseen].argmax(1)], t)


def _stacked(s: torch.Tensor, seen: torch.Tensor, calibration: float) -> torch.Tensor:
    out = s.clone()
    out[:, seen] -= calibration  # f_c(x) - gamma * I[c in S]
    return out


def calibrated_stacking(scores, seen, calibration: float) -> torch.Tensor:
    """Scores with ``calibration`` subtracted from every seen-class column (Chao et al. 2016)."""
    s = checks.tensor("scores", scores, dim=2, finite=False).detach().float()
    return _stacked(s, checks.class_ids("seen", seen, s.shape[1]), checks.number("calibration", float(calibration)))


def _generalized(
    s: torch.Tensor, t: torch.Tensor, seen: torch.Tensor, unseen: torch.Tensor, calibration: float
) -> dict:
    candidates = torch.cat([seen, unseen])
    is_seen, is_unseen = torch.isin(t, seen), torch.isin(t, unseen)
    pred = candidates[_stacked(s, seen, calibration)[:, candidates].argmax(1)]
    acc_s = _per_class_accuracy(pred[is_seen], t[is_seen])
    acc_u = _per_class_accuracy(pred[is_unseen], t[is_unseen])
    return {
        "seen": acc_s,
        "unseen": acc_u,
        "harmonic": _harmonic(acc_s, acc_u),
        "unseen_as_seen": float(torch.isin(pred[is_unseen], seen).float().mean()),
    }


def _generalized_inputs(scores, targets, seen, unseen):
    s, t = _inputs.scores(scores, targets)
    seen, unseen = check_split(seen, unseen, s.shape[1])
    outside = torch.unique(t[~torch.isin(t, torch.cat([seen, unseen]))])
    if len(outside):
        raise ValueError(f"targets contain classes {outside.tolist()} that are neither seen nor unseen")
    n_seen, n_unseen = int(torch.isin(t, seen).sum()), int(torch.isin(t, unseen).sum())
    if not n_seen or not n_unseen:
        raise ValueError(
            "generalized accuracy needs test images of both seen and unseen classes; "
            f"got {n_seen} seen and {n_unseen} unseen"
        )
    return s, t, seen, unseen


def generalized_accuracy(scores, targets, seen, unseen, calibration: float = 0.0) -> dict:
    """Generalized zero-shot: seen and unseen classes all compete.

    Returns ``{"seen", "unseen", "harmonic", "unseen_as_seen"}``: mean per-class accuracy on test images
    of seen classes and of unseen classes, their harmonic mean, and the fraction of unseen-class images
    predicted as some seen class (the bias that calibrated stacking corrects).
    """
    s, t, seen, unseen = _generalized_inputs(scores, targets, seen, unseen)
    return _generalized(s, t, seen, unseen, checks.number("calibration", float(calibration)))


def stacking_curve(scores, targets, seen, unseen, calibrations=None, n_points: int = 41) -> dict:
    """Generalized accuracies over a sweep of the calibration constant.

    By default the constants are quantiles of the per-image margin (best seen score minus best unseen
    score) plus one step past each end, so the sweep runs from "every image is called seen" to "every
    image is called unseen". Returns arrays ``calibration``, ``seen``, ``unseen``, ``harmonic``, the
    ``best`` constant (highest harmonic mean) and ``auc``, the area under the seen-unseen curve (AUSUC).
    """
    s, t, seen, unseen = _generalized_inputs(scores, targets, seen, unseen)
    if calibrations is None:
        n_points = checks.positive_int("n_points", n_points)
        if n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
        margin = s[:, seen].max(1).values - s[:, unseen].max(1).values
        inner = torch.quantile(margin, torch.linspace(0, 1, n_points))
        step = float(margin.max() - margin.min()) / n_points + 1e-6
        calibrations = torch.cat([inner[:1] - step, inner, inner[-1:] + step])
    calibrations = checks.tensor("calibrations", torch.as_tensor(calibrations, dtype=torch.float32).reshape(-1))
    if len(calibrations) == 0:
        raise ValueError("calibrations is empty; pass at least one constant or None for an automatic sweep")
    rows = [_generalized(s, t, seen, unseen, float(c)) for c in calibrations]
    curve = {key: np.array([r[key] for r in rows]) for key in ("seen", "unseen", "harmonic")}
    curve["calibration"] = calibrations.numpy()
    curve["best"] = float(calibrations[int(np.argmax(curve["harmonic"]))])
    # AUSUC: trapezoid rule over the curve traced in order of unseen accuracy
    order = np.argsort(curve["unseen"], kind="stable")
    u, a = curve["unseen"][order], curve["seen"][order]
    curve["auc"] = float(np.sum(np.diff(u) * (a[1:] + a[:-1]) / 2))
    return curve


def confusion_matrix(scores, targets, classes) -> torch.Tensor:
    """Row-normalised confusion ``[K, K]`` among ``classes`` only (row: true class, column: predicted)."""
    s, t = _inputs.scores(scores, targets)
    classes = checks.class_ids("classes", classes, s.shape[1])
    outside = torch.unique(t[~torch.isin(t, classes)])
    if len(outside):
        raise ValueError(f"targets contain classes {outside.tolist()} that are not in classes")
    position = torch.full((s.shape[1],), -1, dtype=torch.long)
    position[classes] = torch.arange(len(classes))
    pred = s[:, classes].argmax(1)
    counts = torch.zeros(len(classes), len(classes))
    counts.index_put_((position[t], pred), torch.ones(len(t)), accumulate=True)
    return counts / counts.sum(1, keepdim=True).clamp_min(1)


def mean_predicted_attributes(predicted, targets, classes) -> torch.Tensor:
    """Average predicted attribute vector ``[K, A]`` of the images of each class in ``classes``."""
    p = _inputs.matrix("predicted", predicted)
    t = _inputs.labels("targets", targets, len(p))
    rows = []
    for c in checks.class_ids("classes", classes).tolist():
        mask = t == c
        if not mask.any():
            raise ValueError(f"class {c} has no images in targets; choose classes that appear in the test set")
        rows.append(p[mask].mean(0))
    return torch.stack(rows)


def one_shot_reference(features, targets, draws: int = 5, seed: int = 0) -> float:
    """What one labelled image per class buys, to weigh a description against: draw one image of every
    class in ``targets`` as support (draw ``d`` uses seed ``seed + d``), name every other image after its
    nearest support image (Euclidean distance between ``features`` rows), and average the mean per-class
    accuracy over ``draws`` draws."""
    from ..probes import per_class_indices

    x = _inputs.matrix("features", features)
    t = _inputs.labels("targets", targets, len(x))
    draws = checks.positive_int("draws", draws)
    accuracies = []
    for d in range(draws):
        support = per_class_indices(t, 1, seed=seed + d)
        query = torch.ones(len(t), dtype=torch.bool)
        query[support] = False
        if not query.any():
            raise ValueError("every class has a single image: no image is left to classify after the support")
        nearest = torch.cdist(x[query], x[support]).argmin(1)  # the nearest support image's class
        accuracies.append(_per_class_accuracy(t[support][nearest], t[query]))
    return float(np.mean(accuracies))
