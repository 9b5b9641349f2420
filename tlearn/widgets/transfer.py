"""Fine-tuning and feature-extraction panels (notebooks 01 and 02)."""

from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt

from .base import _panel, _redraw, make_output, slow_button


def fine_tune_panel(
    make_model,
    train,
    test,
    *,
    n_blocks: int,
    budgets=(1, 5, 20),
    lr: float = 1e-3,
    steps: int = 60,
    seed: int = 0,
    curve=None,
    **run_kwargs,
) -> W.VBox:
    """Fine-tune by hand: choose the learning rate, how many of the top blocks to unfreeze (the head always
    trains, at 10x the rate), and the label budget; press *train*. One run of
    :func:`tlearn.finetune.fine_tune_run` with ``make_model()`` (a fresh pretrained model), drawn on the
    learning curve ``curve = (budgets, {method: accuracies})`` if given, next to its training loss."""
    from ..finetune import fine_tune_run
    from ..viz import plot_learning_curve

    budgets = [int(b) for b in budgets]
    if not budgets:
        raise ValueError("budgets is empty; give the label budgets the panel offers, e.g. (1, 5, 20)")
    rate = W.FloatLogSlider(value=lr, base=10, min=-5, max=-1, step=0.25, description="lr", readout_format=".0e")
    blocks = W.IntSlider(value=n_blocks, min=0, max=n_blocks, description="unfrozen")
    budget = W.Dropdown(options=budgets, value=budgets[min(1, len(budgets) - 1)], description="labels/class")
    train_button = slow_button("fine-tune", f"fine-tunes a fresh pretrained model for {steps} steps")
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        run = fine_tune_run(
            make_model,
            train,
            test,
            labels_per_class=budget.value,
            method="layerwise",
            lr=rate.value,
            trainable_blocks=blocks.value,
            steps=steps,
            seed=seed,
            **run_kwargs,
        )
        runs.append({"lr": rate.value, "blocks": blocks.value, "labels": budget.value, "accuracy": run["accuracy"]})
        summary.value = (
            f"run {len(runs)}: lr {rate.value:.0e} (head {10 * rate.value:.0e}), top {blocks.value} "
            f"block(s) unfrozen, {budget.value} labels/class: test accuracy "
            f"<b>{run['accuracy']:.3f}</b> in {run['seconds']:.1f} s"
        )
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.3))
        if curve is not None:
            plot_learning_curve(*curve, ax=left)
        for r in runs:
            left.plot(r["labels"], r["accuracy"], "*", ms=14, color="k" if r is runs[-1] else "0.6")
        left.set_xscale("log")
        left.set_title("learning curve; stars = your runs (black = latest)", fontsize=9)
        right.plot(range(1, len(run["history"]["loss"]) + 1), run["history"]["loss"], "o-")
        right.set_xlabel("epoch"), right.set_ylabel("training loss"), right.grid(alpha=0.3)
        right.set_title("this run", fontsize=9)
        fig.tight_layout()
        return fig

    train_button.on_click(lambda _: _redraw(output, figure, train_button))
    panel = _panel({"lr": rate, "blocks": blocks, "labels": budget, "train": train_button}, output, summary)
    panel.runs = runs
    return panel


def probe_panel(
    train_features: dict,
    train_labels,
    test_features: dict,
    test_labels,
    *,
    kind: str = "linear",
    method: str = "pca",
    seed: int = 0,
    budgets=None,
    **probe_kwargs,
) -> W.VBox:
    """Pick a layer and a probe: the probe is fitted on that layer's cached training features
    (:func:`tlearn.features.fit_probe`), and the test features are drawn in 2-D, coloured by class, with
    the probe's test accuracy in the title. With ``budgets`` (labels per class, e.g. ``(1, 5, 20)``) the
    training features are a pool and a *labels/class* control picks that many examples of every class from
    it (:func:`tlearn.features.per_class_indices` with ``seed``)."""
    import torch

    from ..probes import fit_probe, per_class_indices, probe_accuracy
    from ..viz import plot_embedding

    layers = list(train_features)
    if not layers:
        raise ValueError("train_features is empty; pass what extract_features returns")
    layer = W.Dropdown(options=layers, value=layers[-1], description="layer")
    probe = W.ToggleButtons(options=["linear", "mlp"], value=kind, description="probe")
    controls = {"layer": layer, "probe": probe}
    if budgets is not None:
        budgets = [int(b) for b in budgets]
        if not budgets:
            raise ValueError("budgets is empty; give the label budgets the panel offers, e.g. (1, 5, 20), or None")
        controls["labels"] = W.Dropdown(
            options=budgets, value=budgets[min(1, len(budgets) - 1)], description="labels/class"
        )
    output = make_output()
    results = {}

    def figure():
        labels = torch.as_tensor(train_labels)
        n_classes = int(labels.max()) + 1
        idx = per_class_indices(labels, controls["labels"].value, seed=seed) if budgets else torch.arange(len(labels))
        fitted = fit_probe(
            train_features[layer.value][idx],
            labels[idx],
            kind=probe.value,
            n_classes=n_classes,
            seed=seed,
            **probe_kwargs,
        )
        accuracy = probe_accuracy(fitted, test_features[layer.value], test_labels)
        key = (layer.value, probe.value) + ((controls["labels"].value,) if budgets else ())
        results[key] = accuracy
        dim = test_features[layer.value].shape[1]
        budget = f", {controls['labels'].value} labels/class" if budgets else ""
        title = f"{layer.value} ({dim} features): {probe.value} probe{budget}, test accuracy {accuracy:.3f}"
        return plot_embedding(test_features[layer.value], test_labels, method=method, seed=seed, title=title)

    for control in controls.values():
        control.observe(lambda change: _redraw(output, figure), names="value")
    _redraw(output, figure)
    panel = _panel(controls, output)
    panel.results = results
    return panel
