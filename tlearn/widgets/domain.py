"""Domain-adaptation panels (notebooks 03a and 03b)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button

# the discriminator's capacity: its hidden widths (() is the journal paper's logistic domain regressor)
DISCRIMINATORS = {"logistic (paper)": (), "MLP 8": (8,), "MLP 32": (32,), "MLP 64-64": (64, 64)}


def two_moons_summary(run, bandwidth: float, discriminator: str) -> str:
    """The panel's one-line report of a :class:`tlearn.domain.ToyRun` (HTML)."""
    setting = {"mmd": f", kernel bandwidth {bandwidth:g} x median", "dann": f", discriminator {discriminator}"}
    return (
        f"{run.method}, rotation {run.rotation:g}°, weight {run.weight:g}{setting.get(run.method, '')}: "
        f"source accuracy <b>{run.source_accuracy:.3f}</b>, target accuracy <b>{run.target_accuracy:.3f}</b>"
    )


def two_moons_panel(
    *,
    rotation: float = 30.0,
    method: str = "dann",
    weight: float = 6.0,
    seed: int = 0,
    steps: int = 600,
    bandwidth: float = 1.0,
    discriminator: str = "MLP 32",
) -> W.VBox:
    """Domain adaptation on two moons: choose the target's rotation, a method and its adaptation weight,
    for MMD the kernel bandwidth (one Gaussian, ``bandwidth`` times the batch's median distance) and for
    DANN the discriminator's capacity (one of :data:`DISCRIMINATORS`), press *train*, and see the decision
    boundary against source (dots) and target (crosses) points with the accuracies. Each press is one
    :func:`tlearn.domain.two_moons_adaptation` run (the shallow network)."""
    from ..domain import two_moons_adaptation
    from ..viz import plot_decision_boundaries

    rotation_slider = W.FloatSlider(value=rotation, min=0.0, max=90.0, step=5.0, description="rotation °")
    method_menu = W.Dropdown(options=["source_only", "mmd", "coral", "dann"], value=method, description="method")
    weight_slider = W.FloatSlider(value=weight, min=0.0, max=20.0, step=0.5, description="weight")
    bandwidth_slider = W.FloatLogSlider(
        value=bandwidth, base=10, min=-2, max=2, step=0.25, description="MMD σ × median"
    )
    discriminator_menu = W.Dropdown(options=list(DISCRIMINATORS), value=discriminator, description="DANN G_d")
    train_button = slow_button("train", f"trains the shallow network for {steps} steps on the rotated moons")
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        run = two_moons_adaptation(
            method_menu.value,
            rotation=rotation_slider.value,
            weight=weight_slider.value,
            seed=seed,
            steps=steps,
            mmd_multipliers=(bandwidth_slider.value,),
            discriminator_hidden=DISCRIMINATORS[discriminator_menu.value],
        )
        runs.append(run)
        summary.value = two_moons_summary(run, bandwidth_slider.value, discriminator_menu.value)
        return plot_decision_boundaries(
            {run.method: run.model},
            run.source,
            run.target_test,
            titles=[f"{run.method}, target rotated {run.rotation:g}°"],
        )

    train_button.on_click(lambda _: _redraw(output, figure, train_button))
    controls = {
        "rotation": rotation_slider,
        "method": method_menu,
        "weight": weight_slider,
        "bandwidth": bandwidth_slider,
        "discriminator": discriminator_menu,
        "train": train_button,
    }
    panel = _panel(controls, output, summary)
    panel.runs, panel.summary = runs, summary
    return panel


