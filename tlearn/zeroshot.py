r"""Zero-shot learning: recognising classes from their descriptions, with no example of them.

A classifier trained on labelled images can only name the classes it was shown. Zero-shot learning
adds one more thing per class: a *description*, a vector :math:`a_c \in \mathbb{R}^A` of attributes a
person could state without drawing the thing ("has a loop on top", "three strokes", "wider than
tall"). Training sees images of the *seen* classes :math:`\mathcal{S}` and the descriptions of those
classes; at test time the model receives the descriptions of *unseen* classes :math:`\mathcal{U}`
(disjoint from :math:`\mathcal{S}`) and must recognise their images. What transfers is not a class but
the link between images and the attribute vocabulary.

Every model here reduces to a *compatibility score* :math:`s(x, a_c)` between an image's features
:math:`x \in \mathbb{R}^d` and a class description, and predicts :math:`\arg\max_c s(x, a_c)` over the
candidate classes. The three models differ in what they learn:

**Direct Attribute Prediction** (DAP; Lampert, Nickisch and Harmeling, *Learning to detect unseen
object classes by between-class attribute transfer*, CVPR 2009). One probabilistic classifier per
binary attribute, trained on seen-class images labelled with their class's attribute values, gives
:math:`p(a_m = 1 \mid x)`. With deterministic class descriptions and a uniform class prior, Bayes' rule
gives

.. math:: p(c \mid x) \;\propto\; \prod_{m=1}^{A} \frac{p(a_m = a^c_m \mid x)}{p(a_m = a^c_m)},

where the attribute prior :math:`p(a_m)` is the attribute's frequency over seen classes. DAP never
needs an image of class :math:`c`: the product can be evaluated for any description.

**ESZSL** (Romera-Paredes and Torr, *An embarrassingly simple approach to zero-shot learning*, ICML
2015). A bilinear score :math:`s(x, a) = x^\top V a` with :math:`V \in \mathbb{R}^{d \times A}`, fitted by
regularised least squares to labels :math:`Y \in \{-1, 1\}^{m \times z}`. In the paper's notation
(:math:`X \in \mathbb{R}^{d \times m}` holds the :math:`m` training images as columns and
:math:`S \in \mathbb{R}^{A \times z}` the :math:`z` seen descriptions as columns) the objective

.. math:: \min_V \|X^\top V S - Y\|_F^2 + \gamma \|V S\|_F^2 + \lambda \|X^\top V\|_F^2 + \gamma\lambda \|V\|_F^2

has the closed form

.. math:: V = (X X^\top + \gamma I_d)^{-1}\, X\, Y\, S^\top\, (S S^\top + \lambda I_A)^{-1}.

**Prototypical zero-shot network** (Snell, Swersky and Zemel, *Prototypical networks for few-shot
learning*, NeurIPS 2017, section 2.6). A few-shot prototypical network takes a class's prototype to be
the mean embedding of its support images; without support images the prototype is computed from the
description instead, :math:`p_c = g_\theta(a_c) / \|g_\theta(a_c)\|`, and an image embedding
:math:`f_\phi(x)` is classified by a softmax over negative squared Euclidean distances,

.. math:: p(y = c \mid x) = \frac{\exp(-\|f_\phi(x) - p_c\|^2)}{\sum_{c'} \exp(-\|f_\phi(x) - p_{c'}\|^2)}.

Both networks are trained with cross-entropy on seen classes; prototypes have unit length (as in the
paper) so that no class wins merely by having a long description vector.

**Evaluation.** *Conventional* zero-shot accuracy restricts the candidates to the unseen classes.
*Generalized* zero-shot (Chao, Changpinyo, Gong and Sha, ECCV 2016; Xian, Schiele and Akata, CVPR 2017)
lets every class compete, seen and unseen, and reports the mean per-class accuracy on seen-class test
images :math:`\mathrm{acc}_S`, on unseen-class images :math:`\mathrm{acc}_U`, and their harmonic mean

.. math:: H = \frac{2\, \mathrm{acc}_S\, \mathrm{acc}_U}{\mathrm{acc}_S + \mathrm{acc}_U},

which is high only when both are. Models trained on seen classes score them higher than unseen ones,
so most unseen images are taken for a seen class. *Calibrated stacking* (Chao et al. 2016) removes a
constant from every seen-class score, :math:`\hat y = \arg\max_c\, s(x, a_c) - \gamma\,
\mathbb{1}[c \in \mathcal{S}]`; sweeping :math:`\gamma` traces the seen-unseen accuracy curve, and the
area under it (AUSUC) summarises a model independently of :math:`\gamma`.

Conventions: features are rows (``[N, d]``), class descriptions are rows (``[C, A]``, one per class
id), labels are class ids indexing those rows, and scores are ``[N, C]`` with column ``c`` for class
``c``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

__all__ = [
    "DIGIT_ATTRIBUTE_NAMES", "DIGIT_DESCRIPTIONS", "digit_attributes", "parse_description",
    "split_classes", "check_split", "generalized_split", "standardize",
    "dap_scores", "DAP", "eszsl_weights", "ESZSL", "PrototypicalZeroShot",
    "per_class_accuracy", "harmonic_mean", "zero_shot_accuracy", "generalized_accuracy",
    "calibrated_stacking", "stacking_curve", "confusion_matrix", "mean_predicted_attributes", "zero_shot_trial",
]

# --- class descriptions written by a person ------------------------------------------------------------
DIGIT_ATTRIBUTE_NAMES = (
    "closed loop", "loop in upper half", "loop in lower half", "vertical line", "bar at top", "bar at bottom",
    "crossbar in middle", "diagonal line", "bulges to the right", "bulges to the left", "sharp corner",
    "round all over",
)
# What one would say about each handwritten digit, attribute by attribute (1 = yes). Most attributes are
# shared by several digits (a detector for one can be learnt on some digits and used on others), and the
# rows are all different, so the ten digits are distinguishable from their descriptions alone.
DIGIT_DESCRIPTIONS = {
    #    loop upper lower vert top bottom cross diag right left corner round
    "0": (1,   0,    0,    0,   0,  0,     0,    0,   1,    1,   0,     1),
    "1": (0,   0,    0,    1,   0,  0,     0,    1,   0,    0,   1,     0),
    "2": (0,   0,    0,    0,   0,  1,     0,    1,   1,    0,   1,     0),
    "3": (0,   0,    0,    0,   0,  0,     0,    0,   1,    0,   1,     0),
    "4": (0,   0,    0,    1,   0,  0,     1,    1,   0,    0,   1,     0),
    "5": (0,   0,    0,    1,   1,  0,     0,    0,   1,    0,   1,     0),
    "6": (1,   0,    1,    0,   0,  0,     0,    0,   0,    1,   0,     1),
    "7": (0,   0,    0,    0,   1,  0,     1,    1,   0,    0,   1,     0),
    "8": (1,   1,    1,    0,   0,  0,     0,    0,   1,    1,   0,     1),
    "9": (1,   1,    0,    1,   0,  0,     0,    0,   1,    0,   0,     0),
}


def digit_attributes() -> tuple[torch.Tensor, list[str]]:
    """The hand-written description table of the ten digits: ``[10, 12]`` in {0, 1} and attribute names."""
    table = torch.tensor([DIGIT_DESCRIPTIONS[str(d)] for d in range(10)], dtype=torch.float32)
    return table, list(DIGIT_ATTRIBUTE_NAMES)


def parse_description(text: str, attribute_names: Sequence[str]) -> torch.Tensor:
    """Turn typed words into a description vector ``[A]``.

    ``text`` is either attribute names separated by commas or semicolons ("closed loop, vertical
    line": those attributes are 1, the rest 0; case does not matter) or one number per attribute
    ("1 0 0 1 ...").
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    names = [str(n) for n in attribute_names]
    if not names:
        raise ValueError("attribute_names is empty; pass the names of the description's attributes")
    words = text.strip()
    if not words:
        raise ValueError(f"text is empty; name some attributes ({', '.join(names)}) or give {len(names)} numbers")
    numbers = re.split(r"[\s,;]+", words)
    try:
        values = [float(v) for v in numbers]
    except ValueError:
        values = None
    if values is not None:
        if len(values) != len(names):
            raise ValueError(f"text gives {len(values)} numbers but a description has {len(names)} attributes "
                             f"({', '.join(names)}); give one number per attribute")
        return torch.tensor(values, dtype=torch.float32)
    lookup = {n.lower(): i for i, n in enumerate(names)}
    vector = torch.zeros(len(names))
    for part in re.split(r"[,;]", words):
        key = " ".join(part.lower().split())
        if not key:
            continue
        if key not in lookup:
            raise ValueError(f"unknown attribute {part.strip()!r} in text; choose from: {', '.join(names)}")
        vector[lookup[key]] = 1.0
    return vector


# --- input checks --------------------------------------------------------------------------------------
def _as_matrix(x, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor or numpy array, got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{name} must be two-dimensional, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); pass at least one row")
    x = x.detach().float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean or impute them first")
    return x


def _as_labels(y, name: str, n: int, n_classes: int | None = None) -> torch.Tensor:
    y = torch.as_tensor(y)
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class ids, got dtype {y.dtype}")
    y = y.long().reshape(-1)
    if len(y) != n:
        raise ValueError(f"{name} has {len(y)} entries but there are {n} rows of features; give one label per row")
    if n and y.min() < 0:
        raise ValueError(f"{name} must be non-negative class ids, got {int(y.min())}")
    if n_classes is not None and n and y.max() >= n_classes:
        raise ValueError(f"{name} goes up to class {int(y.max())} but class_attributes describes only "
                         f"{n_classes} classes; pass one description row per class id")
    return y


def _as_class_ids(ids, name: str, n_classes: int | None = None) -> torch.Tensor:
    if isinstance(ids, (int, np.integer)):
        raise TypeError(f"{name} must be a list of class ids, got the single number {ids}")
    t = torch.as_tensor(list(ids) if not isinstance(ids, (torch.Tensor, np.ndarray)) else ids)
    if t.numel() == 0:
        raise ValueError(f"{name} is empty; pass at least one class id")
    if t.is_floating_point() or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class ids, got dtype {t.dtype}")
    t = t.long().reshape(-1)
    if len(torch.unique(t)) != len(t):
        raise ValueError(f"{name} lists a class more than once: {t.tolist()}")
    if t.min() < 0 or (n_classes is not None and t.max() >= n_classes):
        bound = f"[0, {n_classes})" if n_classes is not None else "non-negative"
        raise ValueError(f"{name} must be class ids in {bound}, got {t.tolist()}")
    return t


def check_split(seen, unseen, n_classes: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate a seen/unseen split and return it as two sorted ``int64`` tensors.

    Both lists must be non-empty, free of duplicates, within ``[0, n_classes)`` when given, and
    disjoint: a class that is also seen would make "zero-shot" accuracy a supervised one.
    """
    seen = _as_class_ids(seen, "seen", n_classes).sort().values
    unseen = _as_class_ids(unseen, "unseen", n_classes).sort().values
    both = seen[torch.isin(seen, unseen)]
    if len(both):
        raise ValueError(f"classes {both.tolist()} are both seen and unseen; an unseen class must have no "
                         "training images, so remove them from one of the two lists")
    return seen, unseen


def split_classes(classes, n_unseen: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of ``classes`` into seen classes and ``n_unseen`` unseen ones.

    ``classes`` is a number of classes ``n`` (ids ``0..n-1``) or a list of class ids, e.g. the seen
    classes again, to hold some of them out as validation classes that play "unseen" while
    hyperparameters are chosen.
    """
    if isinstance(classes, (int, np.integer)):
        if classes < 2:
            raise ValueError(f"classes must be at least 2 (one seen and one unseen class), got {classes}")
        ids = torch.arange(int(classes))
    else:
        ids = _as_class_ids(classes, "classes")
    if isinstance(n_unseen, bool) or not isinstance(n_unseen, (int, np.integer)) or not 1 <= n_unseen < len(ids):
        raise ValueError(f"n_unseen must be an integer in [1, {len(ids) - 1}] so both sides have classes, "
                         f"got {n_unseen!r}")
    order = ids[torch.randperm(len(ids), generator=torch.Generator().manual_seed(seed))]
    return check_split(order[n_unseen:], order[:n_unseen])


def generalized_split(labels, seen, unseen, test_fraction: float = 0.25, seed: int = 0
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Image indices for generalized zero-shot: ``(train, test)``.

    ``train`` holds ``1 - test_fraction`` of the images of every seen class; ``test`` holds the other
    seen-class images (to measure seen accuracy on images never trained on) and every image of the
    unseen classes. Images of classes in neither list are left out. Called on the training images again
    with seen classes split into fitting and validation classes, it gives a validation protocol that
    never touches the test images.
    """
    y = _as_labels(labels, "labels", len(torch.as_tensor(labels).reshape(-1)))
    seen, unseen = check_split(seen, unseen)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1) (share of seen-class images held out), got {test_fraction}")
    for name, ids in (("seen", seen), ("unseen", unseen)):
        absent = ids[~torch.isin(ids, y)]
        if len(absent):
            raise ValueError(f"{name} classes {absent.tolist()} have no images in labels")
    g = torch.Generator().manual_seed(seed)
    train, test = [], [torch.nonzero(torch.isin(y, unseen)).flatten()]
    for c in seen.tolist():
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < 2:
            raise ValueError(f"seen class {c} has {len(idx)} image; each seen class needs at least 2 (train and test)")
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = min(len(idx) - 1, max(1, round(test_fraction * len(idx))))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def standardize(train, *others) -> tuple[torch.Tensor, ...]:
    """Centre and scale features by the mean and standard deviation of ``train`` (never of test data)."""
    train = _as_matrix(train, "train")
    mean, std = train.mean(0), train.std(0).clamp_min(1e-6)
    out = [(train - mean) / std]
    for i, x in enumerate(others):
        x = _as_matrix(x, f"others[{i}]")
        if x.shape[1] != train.shape[1]:
            raise ValueError(f"others[{i}] has {x.shape[1]} features but train has {train.shape[1]}")
        out.append((x - mean) / std)
    return tuple(out)


def _check_attributes(class_attributes, n_attributes: int) -> torch.Tensor:
    attrs = _as_matrix(class_attributes, "class_attributes")
    if attrs.shape[1] != n_attributes:
        raise ValueError(f"class_attributes has {attrs.shape[1]} attributes per class but the model was fitted "
                         f"with {n_attributes}; pass descriptions with {n_attributes} columns in the same order")
    return attrs


def _training_classes(labels: torch.Tensor) -> torch.Tensor:
    classes = torch.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"labels hold {len(classes)} class; training needs images of at least two seen classes")
    return classes


# --- Direct Attribute Prediction ------------------------------------------------------------------------
def dap_scores(attribute_probs, class_attributes, attribute_prior=None, eps: float = 1e-3) -> torch.Tensor:
    r"""DAP log-scores ``[N, C]``: :math:`\sum_m \log p(a_m = a^c_m \mid x) - \log p(a_m = a^c_m)`.

    ``attribute_probs`` ``[N, A]`` are :math:`p(a_m = 1 \mid x)`; ``class_attributes`` ``[C, A]`` hold
    each class's attribute values in [0, 1] (binary in the paper; a fraction is read as a soft value and
    weights the two outcomes); ``attribute_prior`` ``[A]`` is :math:`p(a_m = 1)`, uniform (0.5) when
    None. Probabilities are clipped to ``[eps, 1 - eps]`` so that one confident mistake cannot veto a class.
    """
    probs = _as_matrix(attribute_probs, "attribute_probs")
    attrs = _as_matrix(class_attributes, "class_attributes")
    if attrs.shape[1] != probs.shape[1]:
        raise ValueError(f"class_attributes has {attrs.shape[1]} attributes per class but attribute_probs has "
                         f"{probs.shape[1]}; both need one column per attribute, in the same order")
    for name, t in (("attribute_probs", probs), ("class_attributes", attrs)):
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{name} must lie in [0, 1] (probabilities / binary attributes), got values in "
                             f"[{float(t.min()):.3g}, {float(t.max()):.3g}]; binarize descriptions with DAP's thresholds")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    prior = torch.full((probs.shape[1],), 0.5) if attribute_prior is None else torch.as_tensor(attribute_prior).float()
    if prior.shape != (probs.shape[1],):
        raise ValueError(f"attribute_prior must have shape [{probs.shape[1]}], got {tuple(prior.shape)}")
    probs, prior = probs.double().clamp(eps, 1 - eps), prior.double().clamp(eps, 1 - eps)
    attrs = attrs.double()
    # log-likelihood ratio of the class's attribute values, summed over attributes (independence)
    log_yes = probs.log() - prior.log()  # [N, A]
    log_no = (1 - probs).log() - (1 - prior).log()
    return (log_yes @ attrs.T + log_no @ (1 - attrs).T).float()


class DAP:
    """Direct Attribute Prediction (Lampert et al. 2009): one logistic regression per attribute.

    Descriptions with values outside {0, 1} (counts, extents) are binarized per attribute at a
    threshold: the attribute's mean over the training classes (for a binary attribute this is the same
    as asking "is it 1?"). ``C`` is the inverse L2 regularisation of each logistic regression.
    """

    def __init__(self, C: float = 1.0, eps: float = 1e-3, max_iter: int = 500):
        if not C > 0:
            raise ValueError(f"C must be > 0 (inverse regularisation strength), got {C}")
        self.C, self.eps, self.max_iter = float(C), float(eps), int(max_iter)
        self.models = None

    def binarize(self, class_attributes) -> torch.Tensor:
        """Descriptions as 0/1 with the thresholds learnt in :meth:`fit`."""
        self._check_fitted()
        attrs = _check_attributes(class_attributes, len(self.thresholds))
        return (attrs > self.thresholds).float()

    def fit(self, features, labels, class_attributes) -> "DAP":
        """Fit on seen-class images: ``features`` ``[N, d]``, ``labels`` ``[N]`` class ids into the rows of
        ``class_attributes`` ``[C, A]``; only the rows of classes present in ``labels`` are used."""
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        x = _as_matrix(features, "features")
        attrs = _as_matrix(class_attributes, "class_attributes")
        y = _as_labels(labels, "labels", len(x), len(attrs))
        seen = _training_classes(y)
        binary = bool(((attrs == 0) | (attrs == 1)).all())
        self.thresholds = torch.full((attrs.shape[1],), 0.5) if binary else attrs[seen].mean(0)
        self.n_features = x.shape[1]
        targets = (attrs[y] > self.thresholds).numpy()  # [N, A]: each image inherits its class's attributes
        # the prior p(a_m = 1) counts classes, not images, as in the paper
        self.prior = (attrs[seen] > self.thresholds).float().mean(0)
        self.models = []
        xn = x.numpy()
        # many small problems: one BLAS thread each is faster than threads competing for the cores
        with threadpool_limits(1):
            for m in range(attrs.shape[1]):
                column = targets[:, m]
                if column.all() or not column.any():
                    # constant over seen classes: nothing to learn, predict the constant (clipped later)
                    self.models.append(float(column[0]))
                    continue
                clf = LogisticRegression(C=self.C, max_iter=self.max_iter)
                self.models.append(clf.fit(xn, column))
        return self

    def _check_fitted(self):
        if self.models is None:
            raise RuntimeError("this DAP model is not fitted yet; call .fit(features, labels, class_attributes)")

    def predict_attributes(self, features) -> torch.Tensor:
        """:math:`p(a_m = 1 \\mid x)` for every image and attribute, ``[N, A]``."""
        self._check_fitted()
        x = _as_matrix(features, "features")
        if x.shape[1] != self.n_features:
            raise ValueError(f"features has {x.shape[1]} columns but the model was fitted on {self.n_features}")
        xn = x.numpy()
        cols = [np.full(len(xn), m) if isinstance(m, float) else m.predict_proba(xn)[:, 1] for m in self.models]
        return torch.from_numpy(np.stack(cols, 1)).float()

    def scores(self, features, class_attributes) -> torch.Tensor:
        """DAP log-scores ``[N, C]`` against any descriptions, seen or unseen."""
        binary = self.binarize(class_attributes)
        return dap_scores(self.predict_attributes(features), binary, self.prior, self.eps)


# --- ESZSL ------------------------------------------------------------------------------------------------
def eszsl_weights(features, targets, class_attributes, gamma: float = 1.0, lam: float = 1.0) -> torch.Tensor:
    r"""The ESZSL closed form :math:`V = (X X^\top + \gamma I)^{-1} X Y S^\top (S S^\top + \lambda I)^{-1}`.

    Shapes, with rows as examples: ``features`` ``[m, d]`` is :math:`X^\top`, ``targets`` ``[m, z]`` is
    :math:`Y` (+1 for an image's class, -1 elsewhere), ``class_attributes`` ``[z, A]`` is :math:`S^\top`
    (one row per training class, in the order of ``targets``' columns). Returns :math:`V` ``[d, A]``.
    Solved in float64 with two linear solves rather than explicit inverses.
    """
    Xt = _as_matrix(features, "features").double()
    Y = _as_matrix(targets, "targets").double()
    St = _as_matrix(class_attributes, "class_attributes").double()
    if Y.shape[0] != Xt.shape[0]:
        raise ValueError(f"targets has {Y.shape[0]} rows but features has {Xt.shape[0]}; one row per image")
    if Y.shape[1] != St.shape[0]:
        raise ValueError(f"targets has {Y.shape[1]} columns but class_attributes describes {St.shape[0]} classes; "
                         "one column per described class")
    for name, value in (("gamma", gamma), ("lam", lam)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0 (it keeps the system well posed), got {value}")
    X, S = Xt.T, St.T  # the paper's column convention
    left = X @ X.T + gamma * torch.eye(X.shape[0], dtype=X.dtype)  # [d, d]
    right = S @ S.T + lam * torch.eye(S.shape[0], dtype=S.dtype)  # [A, A]
    middle = X @ Y @ S.T  # [d, A]
    V = torch.linalg.solve(left, middle)  # (XX^T + gamma I)^-1 X Y S^T
    V = torch.linalg.solve(right, V.T).T  # ... (SS^T + lambda I)^-1, right is symmetric
    return V.float()


class ESZSL:
    """Embarrassingly simple zero-shot learning (Romera-Paredes and Torr 2015): a bilinear score
    :math:`x^\\top V a` with :math:`V` in closed form (see :func:`eszsl_weights`)."""

    def __init__(self, gamma: float = 1.0, lam: float = 1.0):
        for name, value in (("gamma", gamma), ("lam", lam)):
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        self.gamma, self.lam = float(gamma), float(lam)
        self.V = None

    def fit(self, features, labels, class_attributes) -> "ESZSL":
        """Fit on seen-class images; ``labels`` index the rows of ``class_attributes`` ``[C, A]``."""
        x = _as_matrix(features, "features")
        attrs = _as_matrix(class_attributes, "class_attributes")
        y = _as_labels(labels, "labels", len(x), len(attrs))
        seen = _training_classes(y)
        column = torch.full((len(attrs),), -1, dtype=torch.long)
        column[seen] = torch.arange(len(seen))
        Y = 2 * F.one_hot(column[y], len(seen)).float() - 1
        self.V = eszsl_weights(x, Y, attrs[seen], self.gamma, self.lam)
        return self

    def scores(self, features, class_attributes) -> torch.Tensor:
        """Bilinear scores ``[N, C]`` :math:`x^\\top V a_c` against any descriptions."""
        if self.V is None:
            raise RuntimeError("this ESZSL model is not fitted yet; call .fit(features, labels, class_attributes)")
        x = _as_matrix(features, "features")
        if x.shape[1] != self.V.shape[0]:
            raise ValueError(f"features has {x.shape[1]} columns but the model was fitted on {self.V.shape[0]}")
        attrs = _check_attributes(class_attributes, self.V.shape[1])
        return x @ self.V @ attrs.T

    def predict_attributes(self, features) -> torch.Tensor:
        """The embedding :math:`V^\\top x` ``[N, A]``: where an image lands in attribute space."""
        if self.V is None:
            raise RuntimeError("this ESZSL model is not fitted yet; call .fit(features, labels, class_attributes)")
        return _as_matrix(features, "features") @ self.V


# --- prototypical zero-shot network ---------------------------------------------------------------------
class PrototypicalZeroShot(nn.Module):
    """Prototypes from descriptions (Snell et al. 2017, sec. 2.6).

    ``image_encoder`` :math:`f_\\phi` maps image features ``[N, d]`` to the embedding; the
    ``description_encoder`` :math:`g_\\theta` maps a description ``[C, A]`` to a prototype, normalised to
    unit length. ``hidden=None`` makes both maps linear (as in the paper, on fixed image features); an
    integer adds one hidden ReLU layer of that width to each.
    """

    def __init__(self, n_features: int, n_attributes: int, embedding_dim: int = 64, hidden: int | None = None,
                 dropout: float = 0.0):
        super().__init__()
        for name, value in (("n_features", n_features), ("n_attributes", n_attributes),
                            ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if hidden is not None and (not isinstance(hidden, (int, np.integer)) or hidden < 1):
            raise ValueError(f"hidden must be None (linear maps) or a positive integer, got {hidden!r}")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")

        def encoder(n_in):
            if hidden is None:
                return nn.Sequential(nn.Dropout(dropout), nn.Linear(n_in, embedding_dim))
            return nn.Sequential(nn.Dropout(dropout), nn.Linear(n_in, hidden), nn.ReLU(),
                                 nn.Linear(hidden, embedding_dim))

        self.n_features, self.n_attributes = int(n_features), int(n_attributes)
        self.image_encoder = encoder(n_features)
        self.description_encoder = encoder(n_attributes)

    def prototypes(self, class_attributes) -> torch.Tensor:
        """Unit-length prototypes ``[C, D]``, one per description."""
        attrs = _check_attributes(class_attributes, self.n_attributes)
        return F.normalize(self.description_encoder(attrs), dim=1)

    def forward(self, features: torch.Tensor, class_attributes: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, C]``: negative squared Euclidean distances to the prototypes."""
        embedded, prototypes = self.image_encoder(features), self.prototypes(class_attributes)
        # ||e - p||^2 = ||e||^2 - 2 e.p + ||p||^2 (= 1): one matrix product, cheaper than torch.cdist on CPU
        return 2 * embedded @ prototypes.T - embedded.pow(2).sum(1, keepdim=True) - prototypes.pow(2).sum(1)

    def fit(self, features, labels, class_attributes, epochs: int = 30, lr: float = 1e-3, batch_size: int = 128,
            weight_decay: float = 1e-4, seed: int = 0) -> list[float]:
        """Train with cross-entropy over all seen classes: each batch is an episode whose way is every
        seen class and whose prototypes come from the seen descriptions. Returns the loss per epoch."""
        x = _as_matrix(features, "features")
        if x.shape[1] != self.n_features:
            raise ValueError(f"features has {x.shape[1]} columns but the model expects n_features={self.n_features}")
        attrs = _check_attributes(class_attributes, self.n_attributes)
        y = _as_labels(labels, "labels", len(x), len(attrs))
        seen = _training_classes(y)
        for name, value in (("epochs", epochs), ("batch_size", batch_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        column = torch.full((len(attrs),), -1, dtype=torch.long)
        column[seen] = torch.arange(len(seen))
        target, seen_attrs = column[y], attrs[seen]
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam(self.parameters(), lr=lr, weight_decay=weight_decay)
        losses = []
        self.train()
        # dropout draws from the global generator: seed it for this run only, then restore the caller's state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for _ in range(epochs):
                order = torch.randperm(len(x), generator=generator)
                total = 0.0
                for start in range(0, len(x), batch_size):
                    batch = order[start:start + batch_size]
                    loss = F.cross_entropy(self(x[batch], seen_attrs), target[batch])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(batch)
                losses.append(total / len(x))
        self.eval()
        return losses

    @torch.no_grad()
    def scores(self, features, class_attributes) -> torch.Tensor:
        """Scores ``[N, C]`` (negative squared distances) against any descriptions, in eval mode."""
        x = _as_matrix(features, "features")
        if x.shape[1] != self.n_features:
            raise ValueError(f"features has {x.shape[1]} columns but the model expects n_features={self.n_features}")
        was_training = self.training
        self.eval()
        out = torch.cat([self(chunk, class_attributes) for chunk in x.split(256)])  # bounded memory
        self.train(was_training)
        return out


# --- evaluation -------------------------------------------------------------------------------------------
def per_class_accuracy(predictions, targets) -> float:
    """Accuracy averaged over the classes present in ``targets`` (each class counts equally)."""
    pred = torch.as_tensor(predictions).long().reshape(-1)
    true = torch.as_tensor(targets).long().reshape(-1)
    if len(true) == 0:
        raise ValueError("targets is empty; accuracy needs at least one test image")
    if pred.shape != true.shape:
        raise ValueError(f"predictions has {len(pred)} entries but targets has {len(true)}")
    per_class = [(pred[true == c] == c).float().mean() for c in torch.unique(true)]
    return float(torch.stack(per_class).mean())


def harmonic_mean(seen_accuracy: float, unseen_accuracy: float) -> float:
    """:math:`H = 2 a_S a_U / (a_S + a_U)`, and 0 when both accuracies are 0."""
    for name, value in (("seen_accuracy", seen_accuracy), ("unseen_accuracy", unseen_accuracy)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    total = seen_accuracy + unseen_accuracy
    return 0.0 if total == 0 else 2 * seen_accuracy * unseen_accuracy / total


def _check_scores(scores, targets) -> tuple[torch.Tensor, torch.Tensor]:
    s = torch.as_tensor(scores)
    if s.dim() != 2:
        raise ValueError(f"scores must be [N, n_classes], got shape {tuple(s.shape)}")
    s = s.detach().float()
    t = _as_labels(targets, "targets", len(s), s.shape[1])
    if len(t) == 0:
        raise ValueError("scores is empty; evaluation needs at least one test image")
    return s, t


def zero_shot_accuracy(scores, targets, unseen) -> float:
    """Conventional zero-shot accuracy: only unseen classes compete; mean per-class accuracy.

    ``scores`` ``[N, C]`` has a column per class id; ``targets`` must all be unseen classes.
    """
    s, t = _check_scores(scores, targets)
    unseen = _as_class_ids(unseen, "unseen", s.shape[1])
    outside = torch.unique(t[~torch.isin(t, unseen)])
    if len(outside):
        raise ValueError(f"targets contain classes {outside.tolist()} that are not in unseen; conventional "
                         "zero-shot accuracy is measured on images of unseen classes only")
    pred = unseen[s[:, unseen].argmax(1)]
    return per_class_accuracy(pred, t)


def calibrated_stacking(scores, seen, calibration: float) -> torch.Tensor:
    """Scores with ``calibration`` subtracted from every seen-class column (Chao et al. 2016)."""
    s = torch.as_tensor(scores).detach().float()
    if s.dim() != 2:
        raise ValueError(f"scores must be [N, n_classes], got shape {tuple(s.shape)}")
    seen = _as_class_ids(seen, "seen", s.shape[1])
    if not math.isfinite(float(calibration)):
        raise ValueError(f"calibration must be a finite number, got {calibration}")
    out = s.clone()
    out[:, seen] -= float(calibration)
    return out


def generalized_accuracy(scores, targets, seen, unseen, calibration: float = 0.0) -> dict:
    """Generalized zero-shot: seen and unseen classes all compete.

    Returns ``{"seen", "unseen", "harmonic", "unseen_as_seen"}``: mean per-class accuracy on test images
    of seen classes and of unseen classes, their harmonic mean, and the fraction of unseen-class images
    predicted as some seen class (the bias that calibrated stacking corrects).
    """
    s, t = _check_scores(scores, targets)
    seen, unseen = check_split(seen, unseen, s.shape[1])
    candidates = torch.cat([seen, unseen])
    outside = torch.unique(t[~torch.isin(t, candidates)])
    if len(outside):
        raise ValueError(f"targets contain classes {outside.tolist()} that are neither seen nor unseen")
    is_seen, is_unseen = torch.isin(t, seen), torch.isin(t, unseen)
    if not is_seen.any() or not is_unseen.any():
        raise ValueError("generalized accuracy needs test images of both seen and unseen classes; "
                         f"got {int(is_seen.sum())} seen and {int(is_unseen.sum())} unseen")
    pred = candidates[calibrated_stacking(s, seen, calibration)[:, candidates].argmax(1)]
    acc_s = per_class_accuracy(pred[is_seen], t[is_seen])
    acc_u = per_class_accuracy(pred[is_unseen], t[is_unseen])
    return {"seen": acc_s, "unseen": acc_u, "harmonic": harmonic_mean(acc_s, acc_u),
            "unseen_as_seen": float(torch.isin(pred[is_unseen], seen).float().mean())}


def stacking_curve(scores, targets, seen, unseen, calibrations=None, n_points: int = 41) -> dict:
    """Generalized accuracies over a sweep of the calibration constant.

    By default the constants are quantiles of the per-image margin (best seen score minus best unseen
    score) plus one step past each end, so the sweep runs from "every image is called seen" to "every
    image is called unseen". Returns arrays ``calibration``, ``seen``, ``unseen``, ``harmonic``, the
    ``best`` constant (highest harmonic mean) and ``auc``, the area under the seen-unseen curve (AUSUC).
    """
    s, t = _check_scores(scores, targets)
    seen, unseen = check_split(seen, unseen, s.shape[1])
    if calibrations is None:
        if not isinstance(n_points, (int, np.integer)) or n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
        margin = s[:, seen].max(1).values - s[:, unseen].max(1).values
        inner = torch.quantile(margin, torch.linspace(0, 1, n_points))
        step = float(margin.max() - margin.min()) / n_points + 1e-6
        calibrations = torch.cat([inner[:1] - step, inner, inner[-1:] + step])
    calibrations = torch.as_tensor(calibrations, dtype=torch.float32).reshape(-1)
    if len(calibrations) == 0:
        raise ValueError("calibrations is empty; pass at least one constant or None for an automatic sweep")
    rows = [generalized_accuracy(s, t, seen, unseen, float(c)) for c in calibrations]
    curve = {key: np.array([r[key] for r in rows]) for key in ("seen", "unseen", "harmonic")}
    curve["calibration"] = calibrations.numpy()
    curve["best"] = float(calibrations[int(np.argmax(curve["harmonic"]))])
    # trapezoid rule over the curve traced in order of unseen accuracy
    order = np.argsort(curve["unseen"], kind="stable")
    u, a = curve["unseen"][order], curve["seen"][order]
    curve["auc"] = float(np.sum(np.diff(u) * (a[1:] + a[:-1]) / 2))
    return curve


def confusion_matrix(scores, targets, classes) -> torch.Tensor:
    """Row-normalised confusion ``[K, K]`` among ``classes`` only (row: true class, column: predicted)."""
    s, t = _check_scores(scores, targets)
    classes = _as_class_ids(classes, "classes", s.shape[1])
    outside = torch.unique(t[~torch.isin(t, classes)])
    if len(outside):
        raise ValueError(f"targets contain classes {outside.tolist()} that are not in classes")
    position = torch.full((s.shape[1],), -1, dtype=torch.long)
    position[classes] = torch.arange(len(classes))
    pred = s[:, classes].argmax(1)
    counts = torch.zeros(len(classes), len(classes))
    counts.index_put_((position[t], pred), torch.ones(len(t)), accumulate=True)
    return counts / counts.sum(1, keepdim=True).clamp_min(1)


def mean_predicted_attributes(predicted, targets, classes) -> torch.Tensor:
    """Average predicted attribute vector ``[K, A]`` of the images of each class in ``classes``."""
    p = _as_matrix(predicted, "predicted")
    t = _as_labels(targets, "targets", len(p))
    classes = _as_class_ids(classes, "classes")
    rows = []
    for c in classes.tolist():
        mask = t == c
        if not mask.any():
            raise ValueError(f"class {c} has no images in targets; choose classes that appear in the test set")
        rows.append(p[mask].mean(0))
    return torch.stack(rows)


def zero_shot_trial(model, features, labels, class_attributes, unseen, description=None, k: int = 8) -> dict:
    """Fit ``model`` on the images of every class not in ``unseen``, then test it on the unseen ones.

    The model is any object with ``fit(features, labels, class_attributes)`` and ``scores(features,
    class_attributes)`` (:class:`DAP`, :class:`ESZSL`; a :class:`PrototypicalZeroShot` is refitted too).
    With a ``description`` ``[A]`` (e.g. from :func:`parse_description`) it also ranks the images of the
    unseen classes by their score for that description, minus their mean score for the unseen classes'
    descriptions, and returns the ``k`` best: retrieval of images from words alone.
    Features are standardized with the statistics of the seen-class images. Returns ``seen``,
    ``unseen``, ``accuracy`` (conventional zero-shot), ``chance``, ``confusion`` among the unseen classes
    and, with a description, ``retrieved`` (image indices) and ``retrieved_scores``.
    """
    x = _as_matrix(features, "features")
    attrs = _as_matrix(class_attributes, "class_attributes")
    y = _as_labels(labels, "labels", len(x), len(attrs))
    unseen = _as_class_ids(unseen, "unseen", len(attrs))
    present = torch.unique(y)
    seen = present[~torch.isin(present, unseen)]
    if len(seen) < 2:
        raise ValueError(f"unseen holds {len(unseen)} of the {len(present)} classes, leaving {len(seen)} to train on; "
                         "keep at least two classes seen")
    missing = unseen[~torch.isin(unseen, present)]
    if len(missing):
        raise ValueError(f"unseen classes {missing.tolist()} have no images to test on; choose classes present in labels")
    is_seen = torch.isin(y, seen)
    x_seen, x = standardize(x[is_seen], x)  # statistics of the training images only
    model.fit(x_seen, y[is_seen], attrs)
    scores = model.scores(x[~is_seen], attrs)
    out = {"seen": seen, "unseen": unseen, "chance": 1.0 / len(unseen),
           "accuracy": zero_shot_accuracy(scores, y[~is_seen], unseen),
           "confusion": confusion_matrix(scores, y[~is_seen], unseen)}
    if description is not None:
        wanted = _check_attributes(torch.as_tensor(description).reshape(1, -1), attrs.shape[1])
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer (images to retrieve), got {k!r}")
        # rank the test images (those of unseen classes): seen-class images would win on their own bias.
        # An image's score for the description is taken relative to its mean score for the unseen
        # classes' descriptions, so an image that scores high for any description does not top the list.
        candidates = torch.nonzero(~is_seen).flatten()
        column = model.scores(x[candidates], wanted)[:, 0] - scores[:, unseen].mean(1)
        top = column.topk(min(int(k), len(candidates)))
        out["retrieved"], out["retrieved_scores"] = candidates[top.indices], top.values
    return out
