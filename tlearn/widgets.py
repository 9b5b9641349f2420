"""Interactive panels (ipywidgets).

Panels are thin: each control calls a pure function of :mod:`tlearn` and shows its figure or numbers, so
the logic is tested without a browser. A callback error is shown in the panel's output area and re-raised,
never swallowed. Each panel returns an ``ipywidgets.VBox`` whose ``.controls`` dict names its widgets, so
a notebook or a test can drive it as a user would: ``drive(panel, alphabet=3)`` or
``drive(panel, click="train", lr=0.01)``, which raises the first error any callback hit (ipywidgets itself
only logs errors raised inside button callbacks).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import ipywidgets as W
from IPython.display import display


def make_output() -> W.Output:
    """An output area that also keeps the errors its callbacks raised (see :func:`drive`)."""
    output = W.Output()
    output.errors = []
    output.last_figure = None  # the figure drawn last, for tests and for saving
    return output


def _panel(controls: dict, output: W.Output, *extra) -> W.VBox:
    box = W.VBox([W.HBox(list(controls.values())), *extra, output])
    box.controls = controls
    box.output = output
    return box


def _redraw(output: W.Output, make_figure):
    """Clear ``output`` and show ``make_figure()``; an error is printed there, kept, and raised."""
    with output:
        output.clear_output(wait=True)
        try:
            fig = make_figure()
        except Exception as err:
            output.errors.append(err)
            print(f"error: {type(err).__name__}: {err}")
            raise
        output.last_figure = fig
        display(fig)
        plt.close(fig)


def drive(panel: W.VBox, click: str | None = None, **values):
    """Set a panel's controls (``name=value``) and optionally click one of its buttons, as a user would;
    raise the first error a callback hit."""
    panel.output.errors.clear()
    for name, value in values.items():
        if name not in panel.controls:
            raise ValueError(f"the panel has no control {name!r}; it has {sorted(panel.controls)}")
        panel.controls[name].value = value
    if click is not None:
        if click not in panel.controls:
            raise ValueError(f"the panel has no button {click!r}; it has {sorted(panel.controls)}")
        panel.controls[click].click()
    if panel.output.errors:
        raise panel.output.errors[0]
    return panel


def glyph_browser(glyph_set, n_show: int = 10) -> W.VBox:
    """Browse a Glyphs set: pick an alphabet and a character, see its drawers and its trajectory."""
    from .viz import image_grid, plot_trajectory

    alphabet = W.Dropdown(options=[(name, i) for i, name in enumerate(glyph_set.alphabet_names)], value=0,
                          description="alphabet")
    character = W.IntSlider(value=0, min=0, max=len(glyph_set.characters_of(0)) - 1, description="character")
    output = make_output()

    def figure():
        chars = glyph_set.characters_of(alphabet.value)
        if character.max != len(chars) - 1:
            character.max = len(chars) - 1
        c = int(chars[min(character.value, len(chars) - 1)])
        idx = (glyph_set.targets == c).nonzero().flatten()[:n_show]
        fig = image_grid(glyph_set.images[idx], nrow=n_show,
                         titles=[f"drawer {int(d)}" for d in glyph_set.drawers[idx]],
                         suptitle=f"{glyph_set.classes[c]}: {int(glyph_set.n_strokes[c])} strokes")
        return fig

    def show_all():
        _redraw(output, figure)
        with output:
            i = int((glyph_set.targets == int(glyph_set.characters_of(alphabet.value)[character.value]))
                    .nonzero()[0])
            fig = plot_trajectory(glyph_set.trajectories[i], glyph_set.lengths[i], steps=4,
                                  title="drawn stroke by stroke")
            display(fig)
            plt.close(fig)

    alphabet.observe(lambda change: show_all(), names="value")
    character.observe(lambda change: show_all(), names="value")
    show_all()
    return _panel({"alphabet": alphabet, "character": character}, output)


def soft_sharing_panel(make_trunk, tasks: dict, train, test, *, lams=(0.0, 1e-3, 1e-2, 1e-1, 1.0), rows=None,
                       references=None, epochs: int = 5, lr: float = 1e-3, batch_size: int = 32,
                       cosine: bool = False, seed: int = 0, device="auto") -> W.VBox:
    """Soft sharing's dial: choose lambda and the task weights, press *train*, and see where the trained pair
    of task networks lands: their parameter distance and test accuracy, next to a sweep (``rows``, from
    :func:`tlearn.multitask.lambda_sweep`) and reference accuracies (``references``, ``{label: mean}``).
    Each press trains one :class:`~tlearn.multitask.SoftSharing` model with ``lambda_sweep``."""
    from .multitask import lambda_sweep
    from .viz import plot_lambda_sweep

    lams = [float(v) for v in lams]
    if not lams:
        raise ValueError("lams is empty; give the lambda values the slider offers, e.g. (0, 0.01, 1)")
    lam = W.SelectionSlider(options=[(f"{v:g}", v) for v in lams], value=lams[len(lams) // 2], description="lambda")
    weights = {t: W.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description=f"w {t}") for t in tasks}
    train_button = W.Button(description="train", button_style="primary")
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        chosen = {t: float(s.value) for t, s in weights.items()}
        if sum(chosen.values()) == 0:
            raise ValueError("every task weight is 0: nothing would be learned; raise at least one weight")
        row = lambda_sweep(make_trunk, tasks, train, test, [lam.value], weights=chosen, epochs=epochs, lr=lr,
                           batch_size=batch_size, cosine=cosine, seed=seed, device=device)[0]
        runs.append(row)
        accuracies = ", ".join(f"{t} {row[t]:.3f}" for t in tasks)
        summary.value = (f"run {len(runs)}: lambda = {row['lam']:g}, weights {chosen}: parameter distance "
                         f"<b>{row['distance']:.3f}</b> (at initialisation {row['initial_distance']:.3f}); "
                         f"test accuracy {accuracies}, mean {row['mean']:.3f}")
        return plot_lambda_sweep(rows, list(tasks), references=references, runs=runs)

    train_button.on_click(lambda _: _redraw(output, figure))
    if rows:
        _redraw(output, lambda: plot_lambda_sweep(rows, list(tasks), references=references))
    controls = {"lam": lam, **{f"weight_{t}": s for t, s in weights.items()}, "train": train_button}
    panel = _panel(controls, output, summary)
    panel.runs = runs
    return panel


def zero_shot_panel(make_model, features, labels, class_attributes, attribute_names, class_names, *,
                    images=None, unseen=(0, 1, 2), description: str = "", k: int = 8) -> W.VBox:
    """Zero-shot by hand: choose which classes are unseen (the model is refitted on the others), or type a
    new description, press *run*, and see the confusion among the unseen classes and the images that best
    match the description. ``make_model()`` returns a fresh model with ``fit``/``scores`` (e.g.
    ``lambda: ESZSL()``); descriptions are attribute names separated by commas, or one number per
    attribute. The logic is :func:`tlearn.zeroshot.zero_shot_trial`."""
    from .viz import plot_zero_shot_trial
    from .zeroshot import parse_description, zero_shot_trial

    names = [str(c) for c in class_names]
    chooser = W.SelectMultiple(options=[(n, i) for i, n in enumerate(names)], value=tuple(int(c) for c in unseen),
                               rows=min(10, len(names)), description="unseen")
    typed = W.Text(value=description, placeholder=", ".join(list(attribute_names)[:3]) + ", ...",
                   description="describe", layout=W.Layout(width="420px"))
    run = W.Button(description="run", button_style="primary")
    hint = W.HTML(f"<small>attributes: {', '.join(attribute_names)}</small>")
    output = make_output()
    trials = []

    def figure():
        text = typed.value.strip()
        wanted = parse_description(text, attribute_names) if text else None
        trial = zero_shot_trial(make_model(), features, labels, class_attributes, list(chooser.value),
                                description=wanted, k=k)
        trials.append(trial)
        return plot_zero_shot_trial(trial, names, images=images, labels=labels, description=text or None)

    run.on_click(lambda _: _redraw(output, figure))
    panel = _panel({"unseen": chooser, "description": typed, "run": run}, output, hint)
    panel.trials = trials
    return panel


def fine_tune_panel(make_model, train, test, *, n_blocks: int, budgets=(1, 5, 20), lr: float = 1e-3,
                    steps: int = 60, seed: int = 0, curve=None, **run_kwargs) -> W.VBox:
    """Fine-tune by hand: choose the learning rate, how many of the top blocks to unfreeze (the head always
    trains, at 10x the rate), and the label budget; press *train*. One run of
    :func:`tlearn.finetune.fine_tune_run` with ``make_model()`` (a fresh pretrained model), drawn on the
    learning curve ``curve = (budgets, {method: accuracies})`` if given, next to its training loss."""
    from .finetune import fine_tune_run
    from .viz import plot_learning_curve

    budgets = [int(b) for b in budgets]
    if not budgets:
        raise ValueError("budgets is empty; give the label budgets the panel offers, e.g. (1, 5, 20)")
    rate = W.FloatLogSlider(value=lr, base=10, min=-5, max=-1, step=0.25, description="lr", readout_format=".0e")
    blocks = W.IntSlider(value=n_blocks, min=0, max=n_blocks, description="unfrozen")
    budget = W.Dropdown(options=budgets, value=budgets[min(1, len(budgets) - 1)], description="labels/class")
    train_button = W.Button(description="train", button_style="primary")
    summary = W.HTML()
    output = make_output()
    runs = []

    def figure():
        run = fine_tune_run(make_model, train, test, labels_per_class=budget.value, method="layerwise",
                            lr=rate.value, trainable_blocks=blocks.value, steps=steps, seed=seed, **run_kwargs)
        runs.append({"lr": rate.value, "blocks": blocks.value, "labels": budget.value, "accuracy": run["accuracy"]})
        summary.value = (f"run {len(runs)}: lr {rate.value:.0e} (head {10 * rate.value:.0e}), top {blocks.value} "
                         f"block(s) unfrozen, {budget.value} labels/class: test accuracy "
                         f"<b>{run['accuracy']:.3f}</b> in {run['seconds']:.1f} s")
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

    train_button.on_click(lambda _: _redraw(output, figure))
    panel = _panel({"lr": rate, "blocks": blocks, "labels": budget, "train": train_button}, output, summary)
    panel.runs = runs
    return panel


def probe_panel(train_features: dict, train_labels, test_features: dict, test_labels, *, kind: str = "linear",
                method: str = "pca", seed: int = 0, **probe_kwargs) -> W.VBox:
    """Pick a layer and a probe: the probe is fitted on that layer's cached training features
    (:func:`tlearn.features.fit_probe`), and the test features are drawn in 2-D, coloured by class, with
    the probe's test accuracy in the title."""
    import torch

    from .features import fit_probe, probe_accuracy
    from .viz import plot_embedding

    layers = list(train_features)
    if not layers:
        raise ValueError("train_features is empty; pass what extract_features returns")
    layer = W.Dropdown(options=layers, value=layers[-1], description="layer")
    probe = W.ToggleButtons(options=["linear", "mlp"], value=kind, description="probe")
    output = make_output()
    results = {}

    def figure():
        n_classes = int(torch.as_tensor(train_labels).max()) + 1
        fitted = fit_probe(train_features[layer.value], train_labels, kind=probe.value, n_classes=n_classes,
                           seed=seed, **probe_kwargs)
        accuracy = probe_accuracy(fitted, test_features[layer.value], test_labels)
        results[(layer.value, probe.value)] = accuracy
        dim = test_features[layer.value].shape[1]
        return plot_embedding(test_features[layer.value], test_labels, method=method, seed=seed,
                              title=f"{layer.value} ({dim} features): {probe.value} probe, test accuracy {accuracy:.3f}")

    layer.observe(lambda change: _redraw(output, figure), names="value")
    probe.observe(lambda change: _redraw(output, figure), names="value")
    _redraw(output, figure)
    panel = _panel({"layer": layer, "probe": probe}, output)
    panel.results = results
    return panel