def domain_features_panel(models: dict, source, target, *, own_statistics=None, seed: int = 0) -> W.VBox:
    """Look inside trained domain-adaptation networks: pick one of ``models`` (``{name: model}``) and a 2-D
    map (PCA or t-SNE), press *show*, and see its source and target features (by domain and by class) with
    their proxy A-distance. ``source`` and ``target`` are ImageSets (a few hundred images each);
    ``own_statistics`` (``{name: bool}``) says which networks normalise each domain with its own batch-norm
    statistics (see :func:`tlearn.domain.features_of`)."""
    from ..domain import features_of, proxy_a_distance
    from ..viz import plot_domain_features

    if not models:
        raise ValueError("models is empty; pass {name: trained model}")
    own_statistics = own_statistics or {}
    names = list(models)
    model_menu = W.Dropdown(options=names, value=names[0], description="network")
    projection = W.Dropdown(options=["pca", "tsne"], value="pca", description="2-D map")
    show = slow_button(
        "show features",
        "computes the features of every image, their proxy A-distance and the 2-D map "
        "(t-SNE takes several times longer than PCA)",
    )
    summary = W.HTML()
    output = make_output()
    shown = []

    def figure():
        name = model_menu.value
        fs = features_of(models[name], source, own_statistics=own_statistics.get(name, False))
        ft = features_of(models[name], target)
        distance = proxy_a_distance(fs, ft, seed=seed)
        shown.append((name, projection.value, distance))
        summary.value = f"{name}: proxy A-distance <b>{distance:.2f}</b> (0: indistinguishable, 2: separable)"
        return plot_domain_features(
            {f"{name}: proxy A-distance {distance:.2f}": (fs, ft, source.targets, target.targets)},
            method=projection.value,
            seed=seed,
        )

    show.on_click(lambda _: _redraw(output, figure, show))
    panel = _panel({"network": model_menu, "projection": projection, "show": show}, output, summary)
    panel.shown, panel.summary = shown, summary
    return panel


def weight_sweep_rows(sweep: dict) -> list[dict]:
    """Rows of a weight sweep ``{weight: {"target accuracy": a, "reverse validation risk": r, ...}}``, sorted by
    weight, each with its ``weight`` first."""
    return [{"weight": w, **sweep[w]} for w in sorted(sweep)]


def weight_summary(sweep: dict, weight: float, chosen: float) -> str:
    """The DANN-weight panel's report for one ``weight`` of the sweep (HTML)."""
    if weight not in sweep:
        raise ValueError(f"weight {weight!r} was not trained; choose one of {sorted(sweep)}")
    parts = [f"{k} <b>{v:.3f}</b>" for k, v in sweep[weight].items() if isinstance(v, float)]
    tag = " (chosen by reverse validation)" if weight == chosen else ""
    return f"DANN weight {weight:g}{tag}: " + ", ".join(parts)


def dann_weight_panel(sweep: dict, models: dict, source, target, *, chosen: float, seed: int = 0) -> W.VBox:
    """The DANN weight on a shift: pick one of the trained weights (``models``: ``{weight: model}``, trained
    beforehand, so a choice costs no training), see its numbers (``sweep``: ``{weight: {name: value}}``) and
    press *show* for its source and target features (``source``, ``target``: ImageSets of a few hundred
    images; each domain with its own batch-norm statistics)."""
    from ..domain import features_of
    from ..viz import plot_domain_features

    if not models or set(models) != set(sweep):
        raise ValueError("models and sweep must be non-empty and have the same weights")
    weights = sorted(models)
    weight_menu = W.SelectionSlider(
        options=weights, value=chosen if chosen in models else weights[0], description="DANN weight"
    )
    show = slow_button("show features", "computes the features of every image and a PCA map")
    summary = W.HTML(weight_summary(sweep, weight_menu.value, chosen))
    output = make_output()
    shown = []
    weight_menu.observe(
        lambda change: setattr(summary, "value", weight_summary(sweep, change["new"], chosen)), names="value"
    )

    def figure():
        w = weight_menu.value
        fs = features_of(models[w], source, own_statistics=True)
        ft = features_of(models[w], target, own_statistics=True)
        shown.append(w)
        return plot_domain_features({f"DANN weight {w:g}": (fs, ft, source.targets, target.targets)}, method="pca")

    show.on_click(lambda _: _redraw(output, figure, show))
    panel = _panel({"weight": weight_menu, "show": show}, output, summary)
    panel.shown, panel.summary = shown, summary
    return panel
