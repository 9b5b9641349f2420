"""Plots, one file per technique. Every function returns a matplotlib ``Figure`` (so it shows in a rendered
notebook and can be saved or tested), and results tables render as Markdown in Jupyter and as text in a
terminal.

- :mod:`.core`: images and grids, training curves, 2-D embeddings, pen trajectories, results tables;
- :mod:`.transfer`: fine-tuning and feature extraction (01, 02);
- :mod:`.domain`: domain adaptation (03a, 03b);
- :mod:`.multitask`: multi-task learning (04);
- :mod:`.fewshot`: few-shot learning (05);
- :mod:`.zeroshot`: zero-shot learning (06);
- :mod:`.compare`: which technique when (07).

Every name is available from ``tlearn.viz`` itself, as before the split.
"""

from .compare import plot_comparison, plot_technique_curves, plot_technique_ranking
from .core import ResultsTable, embed_2d, image_grid, plot_embedding, plot_history, plot_trajectory, results_table
from .domain import (
    plot_adaptation_curves,
    plot_decision_boundaries,
    plot_domain_features,
    plot_mmd_estimates,
    plot_schedules,
)
from .fewshot import plot_accuracy_vs_shots, plot_drawing, plot_episode, plot_episode_embedding
from .multitask import plot_accuracy_vs_size, plot_lambda_sweep
from .transfer import plot_accuracy_and_time, plot_layer_accuracy, plot_learning_curve
from .zeroshot import (
    plot_attribute_table,
    plot_confusion,
    plot_predicted_attributes,
    plot_split_accuracies,
    plot_stacking_curves,
    plot_zero_shot_trial,
)

__all__ = [
    "ResultsTable",
    "embed_2d",
    "image_grid",
    "plot_accuracy_and_time",
    "plot_comparison",
    "plot_accuracy_vs_shots",
    "plot_accuracy_vs_size",
    "plot_adaptation_curves",
    "plot_attribute_table",
    "plot_confusion",
    "plot_decision_boundaries",
    "plot_domain_features",
    "plot_drawing",
    "plot_episode",
    "plot_episode_embedding",
    "plot_embedding",
    "plot_history",
    "plot_lambda_sweep",
    "plot_layer_accuracy",
    "plot_learning_curve",
    "plot_mmd_estimates",
    "plot_predicted_attributes",
    "plot_split_accuracies",
    "plot_schedules",
    "plot_stacking_curves",
    "plot_technique_curves",
    "plot_technique_ranking",
    "plot_trajectory",
    "plot_zero_shot_trial",
    "results_table",
]
