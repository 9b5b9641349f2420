"""The notebooks' experiments, one call each: two moons (the toy problem of Ganin et al., 2016), one digit
shift with every method between its two bounds, and the features of a trained network."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .. import checks
from ..train import History, evaluate
from .adapt import Adaptation, adapt, adapt_batch_norm, inputs_of
from .dann import DomainDiscriminator, ShallowNetwork
from .metrics import gap_recovered


@torch.no_grad()
def features_of(model: nn.Module, data, batch_size: int = 512, *, own_statistics: bool = False) -> torch.Tensor:
    """The backbone's features of ``data`` (an ImageSet, an ``(X, y)`` pair or a tensor), in eval mode, on CPU.

    ``own_statistics=True`` first re-estimates the batch-norm statistics on ``data`` itself (on a copy of
    the model): that is how a network trained with ``batch_norm="per_domain"`` saw each domain.
    """
    if not hasattr(model, "backbone"):
        raise TypeError(f"model must have a .backbone, got {type(model).__name__}")
    x = inputs_of(data)
    if own_statistics:
        model = adapt_batch_norm(copy.deepcopy(model), x)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = torch.cat([model.backbone(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


@dataclass
class ToyRun:
    """One run of :func:`two_moons_adaptation`: the trained ``model``, its data (``source`` and ``target``
    are ``(X, y)`` pairs; the target labels are used for plots and testing only) and its accuracies."""

    method: str
    rotation: float
    weight: float
    model: nn.Module
    source: tuple
    target: tuple
    target_test: tuple
    source_accuracy: float
    target_accuracy: float
    history: History


def two_moons_adaptation(
    method: str = "dann",
    rotation: float = 30.0,
    weight: float = 6.0,
    *,
    n: int = 300,
    noise: float = 0.1,
    hidden: int = 15,
    steps: int = 600,
    batch_size: int = 64,
    lr: float = 0.5,
    seed: int = 0,
    discriminator_hidden: tuple = (32,),
    mmd_multipliers=(0.25, 0.5, 1.0, 2.0, 4.0),
) -> ToyRun:
    """Train the shallow network (``hidden`` sigmoid units) on ``n`` labelled two-moons points and ``n``
    unlabelled points of the same moons rotated by ``rotation`` degrees, with ``method`` and adaptation
    weight ``weight``; test on 1,000 fresh rotated points.

    The journal paper's toy run (Ganin et al., 2016) uses this shallow network with 15 hidden units and a
    logistic domain regressor: ``discriminator_hidden=()``. The default, ``(32,)``, is an MLP with one hidden
    layer of 32 units; any tuple of widths sets the discriminator's capacity. ``mmd_multipliers`` scale the
    median-heuristic bandwidth of the MMD kernel (one number: one Gaussian).
    """
    from ..data import moons

    rotation = checks.number("rotation", rotation)
    source = moons(n, noise=noise, seed=seed)
    target = moons(n, noise=noise, rotation=rotation, seed=seed + 1)
    target_test = moons(1000, noise=noise, rotation=rotation, seed=seed + 2)
    torch.manual_seed(seed)
    model = ShallowNetwork(2, hidden, 2)
    discriminator = DomainDiscriminator(hidden, hidden_sizes=tuple(discriminator_hidden)) if method == "dann" else None
    run = adapt(
        method,
        model,
        source,
        target[0],
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        weight=weight,
        discriminator=discriminator,
        mmd_multipliers=mmd_multipliers,
        seed=seed,
        device="cpu",
    )
    return ToyRun(
        method,
        rotation,
        weight,
        model,
        source,
        target,
        target_test,
        source_accuracy=evaluate(model, source, device="cpu"),
        target_accuracy=evaluate(model, target_test, device="cpu"),
        history=run.history,
    )


@dataclass
class ShiftComparison:
    """What :func:`compare_methods` returns. ``accuracy`` maps each row name to its target test accuracy;
    ``runs`` maps the trained rows to their :class:`~tlearn.domain.adapt.Adaptation`; ``rows()`` gives the
    results table."""

    name: str
    accuracy: dict
    runs: dict[str, Adaptation]
    seconds: dict

    def gap_recovered(self, row: str) -> float:
        return gap_recovered(self.accuracy[row], self.accuracy["source only"], self.accuracy["train on target"])

    def rows(self) -> list[dict]:
        out = []
        # no gap (train on target no better than source only) means no share of it to report
        has_gap = self.accuracy["train on target"] > self.accuracy["source only"]
        for row, acc in self.accuracy.items():
            bound = row in ("source only", "train on target")
            out.append(
                {
                    "method": row,
                    "target accuracy": acc,
                    "gap recovered": f"{self.gap_recovered(row):.0%}" if has_gap and not bound else None,
                    "train s": round(self.seconds.get(row, 0.0), 1),
                }
            )
        return out


def compare_methods(
    make_model,
    source,
    target,
    target_test,
    *,
    weights: dict | None = None,
    name: str = "",
    methods=("mmd", "coral", "dann"),
    **adapt_kwargs,
) -> ShiftComparison:
    """Train every method of one domain shift with the same settings, and test each on ``target_test``.

    Rows: *source only* (the lower bound), *source only + AdaBN* (the same network with the target's
    batch-norm statistics; no training), MMD, CORAL and DANN (each with its weight from ``weights``) and
    *train on target* (the upper bound: the labels of ``target`` used as if they were known). ``target`` must
    therefore carry labels, which only that bound reads. ``make_model()`` returns a fresh network with
    ``.backbone`` and ``.head``; ``methods`` says which adapting rows to train; ``adapt_kwargs`` go to
    :func:`adapt`.
    """
    weights = {"mmd": 1.0, "coral": 1.0, "dann": 1.0, **(weights or {})}
    unknown = set(weights) - {"mmd", "coral", "dann"}
    if unknown:
        raise ValueError(f"weights has unknown methods {sorted(unknown)}; use mmd, coral and dann")
    if not hasattr(target, "targets"):
        raise TypeError("target must be a labelled ImageSet: its labels train the train-on-target bound only")
    unlabelled = target.images
    accuracy, runs, seconds = {}, {}, {}

    def run(row, method, labelled, weight=1.0):
        result = adapt(method, make_model(), labelled, unlabelled, weight=weight, **adapt_kwargs)
        accuracy[row] = evaluate(result.model, target_test, device=next(result.model.parameters()).device)
        runs[row], seconds[row] = result, result.seconds

    run("source only", "source_only", source)
    adabn = adapt_batch_norm(copy.deepcopy(runs["source only"].model), unlabelled)
    accuracy["source only + AdaBN"] = evaluate(adabn, target_test, device=next(adabn.parameters()).device)
    unknown = set(methods) - {"mmd", "coral", "dann"}
    if unknown:
        raise ValueError(f"methods has unknown entries {sorted(unknown)}; use mmd, coral and dann")
    for method in ("mmd", "coral", "dann"):
        if method in methods:
            run(method.upper(), method, source, weights[method])
    run("train on target", "source_only", target)
    return ShiftComparison(name, accuracy, runs, seconds)
