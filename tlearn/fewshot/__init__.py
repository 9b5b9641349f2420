r"""Few-shot learning: recognise a new class from one or a few examples.

A few-shot task, an **episode**, gives a *support set* of :math:`K` labelled examples of each of
:math:`N` classes never seen in training (":math:`N`-way :math:`K`-shot") and asks for the labels of a
*query set*. Nothing is fine-tuned at test time: a network trained on *other* classes maps images to
embeddings :math:`f_\theta(x)`, and a query takes the label of the support examples it is closest to.
What transfers is the metric, not a classifier head. The three classic ways to learn it, one file each:

- :mod:`.siamese`, **Siamese networks** (Koch, Zemel and Salakhutdinov, ICML Deep Learning Workshop
  2015): twin encoders and a learned weighted L1 distance, :math:`p = \sigma(\sum_j \alpha_j |h_{1}^{(j)}
  - h_{2}^{(j)}|)`, trained on same/different *pairs*; the network never sees an episode in training.
- :mod:`.matching`, **Matching networks** (Vinyals et al., NeurIPS 2016): train on episodes shaped like
  the test ones and predict by attention over the support set, :math:`\hat y = \sum_i a(\hat x, x_i)\,
  y_i` with a softmax over cosine similarities; full-context embeddings let the support set shape both
  its own embeddings and the query's.
- :mod:`.protonet`, **Prototypical networks** (Snell, Swersky and Zemel, NeurIPS 2017): each class is
  the mean of its support embeddings, :math:`c_k`, and a query's logits are
  :math:`-\lVert f(\hat x) - c_k\rVert^2`.

:class:`PixelNearestNeighbour` (in :mod:`.base`) is the baseline that learns nothing: one nearest
neighbour in pixel space.

**The protocol.** Train on the *background* alphabets, test on the *evaluation* alphabets, and report
the mean accuracy over fixed test episodes with a 95% interval :math:`\bar a \pm 1.96\, s/\sqrt n`
(:math:`s` the sample standard deviation of the :math:`n` per-episode accuracies). The papers do not
share one convention: 600 test episodes with a 95% interval is the *miniImageNet* convention (Vinyals
et al., then Snell et al. and most later work), while Snell et al. report Omniglot as a mean over 1,000
episodes, on Vinyals et al.'s split of characters (1,200 for training, the rest for testing, classes
drawn across all alphabets) with rotations by multiples of 90 degrees as extra classes. tlearn defaults
to 600 episodes with an interval on the evaluation alphabets. **The numbers here are not comparable with
the published ones**: Glyphs is a procedural stand-in for Omniglot, the split is by alphabet rather than
by character, the encoders are smaller and trained for minutes on a CPU rather than for hours, and the
interval covers the sampling of test episodes only (a different training seed moves the mean by more).

**The interface.** Every model here is called as ``model(support, support_labels, query)`` and returns
logits ``[n_query, n_way]``, in training and in evaluation mode alike; ``model.embed(x)`` is the
per-image encoder and ``model.logits_from_embeddings(...)`` the episode head, so an evaluation embeds a
test set once and scores hundreds of episodes from the cached embeddings (:mod:`.evaluate`). Training is
:func:`train` (:mod:`.training`: a sampler and a :class:`tlearn.train.Method` run by
:func:`tlearn.train.fit`); :func:`save_model` and :func:`load_model` (:mod:`.io`) keep a model with a
checksum; ``python -m tlearn.fewshot`` (:mod:`.cli`) trains and evaluates from the command line.
Everything works on any labelled image set the samplers of :mod:`tlearn.samplers` accept: Glyphs,
torchvision's Omniglot, an ``ImageFolder`` of your own images (:func:`image_folder` and
:func:`load_data`, from :mod:`tlearn.data.folders`).
"""

from ..data.folders import (
    RotatedClasses,
    has_splits,
    image_folder,
    load_data,
    rotate_classes,
)
from .base import (
    FewShotModel,
    PixelNearestNeighbour,
    class_means,
    cosine_similarity_matrix,
    squared_euclidean,
)
from .evaluate import (
    EpisodeResult,
    classify,
    classify_drawing,
    confidence_interval_95,
    embed_dataset,
    evaluate_episodes,
    parse_strokes,
)
from .io import FORMAT, load_model, save_model
from .matching import MatchingNet
from .models import METHODS, make_model
from .protonet import PrototypicalNet
from .siamese import SiameseNet, contrastive_loss
from .training import EpisodeLoss, PairLoss, train, train_episodes, train_pairs

__all__ = [
    "FORMAT",
    "METHODS",
    "EpisodeLoss",
    "EpisodeResult",
    "FewShotModel",
    "MatchingNet",
    "PairLoss",
    "PixelNearestNeighbour",
    "PrototypicalNet",
    "RotatedClasses",
    "SiameseNet",
    "class_means",
    "classify",
    "classify_drawing",
    "confidence_interval_95",
    "contrastive_loss",
    "cosine_similarity_matrix",
    "embed_dataset",
    "evaluate_episodes",
    "has_splits",
    "image_folder",
    "load_data",
    "load_model",
    "make_model",
    "parse_strokes",
    "rotate_classes",
    "save_model",
    "squared_euclidean",
    "train",
    "train_episodes",
    "train_pairs",
]