def fewshot_panel(models: dict, dataset, *, embeddings: dict | None = None, n_episodes: int = 100, seed: int = 0,
                  max_way: int = 20, max_shot: int = 10, show_classes: int = 5) -> W.VBox:
    """Few-shot learning: choose N, K, the method and (for a prototypical network) the distance, then
    *evaluate* shows the accuracy with its 95% interval over ``n_episodes`` fixed test episodes and one
    episode with the predictions (its first ``show_classes`` classes). ``embeddings`` maps a method name to
    :func:`tlearn.fewshot.embed_dataset` output, so each click only scores episodes. Each result is also
    appended to ``panel.results``."""
    import torch

    from . import fewshot
    from .samplers import Episode, EpisodeSampler, labels_of
    from .viz import plot_episode

    if not models:
        raise ValueError("models is empty; pass {name: trained few-shot model}")
    embeddings = embeddings or {}
    counts = torch.bincount(labels_of(dataset))
    min_count = int(counts[counts > 0].min())
    method = W.Dropdown(options=list(models), value=next(iter(models)), description="method")
    distance = W.Dropdown(options=["as trained", "euclidean", "cosine"], value="as trained",
                          description="distance")
    n_way = W.IntSlider(value=5, min=2, max=max_way, description="N (ways)")
    k_shot = W.IntSlider(value=1, min=1, max=min(max_shot, min_count - 1), description="K (shots)")
    within = W.Checkbox(value=False, description="within one alphabet")
    evaluate = W.Button(description="evaluate", button_style="primary")
    output = make_output()
    results = []

    def figure():
        name, model = method.value, models[method.value]
        is_proto = isinstance(model, fewshot.PrototypicalNet)
        dist = None if distance.value == "as trained" or not is_proto else distance.value
        n, k = n_way.value, k_shot.value
        q = min(5, min_count - k)
        result = fewshot.evaluate_episodes(model, dataset, n_way=n, k_shot=k, q_query=q, n_episodes=n_episodes,
                                           seed=seed, within_groups=within.value, embeddings=embeddings.get(name),
                                           distance=dist)
        results.append({"method": name, "distance": dist or "as trained", "result": result})
        episode = next(iter(EpisodeSampler(dataset, n, k, min(q, 3), n_episodes=1, seed=seed,
                                           within_groups=within.value)))
        predictions, _ = fewshot.classify(model, episode.support, episode.support_labels, episode.query,
                                          distance=dist)
        shown = min(n, show_classes)
        keep_s, keep_q = episode.support_labels < shown, episode.query_labels < shown
        small = Episode(episode.support[keep_s], episode.support_labels[keep_s], episode.query[keep_q],
                        episode.query_labels[keep_q], episode.classes[:shown], episode.support_index[keep_s],
                        episode.query_index[keep_q])
        fig = plot_episode(small, predictions[keep_q], max_query=3)
        note = "" if distance.value == "as trained" or is_proto else " (distance applies to prototypical nets only)"
        fig.suptitle(f"{name}: {result} over {n_episodes} fixed episodes{note}\n{result.protocol}"
                     + (f"; showing {shown} of {n} classes" if shown < n else ""), fontsize=9)
        fig.tight_layout()
        return fig

    evaluate.on_click(lambda button: _redraw(output, figure))
    _redraw(output, figure)
    panel = _panel({"method": method, "distance": distance, "n_way": n_way, "k_shot": k_shot, "within": within,
                    "evaluate": evaluate}, output)
    panel.results = results
    return panel


