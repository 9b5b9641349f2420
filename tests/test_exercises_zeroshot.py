"""The zero-shot exercise checker (notebook 06) accepts the solution and rejects wrong answers."""

import torch

from tlearn import exercises_zeroshot as ex
from tlearn import zeroshot as zs


def per_class(pred, true):
    return torch.stack([(pred[true == c] == c).float().mean() for c in true.unique()]).mean()


def solution(scores, targets, seen, unseen, gamma):  # the notebook's collapsed solution
    stacked = scores.clone()
    stacked[:, seen] -= gamma  # s(x, a_c) - gamma 1[c in S]
    pred = stacked.argmax(1)  # every class competes
    is_seen = torch.isin(targets, seen)
    acc_s, acc_u = per_class(pred[is_seen], targets[is_seen]), per_class(pred[~is_seen], targets[~is_seen])
    return 2 * acc_s * acc_u / (acc_s + acc_u)


def test_accepts_the_solution(capsys):
    assert ex.check_calibrated_harmonic_mean(solution)
    assert capsys.readouterr().out.startswith("Correct")


def test_accepts_tlearns_own_function():
    def with_tlearn(scores, targets, seen, unseen, gamma):
        return zs.generalized_accuracy(scores, targets, seen, unseen, gamma)["harmonic"]

    assert ex.check_calibrated_harmonic_mean(with_tlearn, verbose=False)


def test_inputs_are_unbalanced_and_favour_seen_classes():
    scores, targets, seen, unseen = ex.zeroshot_exercise_inputs(seed=0)
    counts = torch.bincount(targets, minlength=scores.shape[1])
    assert counts.min() >= 1 and counts.max() >= 5 * counts.min()
    plain = zs.generalized_accuracy(scores, targets, seen, unseen)
    assert plain["unseen_as_seen"] > 0.2  # so that calibration matters


def _pooled(scores, targets, seen, unseen, gamma):  # accuracy over images, not per class
    stacked = scores.clone()
    stacked[:, seen] -= gamma
    pred = stacked.argmax(1)
    is_seen = torch.isin(targets, seen)
    s, u = (pred[is_seen] == targets[is_seen]).float().mean(), (pred[~is_seen] == targets[~is_seen]).float().mean()
    return 2 * s * u / (s + u)


def _wrong_side(scores, targets, seen, unseen, gamma):  # subtracts gamma from the unseen classes
    return solution(scores, targets, unseen, seen, gamma)


def _arithmetic(scores, targets, seen, unseen, gamma):
    stacked = scores.clone()
    stacked[:, seen] -= gamma
    pred = stacked.argmax(1)
    is_seen = torch.isin(targets, seen)
    return (per_class(pred[is_seen], targets[is_seen]) + per_class(pred[~is_seen], targets[~is_seen])) / 2


def _no_calibration(scores, targets, seen, unseen, gamma):
    return solution(scores, targets, seen, unseen, 0.0)


def _in_place(scores, targets, seen, unseen, gamma):  # ignores gamma's sign: adds it
    return solution(scores, targets, seen, unseen, -gamma)


WRONG = {
    "accuracy over images": _pooled,
    "gamma on the unseen side": _wrong_side,
    "arithmetic mean": _arithmetic,
    "gamma ignored": _no_calibration,
    "gamma added": _in_place,
    "not a number": lambda *args: "H",
    "raises": lambda *args: 1 / 0,
    "left undone": lambda *args: None,
}


def test_rejects_wrong_answers(capsys):
    for name, wrong in WRONG.items():
        assert not ex.check_calibrated_harmonic_mean(wrong), name
        assert capsys.readouterr().out.startswith("Not yet"), name
