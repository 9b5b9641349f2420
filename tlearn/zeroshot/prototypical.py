r"""Prototypical zero-shot network: prototypes computed from class descriptions.

Snell, Swersky and Zemel, *Prototypical networks for few-shot learning*, NeurIPS 2017, section 2.6
(zero-shot learning). A few-shot prototypical network takes a class's prototype to be the mean embedding
of its support images. With no support image, the prototype is embedded from the class's meta-data
vector instead, :math:`\mathbf{c}_k = g_\vartheta(\mathbf{v}_k)`, and an image embedding
:math:`f_\phi(\mathbf{x})` is classified by a softmax over negative squared Euclidean distances (eq. 2),

.. math:: p_\phi(y = k \mid \mathbf{x}) = \frac{\exp(-d(f_\phi(\mathbf{x}), \mathbf{c}_k))}
          {\sum_{k'} \exp(-d(f_\phi(\mathbf{x}), \mathbf{c}_{k'}))},
          \qquad d(\mathbf{z}, \mathbf{z}') = \|\mathbf{z} - \mathbf{z}'\|^2,

trained by minimising :math:`J(\phi) = -\log p_\phi(y = k \mid \mathbf{x})` on seen classes. As in the
paper, prototypes are fixed to unit length, so that no class wins merely by having a long description.

Where tlearn departs: the images are fixed feature vectors (as in the paper's CUB experiment, which used
GoogLeNet features) and ``hidden=None`` keeps both maps linear; every batch is one "episode" whose way is
every seen class. Training runs through :func:`tlearn.train.fit` (its seeding policy, its Adam).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import checks
from ..train import History, Method, fit, shuffled_batches, steps_per_epoch
from . import _inputs


class PrototypicalZeroShot(nn.Module):
    """Prototypes from descriptions (Snell et al. 2017, sec. 2.6).

    ``image_encoder`` :math:`f_\\phi` maps image features ``[N, d]`` to the embedding; the
    ``description_encoder`` :math:`g_\\vartheta` maps a description ``[C, A]`` to a prototype, normalised to
    unit length. ``hidden=None`` makes both maps linear (as in the paper, on fixed image features); an
    integer adds one hidden ReLU layer of that width to each.
    """

    def __init__(
        self,
        n_features: int,
        n_attributes: int,
        embedding_dim: int = 64,
        hidden: int | None = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        n_features = checks.positive_int("n_features", n_features)
        n_attributes = checks.positive_int("n_attributes", n_attributes)
        embedding_dim = checks.positive_int("embedding_dim", embedding_dim)
        if hidden is not None and (isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1):
            raise ValueError(f"hidden must be None (linear maps) or a positive integer, got {hidden!r}")
        if not 0 <= checks.number("dropout", dropout) < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")

        def encoder(n_in):
            if hidden is None:
                return nn.Sequential(nn.Dropout(dropout), nn.Linear(n_in, embedding_dim))
            return nn.Sequential(
                nn.Dropout(dropout), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, embedding_dim)
            )

        self.n_features, self.n_attributes = n_features, n_attributes
        self.image_encoder = encoder(n_features)
        self.description_encoder = encoder(n_attributes)

    def prototypes(self, class_attributes: torch.Tensor) -> torch.Tensor:
        """Unit-length prototypes ``[C, D]``, one per description: c_k = g(v_k) / ||g(v_k)||."""
        assert class_attributes.shape[-1] == self.n_attributes
        return F.normalize(self.description_encoder(class_attributes), dim=1)

    def forward(self, features: torch.Tensor, class_attributes: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, C]``: negative squared Euclidean distances to the prototypes."""
        embedded, prototypes = self.image_encoder(features), self.prototypes(class_attributes)
        # -||f(x) - c_k||^2 = 2 f.c_k - ||f||^2 - ||c_k||^2: one matrix product, cheaper than torch.cdist on CPU
        return 2 * embedded @ prototypes.T - embedded.pow(2).sum(1, keepdim=True) - prototypes.pow(2).sum(1)

    def fit(
        self,
        features,
        labels,
        class_attributes,
        epochs: int = 30,
        lr: float = 1e-3,
        batch_size: int = 128,
        weight_decay: float = 1e-4,
        seed: int = 0,
        device="auto",
        progress: bool = False,
    ) -> History:
        """Train with cross-entropy over all seen classes (:class:`SeenClassCrossEntropy` run by
        :func:`tlearn.train.fit`), ``epochs`` shuffled passes of ``batch_size`` images. Returns the
        :class:`~tlearn.train.History` (per-step ``loss``; ``history.epoch_loss`` is the loss per epoch,
        averaged over images)."""
        x = _inputs.features(features, self.n_features)
        attrs = _inputs.attributes(class_attributes, self.n_attributes)
        y = _inputs.labels("labels", labels, len(x), len(attrs))
        seen = _inputs.training_classes(y)
        epochs = checks.positive_int("epochs", epochs)
        batch_size = checks.positive_int("batch_size", batch_size)
        column = torch.full((len(attrs),), -1, dtype=torch.long)
        column[seen] = torch.arange(len(seen))
        method = SeenClassCrossEntropy(self, attrs[seen])
        per_epoch = steps_per_epoch(len(x), batch_size)
        history = fit(
            method,
            shuffled_batches(x, column[y], batch_size=batch_size, seed=seed),
            epochs * per_epoch,
            lr=lr,
            weight_decay=weight_decay,
            device=device,
            seed=seed,
            progress=progress,
            desc="prototypical zero-shot",
        )
        history.steps_per_epoch = per_epoch
        sizes = [min(batch_size, len(x) - start) for start in range(0, len(x), batch_size)]
        losses = history["loss"]
        history.epoch_loss = [
            sum(loss * n for loss, n in zip(losses[e * per_epoch : (e + 1) * per_epoch], sizes)) / len(x)
            for e in range(epochs)
        ]
        return history

    @torch.no_grad()
    def scores(self, features, class_attributes) -> torch.Tensor:
        """Scores ``[N, C]`` (negative squared distances) against any descriptions, in eval mode, on the CPU."""
        x = _inputs.features(features, self.n_features)
        attrs = _inputs.attributes(class_attributes, self.n_attributes)
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        attrs = attrs.to(device)
        out = torch.cat([self(chunk.to(device), attrs).cpu() for chunk in x.split(256)])  # bounded memory
        self.train(was_training)
        return out


class SeenClassCrossEntropy(Method):
    """:math:`J = -\\log p(y = k \\mid x)` over the seen classes: a batch ``(features, column)`` where
    ``column`` indexes the rows of the seen descriptions ``seen_attributes`` (a buffer, moved with the
    model)."""

    def __init__(self, model: PrototypicalZeroShot, seen_attributes: torch.Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("seen_attributes", seen_attributes)

    def loss(self, batch, progress: float):
        x, target = batch
        return F.cross_entropy(self.model(x, self.seen_attributes), target)