def draw_panel(model, support, support_labels, class_names=None,
               strokes: str = "[[(-0.5, 0.5), (0.5, 0.5)], [(0.0, 0.5), (0.0, -0.6)]]") -> W.VBox:
    """"Draw your own": type strokes as lists of ``(x, y)`` points in ``[-1, 1]`` (y up), pick a pen width,
    and *classify* renders them as a glyph and classifies it against the support set
    (:func:`tlearn.fewshot.classify_drawing`). Each prediction is appended to ``panel.predictions``."""
    from . import fewshot
    from .viz import plot_drawing

    text = W.Textarea(value=strokes, description="strokes", layout=W.Layout(width="520px", height="70px"))
    width = W.FloatSlider(value=1.8, min=0.8, max=3.5, step=0.1, description="pen width")
    classify = W.Button(description="classify", button_style="primary")
    output = make_output()
    predictions = []

    def figure():
        image, predicted, scores = fewshot.classify_drawing(model, text.value, support, support_labels,
                                                            width=width.value)
        predictions.append(predicted)
        return plot_drawing(image, support, support_labels, scores, class_names)

    classify.on_click(lambda button: _redraw(output, figure))
    _redraw(output, figure)
    panel = _panel({"strokes": text, "width": width, "classify": classify}, output)
    panel.predictions = predictions
    return panel


