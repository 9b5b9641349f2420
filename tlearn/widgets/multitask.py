"""The soft-sharing panel (notebook 04)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button


def soft_sharing_panel(
    make_trunk,
    tasks: dict,
    train,
    test,
    *,
    lams=(0.0, 1e-3, 1e-2, 1e-1, 1.0),
    rows=None,
    references=None,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 32,
    cosine: bool = False,
    seed: int = 0,
    device="auto",
) -> W.VBox:
    """Soft sharing's dial: choose lambda and the task weights, press *train*, and see where the trained pair
    of task networks lands: their parameter distance and test accuracy, next to a sweep (``rows``, from
    :func:`tlearn.multitask.lambda_sweep`) and reference accuracies (``references``, ``{label: mean}``).
    Each press trains one :class:`~tlearn.multitask.SoftSharing` model with ``lambda_sweep``."""
    from ..multitask import lambda_sweep
    from ..viz import plot_lambda_sweep

    lams = [float(v) for v in lams]
    if not lams:
        raise ValueError("lams is empty; give the lambda values the slider offers, e.g. (0, 0.01, 1)")
    lam = W.SelectionSlider(options=[(f"{v:g}", v) for v in lams], value=lams[len(lams) // 2], description="lambda")
    weights = {t: W.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description=f"w {t}") for t in tasks}
    train_button = slow_button(
        "train", f"trains two task networks for {epochs} epochs with this lambda and these task weights"
    )
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        chosen = {t: float(s.value) for t, s in weights.items()}
        if sum(chosen.values()) == 0:
            raise ValueError("every task weight is 0: nothing would be learned; raise at least one weight")
        row = lambda_sweep(
            make_trunk,
            tasks,
            train,
            test,
            [lam.value],
            weights=chosen,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            cosine=cosine,
            seed=seed,
            device=device,
        )[0]
        runs.append(row)
        accuracies = ", ".join(f"{t} {row[t]:.3f}" for t in tasks)
        summary.value = (
            f"run {len(runs)}: lambda = {row['lam']:g}, weights {chosen}: parameter distance "
            f"<b>{row['distance']:.3f}</b> (at initialisation {row['initial_distance']:.3f}); "
            f"test accuracy {accuracies}, mean {row['mean']:.3f}"
        )
        return plot_lambda_sweep(rows, list(tasks), references=references, runs=runs)

    train_button.on_click(lambda _: _redraw(output, figure, train_button))
    if rows:
        _redraw(output, lambda: plot_lambda_sweep(rows, list(tasks), references=references))
    controls = {"lam": lam, **{f"weight_{t}": s for t, s in weights.items()}, "train": train_button}
    panel = _panel(controls, output, summary)
    panel.runs = runs
    return panel
