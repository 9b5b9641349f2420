"""Checking functions for the implementation exercises of notebooks 01 (fine-tuning) and 02 (feature
extraction).

Each checker takes the learner's function, runs it on inputs it makes itself against tlearn's own
implementation, prints a short verdict and returns ``True`` or ``False``. It never raises on a wrong
answer, so a notebook runs with the exercise left undone.
"""

from __future__ import annotations

import torch


def _say(ok: bool, message: str, verbose: bool) -> bool:
    if verbose:
        print(("Correct: " if ok else "Not yet: ") + message)
    return ok


# --- notebook 01: discriminative learning rates -------------------------------------------------------
def check_layerwise_groups(fn, verbose: bool = True) -> bool:
    r"""Check ``fn(model, lr, head_mult, decay) -> [{"params": [...], "lr": float}, ...]``, optimizer
    parameter groups with the head at :math:`m\eta` and backbone block :math:`l` of :math:`L` at
    :math:`\eta\, d^{\,L-1-l}` (the top block at :math:`\eta`), against :func:`tlearn.finetune.param_groups`
    on a :class:`tlearn.backbones.Classifier` over a Conv4 (``model.backbone.blocks``, ``model.head``).
    Every parameter must appear in exactly one group; the order and number of groups do not matter."""
    from .backbones import Classifier, Conv4
    from .finetune import param_groups

    for lr, head_mult, decay in [(1e-3, 10.0, 0.5), (3e-4, 4.0, 1 / 2.6)]:
        model = Classifier(Conv4(), 10)
        want = {id(p): g["lr"] for g in param_groups(model, lr, head_mult=head_mult, decay=decay) for p in g["params"]}
        try:
            groups = fn(model, lr, head_mult, decay)
            got = {}
            for group in groups:
                for p in group["params"]:
                    if id(p) in got:
                        return _say(False, "a parameter appears in two groups; each belongs to exactly one", verbose)
                    got[id(p)] = float(group["lr"])
        except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
            return _say(False, f"your function raised {type(error).__name__}: {error}", verbose)
        names = {id(p): n for n, p in model.named_parameters()}
        missing = [names[i] for i in want if i not in got]
        if missing:
            return _say(False, f"{len(missing)} parameters are in no group, e.g. {missing[0]}", verbose)
        for i, rate in want.items():
            if abs(got[i] - rate) > 1e-9 * rate:
                return _say(
                    False,
                    f"{names[i]} trains at {got[i]:.3g}, expected {rate:.3g} (lr={lr}, "
                    f"head_mult={head_mult}, decay={decay:.3g}): the top block at lr, each block "
                    "below at decay times the one above, the head at head_mult * lr",
                    verbose,
                )
    return _say(True, "your groups give every parameter tlearn's layer-wise rate.", verbose)


# --- notebook 02: a nearest-class-mean probe ----------------------------------------------------------
def nearest_class_mean_reference(
    train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor
) -> torch.Tensor:
    r"""Predicted classes of a nearest-class-mean probe: :math:`\hat y = \arg\min_k \|h - \mu_k\|^2` with
    :math:`\mu_k` the mean training feature of class :math:`k` (the Prototypical head of
    :func:`tlearn.fewshot.base.class_means`, without training)."""
    from .fewshot.base import class_means

    means = class_means(train_features, train_labels, int(train_labels.max()) + 1)
    return torch.cdist(test_features, means).argmin(1)


def check_nearest_class_mean(fn, trials: int = 3, verbose: bool = True) -> bool:
    r"""Check ``fn(train_features [N, D], train_labels [N], test_features [M, D]) -> predicted labels [M]``,
    a nearest-class-mean probe (Euclidean distance to each class's mean training feature), on random
    features whose classes have different numbers of examples (which an average over the wrong axis, or a
    per-example nearest neighbour, gets wrong)."""
    for trial in range(trials):
        g = torch.Generator().manual_seed(trial)
        n_classes, dim = 4 + trial, 6
        centres = 2 * torch.randn(n_classes, dim, generator=g)
        train_labels = torch.cat([torch.full((2 + c % 3 * 3,), c) for c in range(n_classes)])
        train = centres[train_labels] + 1.5 * torch.randn(len(train_labels), dim, generator=g)
        test = centres[torch.arange(40) % n_classes] + 1.5 * torch.randn(40, dim, generator=g)
        want = nearest_class_mean_reference(train, train_labels, test)
        try:
            got = fn(train.clone(), train_labels.clone(), test.clone())
        except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
            return _say(False, f"your function raised {type(error).__name__}: {error}", verbose)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(want.shape):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return _say(False, f"return a tensor of {len(want)} predicted labels, got {shape}", verbose)
        wrong = int((got.long() != want).sum())
        if wrong:
            return _say(
                False,
                f"{wrong} of {len(want)} predictions differ from the nearest class mean "
                "(average the training features of each class, then take the closest mean)",
                verbose,
            )
    return _say(True, f"your probe predicts the nearest class mean on {trials} random problems.", verbose)