def two_moons_panel(*, rotation: float = 30.0, method: str = "dann", weight: float = 6.0, seed: int = 0,
                    steps: int = 600) -> W.VBox:
    """Domain adaptation on two moons: choose the target's rotation, a method and its adaptation weight,
    press *train*, and see the decision boundary against source (dots) and target (crosses) points with
    the accuracies. Each press is one :func:`tlearn.domain.two_moons_adaptation` run (the shallow network)."""
    from .domain import two_moons_adaptation
    from .viz import plot_decision_boundaries

    rotation_slider = W.FloatSlider(value=rotation, min=0.0, max=90.0, step=5.0, description="rotation °")
    method_menu = W.Dropdown(options=["source_only", "mmd", "coral", "dann"], value=method, description="method")
    weight_slider = W.FloatSlider(value=weight, min=0.0, max=20.0, step=0.5, description="weight")
    train_button = W.Button(description="train", button_style="primary")
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

    train_button.on_click(lambda _: _redraw(output, figure))
    controls = {"rotation": rotation_slider, "method": method_menu, "weight": weight_slider, "train": train_button}
    panel = _panel(controls, output, summary)
    panel.runs, panel.summary = runs, summary
    return panel


def technique_panel(comparison, *, target: str | None = None, labels=5, max_seconds: float = 1000.0,
                    tolerance: float = 0.02) -> W.VBox:
    """Which technique when? Choose the target, how many labels per class you have, the training time you
    can spend on the target and how many accuracy points you would give up for speed: every technique
    usable with those labels is ranked (:meth:`tlearn.compare.Comparison.ranking`, from the runs already
    recorded, nothing is trained) and the recommended one (:meth:`~tlearn.compare.Comparison.recommend`)
    is outlined. Techniques slower than the limit are grey."""
    from .compare import ALL, budget_phrase, budget_text
    from .viz import plot_technique_ranking

    targets = comparison.targets()
    if not targets:
        raise ValueError("comparison has no runs yet; add some with comparison.add(...)")
    target_menu = W.Dropdown(options=targets, value=target or targets[0], description="target")

    def label_options(name):
        finite = [b for b in comparison.budgets(name) if b != ALL]
        top = max(finite) if finite else 0
        values = sorted({*finite, *(v for v in (2, 3, 10, 20, 50, 100) if v < top)})
        values += [ALL] if ALL in comparison.budgets(name) else []
        return [(budget_text(v), v) for v in values]

    labels_slider = W.SelectionSlider(options=label_options(target_menu.value), description="labels/class")
    if labels in [v for _, v in labels_slider.options]:
        labels_slider.value = labels
    seconds_slider = W.FloatLogSlider(value=max_seconds, base=10, min=-2, max=3, step=0.25, description="max s",
                                      readout_format=".2g")
    tolerance_slider = W.FloatSlider(value=tolerance, min=0.0, max=0.1, step=0.01, description="give up ≤",
                                     readout_format=".0%")
    summary = W.HTML()
    output = make_output()
    picks = []

    def figure():
        name, k, limit = target_menu.value, labels_slider.value, seconds_slider.value
        pick = comparison.recommend(name, k, limit, tolerance_slider.value)
        picks.append((name, k, limit, tolerance_slider.value, pick))
        if pick is None:
            summary.value = f"nothing measured on {name} with {budget_phrase(k)} trains in under {limit:.2g} s"
        else:
            technique, used, s = pick
            summary.value = (f"{name}, {budget_phrase(k)}, at most {limit:.2g} s: use <b>{technique}</b> "
                             f"({s}, {s.seconds:.2g} s to train, its {budget_text(used)}-label result)")
        return plot_technique_ranking(comparison.ranking(name, k), pick[0] if pick else None, limit,
                                      title=f"{name}: techniques usable with {budget_phrase(k)}")

    def new_target(change):
        labels_slider.options = label_options(change["new"])
        _redraw(output, figure)

    target_menu.observe(new_target, names="value")
    for control in (labels_slider, seconds_slider, tolerance_slider):
        control.observe(lambda change: _redraw(output, figure), names="value")
    _redraw(output, figure)
    controls = {"target": target_menu, "labels": labels_slider, "max_seconds": seconds_slider,
                "tolerance": tolerance_slider}
    panel = _panel(controls, output, summary)
    panel.picks, panel.summary = picks, summary
    return panel


def domain_features_panel(models: dict, source, target, *, own_statistics=None, seed: int = 0) -> W.VBox:
    """Look inside trained domain-adaptation networks: pick one of ``models`` (``{name: model}``) and a 2-D
    map (PCA or t-SNE), press *show*, and see its source and target features (by domain and by class) with
    their proxy A-distance. ``source`` and ``target`` are ImageSets (a few hundred images each);
    ``own_statistics`` (``{name: bool}``) says which networks normalise each domain with its own batch-norm
    statistics (see :func:`tlearn.domain.features_of`)."""
    from .domain import features_of, proxy_a_distance
    from .viz import plot_domain_features

    if not models:
        raise ValueError("models is empty; pass {name: trained model}")
    own_statistics = own_statistics or {}
    names = list(models)
    model_menu = W.Dropdown(options=names, value=names[0], description="network")
    projection = W.Dropdown(options=["pca", "tsne"], value="pca", description="2-D map")
    show = W.Button(description="show", button_style="primary")
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

    show.on_click(lambda _: _redraw(output, figure))
    panel = _panel({"network": model_menu, "projection": projection, "show": show}, output, summary)
    panel.shown, panel.summary = shown, summary
    return panel
