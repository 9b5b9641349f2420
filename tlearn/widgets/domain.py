"""Domain-adaptation panels (notebooks 03a and 03b)."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button


def two_moons_panel(*, rotation: float = 30.0, method: str = "dann", weight: float = 6.0, seed: int = 0,
                    steps: int = 600) -> W.VBox:
    """Domain adaptation on two moons: choose the target's rotation, a method and its adaptation weight,
    press *train*, and see the decision boundary against source (dots) and target (crosses) points with
    the accuracies. Each press is one :func:`tlearn.domain.two_moons_adaptation` run (the shallow network)."""
    from ..domain import two_moons_adaptation
    from ..viz import plot_decision_boundaries

    rotation_slider = W.FloatSlider(value=rotation, min=0.0, max=90.0, step=5.0, description="rotation °")
    method_menu = W.Dropdown(options=["source_only", "mmd", "coral", "dann"], value=method, description="method")
    weight_slider = W.FloatSlider(value=weight, min=0.0, max=20.0, step=0.5, description="weight")
    train_button = slow_button("train", f"trains the shallow network for {steps} steps on the rotated moons")
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        run = two_moons_adaptation(method_menu.value, rotation=rotation_slider.value, weight=weight_slider.value,
                                   seed=seed, steps=steps)
        runs.append(run)
        summary.value = (f"{run.method}, rotation {run.rotation:g}°, weight {run.weight:g}: source accuracy "
                         f"<b>{run.source_accuracy:.3f}</b>, target accuracy <b>{run.target_accuracy:.3f}</b>")
        return plot_decision_boundaries({run.method: run.model}, run.source, run.target_test,
                                        titles=[f"{run.method}, target rotated {run.rotation:g}°"])

    train_button.on_click(lambda _: _redraw(output, figure, train_button))
    controls = {"rotation": rotation_slider, "method": method_menu, "weight": weight_slider, "train": train_button}
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
    show = slow_button("show features", "computes the features of every image, their proxy A-distance and the 2-D map "
                       "(t-SNE takes several times longer than PCA)")
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
        return plot_domain_features({f"{name}: proxy A-distance {distance:.2f}": (fs, ft, source.targets,
                                                                                 target.targets)},
                                    method=projection.value, seed=seed)

    show.on_click(lambda _: _redraw(output, figure, show))
    panel = _panel({"network": model_menu, "projection": projection, "show": show}, output, summary)
    panel.shown, panel.summary = shown, summary
    return panel
