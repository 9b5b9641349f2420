r"""ESZSL: embarrassingly simple zero-shot learning.

Romera-Paredes and Torr, *An embarrassingly simple approach to zero-shot learning*, ICML 2015.

A bilinear compatibility :math:`s(x, a) = x^\top V a` with :math:`V \in \mathbb{R}^{d \times a}`. In the
paper's notation :math:`X \in \mathbb{R}^{d \times m}` holds the :math:`m` training instances as
*columns*, :math:`S \in \mathbb{R}^{a \times z}` the :math:`z` seen-class signatures as columns, and
:math:`Y \in \{-1, 1\}^{m \times z}` the labels (+1 for an instance's class). The objective (eq. 4, with
:math:`\Omega(V; S, X) = \gamma\|VS\|_F^2 + \lambda\|X^\top V\|_F^2 + \beta\|V\|_F^2` and
:math:`\beta = \gamma\lambda`)

.. math:: \min_V \|X^\top V S - Y\|_F^2 + \gamma \|V S\|_F^2 + \lambda \|X^\top V\|_F^2 + \gamma\lambda \|V\|_F^2

has the closed form (eq. 5)

.. math:: V = (X X^\top + \gamma I_d)^{-1}\, X\, Y\, S^\top\, (S S^\top + \lambda I_a)^{-1}.

A test instance is assigned :math:`\arg\max_i x^\top V s'_i` over the unseen signatures :math:`s'_i`.

Where tlearn's layout differs: tlearn keeps examples and classes as *rows*, so ``features`` ``[m, d]`` is
:math:`X^\top` and ``class_attributes`` ``[z, a]`` is :math:`S^\top`; :func:`eszsl_weights` transposes
them back and then follows eq. 5 literally. The two inverses are computed as two linear solves in float64.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import checks
from . import _inputs


def _closed_form(Xt: torch.Tensor, Y: torch.Tensor, St: torch.Tensor, gamma: float, lam: float) -> torch.Tensor:
    X, S = Xt.double().T, St.double().T  # the paper's columns: X [d, m], S [a, z]
    Y = Y.double()
    left = X @ X.T + gamma * torch.eye(X.shape[0], dtype=X.dtype)  # X X^T + gamma I_d
    right = S @ S.T + lam * torch.eye(S.shape[0], dtype=S.dtype)  # S S^T + lambda I_a
    V = torch.linalg.solve(left, X @ Y @ S.T)  # (X X^T + gamma I)^-1 X Y S^T
    V = torch.linalg.solve(right, V.T).T  # ... (S S^T + lambda I)^-1  (right is symmetric)
    return V.float()


def eszsl_weights(features, targets, class_attributes, gamma: float = 1.0, lam: float = 1.0) -> torch.Tensor:
    r"""The ESZSL closed form :math:`V = (X X^\top + \gamma I)^{-1} X Y S^\top (S S^\top + \lambda I)^{-1}`.

    Shapes, with rows as examples: ``features`` ``[m, d]`` is :math:`X^\top`, ``targets`` ``[m, z]`` is
    :math:`Y` (+1 for an image's class, -1 elsewhere), ``class_attributes`` ``[z, A]`` is :math:`S^\top`
    (one row per training class, in the order of ``targets``' columns). Returns :math:`V` ``[d, A]``.
    """
    Xt = _inputs.matrix("features", features)
    Y = _inputs.matrix("targets", targets)
    St = _inputs.matrix("class_attributes", class_attributes)
    if Y.shape[0] != Xt.shape[0]:
        raise ValueError(f"targets has {Y.shape[0]} rows but features has {Xt.shape[0]}; one row per image")
    if Y.shape[1] != St.shape[0]:
        raise ValueError(
            f"targets has {Y.shape[1]} columns but class_attributes describes {St.shape[0]} classes; "
            "one column per described class"
        )
    gamma = checks.number("gamma", gamma, positive=True)
    lam = checks.number("lam", lam, positive=True)
    return _closed_form(Xt, Y, St, gamma, lam)


class ESZSL:
    """Embarrassingly simple zero-shot learning (Romera-Paredes and Torr 2015): a bilinear score
    :math:`x^\\top V a` with :math:`V` in closed form (see :func:`eszsl_weights`). ``gamma`` and ``lam``
    (the paper's :math:`\\gamma, \\lambda`) regularise the image and description sides."""

    def __init__(self, gamma: float = 1.0, lam: float = 1.0):
        self.gamma = checks.number("gamma", gamma, positive=True)
        self.lam = checks.number("lam", lam, positive=True)
        self.V = None

    def fit(self, features, labels, class_attributes) -> ESZSL:
        """Fit on seen-class images; ``labels`` index the rows of ``class_attributes`` ``[C, A]``."""
        x, y, attrs, seen = _inputs.training_set(features, labels, class_attributes)
        column = torch.full((len(attrs),), -1, dtype=torch.long)
        column[seen] = torch.arange(len(seen))
        Y = 2 * F.one_hot(column[y], len(seen)).float() - 1  # Y in {-1, 1}^{m x z}
        self.V = _closed_form(x, Y, attrs[seen], self.gamma, self.lam)
        return self

    def _check_fitted(self):
        if self.V is None:
            raise RuntimeError("this ESZSL model is not fitted yet; call .fit(features, labels, class_attributes)")

    def scores(self, features, class_attributes) -> torch.Tensor:
        """Bilinear scores ``[N, C]`` :math:`x^\\top V a_c` against any descriptions."""
        self._check_fitted()
        x = _inputs.features(features, self.V.shape[0])
        return x @ self.V @ _inputs.attributes(class_attributes, self.V.shape[1]).T  # x^T V s_c

    def predict_attributes(self, features) -> torch.Tensor:
        """The embedding :math:`V^\\top x` ``[N, A]``: where an image lands in attribute space."""
        self._check_fitted()
        return _inputs.features(features, self.V.shape[0]) @ self.V


def select_eszsl(features, labels, groups, class_attributes, validation_groups, grid) -> tuple[tuple, dict]:
    r"""Choose ESZSL's :math:`(\gamma, \lambda)` from ``grid`` without looking at the test classes: each
    group of ``validation_groups`` (an alphabet, say) plays unseen in turn, ESZSL is fitted on the images
    of every other group (features standardized with those images' statistics) and scored by conventional
    zero-shot accuracy among the held-out group's classes. Returns the pair with the best mean accuracy
    and ``{(gamma, lam): mean accuracy}``. ``groups`` gives each image's group."""
    from .metrics import zero_shot_accuracy
    from .splits import standardize

    x = _inputs.matrix("features", features)
    y = _inputs.labels("labels", labels, len(x))
    g = _inputs.labels("groups", groups, len(x))
    validation_groups, grid = [int(v) for v in validation_groups], [(float(a), float(b)) for a, b in grid]
    if not validation_groups or not grid:
        raise ValueError("validation_groups and grid must both be non-empty")
    for v in validation_groups:
        if not (g == v).any() or (g == v).all():
            raise ValueError(f"validation group {v} must hold some images, and not all of them")
    score = {}
    for gamma, lam in grid:
        accuracies = []
        for v in validation_groups:
            held = g == v  # this group plays unseen
            x_fit, x_val = standardize(x[~held], x[held])
            model = ESZSL(gamma, lam).fit(x_fit, y[~held], class_attributes)
            accuracies.append(zero_shot_accuracy(model.scores(x_val, class_attributes), y[held], y[held].unique()))
        score[gamma, lam] = sum(accuracies) / len(accuracies)
    return max(score, key=score.get), score
