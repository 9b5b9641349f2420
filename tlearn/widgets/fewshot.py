"""Few-shot panels (notebook 05): evaluate episodes, and draw your own glyph."""

from __future__ import annotations

import ipywidgets as W

from .base import _panel, _redraw, make_output, slow_button


def fewshot_panel(
    models: dict,
    dataset,
    *,
    embeddings: dict | None = None,
    n_episodes: int = 100,
    seed: int = 0,
    max_way: int = 20,
    max_shot: int = 10,
    show_classes: int = 5,
) -> W.VBox:
    """Few-shot learning: choose N, K, the method and (for a prototypical network) the distance, then
    *evaluate* shows the accuracy with its 95% interval over ``n_episodes`` fixed test episodes and one
    episode with the predictions (its first ``show_classes`` classes). ``embeddings`` maps a method name to
    :func:`tlearn.fewshot.embed_dataset` output, so each click only scores episodes. Each result is also
    appended to ``panel.results``."""
    import torch

    from .. import fewshot
    from ..samplers import Episode, EpisodeSampler, labels_of
    from ..viz import plot_episode

    if not models:
        raise ValueError("models is empty; pass {name: trained few-shot model}")
    embeddings = embeddings or {}
    counts = torch.bincount(labels_of(dataset))
    min_count = int(counts[counts > 0].min())
    method = W.Dropdown(options=list(models), value=next(iter(models)), description="method")
    distance = W.Dropdown(options=["as trained", "euclidean", "cosine"], value="as trained", description="distance")
    n_way = W.IntSlider(value=5, min=2, max=max_way, description="N (ways)")
    k_shot = W.IntSlider(value=1, min=1, max=min(max_shot, min_count - 1), description="K (shots)")
    within = W.Checkbox(value=False, description="within one alphabet")
    evaluate = slow_button(
        f"evaluate {n_episodes} episodes",
        f"scores {n_episodes} fixed test episodes with the chosen method, N, K and distance",
    )
    output = make_output()
    results = []

    def figure():
        name, model = method.value, models[method.value]
        is_proto = isinstance(model, fewshot.PrototypicalNet)
        dist = None if distance.value == "as trained" or not is_proto else distance.value
        n, k = n_way.value, k_shot.value
        q = min(5, min_count - k)
        result = fewshot.evaluate_episodes(
            model,
            dataset,
            n_way=n,
            k_shot=k,
            q_query=q,
            n_episodes=n_episodes,
            seed=seed,
            within_groups=within.value,
            embeddings=embeddings.get(name),
            distance=dist,
        )
        results.append({"method": name, "distance": dist or "as trained", "result": result})
        episode = next(
            iter(EpisodeSampler(dataset, n, k, min(q, 3), n_episodes=1, seed=seed, within_groups=within.value))
        )
        predictions, _ = fewshot.classify(model, episode.support, episode.support_labels, episode.query, distance=dist)
        shown = min(n, show_classes)
        keep_s, keep_q = episode.support_labels < shown, episode.query_labels < shown
        small = Episode(
            episode.support[keep_s],
            episode.support_labels[keep_s],
            episode.query[keep_q],
            episode.query_labels[keep_q],
            episode.classes[:shown],
            episode.support_index[keep_s],
            episode.query_index[keep_q],
        )
        fig = plot_episode(small, predictions[keep_q], max_query=3)
        note = "" if distance.value == "as trained" or is_proto else " (distance applies to prototypical nets only)"
        fig.suptitle(
            f"{name}: {result} over {n_episodes} fixed episodes{note}\n{result.protocol}"
            + (f"; showing {shown} of {n} classes" if shown < n else ""),
            fontsize=9,
        )
        fig.tight_layout()
        return fig

    evaluate.on_click(lambda button: _redraw(output, figure, evaluate))
    _redraw(output, figure, evaluate)
    panel = _panel(
        {
            "method": method,
            "distance": distance,
            "n_way": n_way,
            "k_shot": k_shot,
            "within": within,
            "evaluate": evaluate,
        },
        output,
    )
    panel.results = results
    return panel


def draw_panel(
    model,
    support,
    support_labels,
    class_names=None,
    strokes: str = "[[(-0.5, 0.5), (0.5, 0.5)], [(0.0, 0.5), (0.0, -0.6)]]",
) -> W.VBox:
    """ "Draw your own": type strokes as lists of ``(x, y)`` points in ``[-1, 1]`` (y up), pick a pen width,
    and *classify* renders them as a glyph and classifies it against the support set
    (:func:`tlearn.fewshot.classify_drawing`). Each prediction is appended to ``panel.predictions``."""
    from .. import fewshot
    from ..viz import plot_drawing

    text = W.Textarea(value=strokes, description="strokes", layout=W.Layout(width="520px", height="70px"))
    width = W.FloatSlider(value=1.8, min=0.8, max=3.5, step=0.1, description="pen width")
    classify = slow_button("classify", "renders the strokes as a glyph and classifies it against the support set")
    output = make_output()
    predictions = []

    def figure():
        image, predicted, scores = fewshot.classify_drawing(
            model, text.value, support, support_labels, width=width.value
        )
        predictions.append(predicted)
        return plot_drawing(image, support, support_labels, scores, class_names)

    classify.on_click(lambda button: _redraw(output, figure, classify))
    _redraw(output, figure, classify)
    panel = _panel({"strokes": text, "width": width, "classify": classify}, output)
    panel.predictions = predictions
    return panel
