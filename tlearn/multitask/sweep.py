"""The soft-sharing dial measured: one :class:`~tlearn.multitask.SoftSharing` model per penalty strength
lambda, each from the same initial networks, with the parameter distance it leaves and its accuracy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import nn

from ..train import seed_everything
from .evaluate import evaluate_multitask
from .soft import SoftSharing
from .training import fit_multitask
from .weighting import FixedWeighting


def lambda_sweep(
    make_trunk: Callable[[], nn.Module],
    tasks: Mapping[str, int],
    train,
    test,
    lams: Sequence[float],
    *,
    weights: Mapping[str, float] | None = None,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 64,
    cosine: bool = False,
    same_init: bool = True,
    seed: int = 0,
    device="auto",
) -> list[dict]:
    """Train one ``SoftSharing`` model per lambda (same seed, same initial networks) and measure it.

    Returns one row per lambda: ``lam``, ``distance`` (between the task trunks after training),
    ``initial_distance``, test accuracy per task and their ``mean``, and ``seconds``.
    """
    if isinstance(lams, (int, float)) or len(lams) == 0:
        raise ValueError(f"lams = {lams!r}: give a non-empty list of penalty strengths, e.g. [0, 0.01, 1]")
    rows = []
    for lam in lams:
        seed_everything(seed)  # every lambda starts from the same pair of initial networks
        model = SoftSharing(make_trunk, tasks, lam=lam, same_init=same_init)
        initial = model.parameter_distance()
        weighting = FixedWeighting(list(model.tasks), weights)
        history = fit_multitask(
            model,
            train,
            weighting=weighting,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            cosine=cosine,
            seed=seed,
            device=device,
            progress=False,
        )
        accs = evaluate_multitask(model, test, device=device)
        rows.append(
            {
                "lam": float(lam),
                "distance": model.parameter_distance(),
                "initial_distance": initial,
                **accs,
                "seconds": history.seconds,
            }
        )
    return rows
