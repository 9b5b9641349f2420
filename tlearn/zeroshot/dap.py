r"""Direct Attribute Prediction (DAP).

Lampert, Nickisch and Harmeling, *Learning to detect unseen object classes by between-class attribute
transfer*, CVPR 2009; and *Attribute-based classification for zero-shot visual object categorization*,
TPAMI 2014.

One probabilistic classifier per binary attribute, trained on seen-class images labelled with their
class's attribute values, gives :math:`p(a_m = 1 \mid x)`. With deterministic class descriptions
:math:`a^c \in \{0, 1\}^M`, independent attributes and a uniform class prior, Bayes' rule gives the
paper's equation (TPAMI eq. 2)

.. math:: p(z \mid x) \;\propto\; \prod_{m=1}^{M} \frac{p(a_m^z \mid x)}{p(a_m^z)},

and the prediction is :math:`\arg\max_z` over the candidate (test) classes. The attribute prior
:math:`p(a_m)` is the attribute's frequency over the seen classes ("the empirical mean over the training
classes"). DAP never needs an image of class :math:`z`: the product can be evaluated for any description.

Where tlearn departs: the product is computed as a sum of logs; the attribute classifiers are
scikit-learn logistic regressions on fixed features (the paper used SVMs with Platt scaling);
probabilities are clipped to ``[eps, 1 - eps]`` so that one confident mistake cannot veto a class; and
descriptions with values outside {0, 1} are binarized at the attribute's mean over seen classes.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import checks
from . import _inputs


def _log_scores(probs: torch.Tensor, attrs: torch.Tensor, prior: torch.Tensor, eps: float) -> torch.Tensor:
    probs, prior = probs.double().clamp(eps, 1 - eps), prior.double().clamp(eps, 1 - eps)
    attrs = attrs.double()
    log_yes = probs.log() - prior.log()  # log p(a_m = 1 | x) / p(a_m = 1), [N, A]
    log_no = (1 - probs).log() - (1 - prior).log()  # log p(a_m = 0 | x) / p(a_m = 0)
    # log prod_m p(a_m^z | x) / p(a_m^z) = sum over attributes of the ratio of the value class z has
    return (log_yes @ attrs.T + log_no @ (1 - attrs).T).float()


def dap_scores(attribute_probs, class_attributes, attribute_prior=None, eps: float = 1e-3) -> torch.Tensor:
    r"""DAP log-scores ``[N, C]``: :math:`\sum_m \log p(a_m = a^c_m \mid x) - \log p(a_m = a^c_m)`.

    ``attribute_probs`` ``[N, A]`` are :math:`p(a_m = 1 \mid x)`; ``class_attributes`` ``[C, A]`` hold
    each class's attribute values in [0, 1] (binary in the paper; a fraction is read as a soft value and
    weights the two outcomes); ``attribute_prior`` ``[A]`` is :math:`p(a_m = 1)`, uniform (0.5) when
    None. Probabilities are clipped to ``[eps, 1 - eps]`` so that one confident mistake cannot veto a class.
    """
    probs = _inputs.matrix("attribute_probs", attribute_probs)
    attrs = _inputs.matrix("class_attributes", class_attributes)
    if attrs.shape[1] != probs.shape[1]:
        raise ValueError(
            f"class_attributes has {attrs.shape[1]} attributes per class but attribute_probs has "
            f"{probs.shape[1]}; both need one column per attribute, in the same order"
        )
    for name, t in (("attribute_probs", probs), ("class_attributes", attrs)):
        if t.min() < 0 or t.max() > 1:
            raise ValueError(
                f"{name} must lie in [0, 1] (probabilities / binary attributes), got values in "
                f"[{float(t.min()):.3g}, {float(t.max()):.3g}]; "
                "binarize descriptions with DAP's thresholds"
            )
    if not 0 < checks.number("eps", eps) < 0.5:
        raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
    prior = torch.full((probs.shape[1],), 0.5) if attribute_prior is None else torch.as_tensor(attribute_prior).float()
    if prior.shape != (probs.shape[1],):
        raise ValueError(f"attribute_prior must have shape [{probs.shape[1]}], got {tuple(prior.shape)}")
    return _log_scores(probs, attrs, prior, eps)


class DAP:
    """Direct Attribute Prediction (Lampert et al. 2009): one logistic regression per attribute.

    Descriptions with values outside {0, 1} (counts, extents) are binarized per attribute at a
    threshold: the attribute's mean over the training classes (for a binary attribute this is the same
    as asking "is it 1?"). ``C`` is the inverse L2 regularisation of each logistic regression.
    """

    def __init__(self, C: float = 1.0, eps: float = 1e-3, max_iter: int = 500):
        self.C = checks.number("C", C, positive=True)
        if not 0 < checks.number("eps", eps) < 0.5:
            raise ValueError(f"eps must lie in (0, 0.5), got {eps}")
        self.eps, self.max_iter = float(eps), checks.positive_int("max_iter", max_iter)
        self.models = None

    def _check_fitted(self):
        if self.models is None:
            raise RuntimeError("this DAP model is not fitted yet; call .fit(features, labels, class_attributes)")

    def binarize(self, class_attributes) -> torch.Tensor:
        """Descriptions as 0/1 with the thresholds learnt in :meth:`fit`."""
        self._check_fitted()
        return (_inputs.attributes(class_attributes, len(self.thresholds)) > self.thresholds).float()

    def fit(self, features, labels, class_attributes) -> DAP:
        """Fit on seen-class images: ``features`` ``[N, d]``, ``labels`` ``[N]`` class ids into the rows of
        ``class_attributes`` ``[C, A]``; only the rows of classes present in ``labels`` are used."""
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        x, y, attrs, seen = _inputs.training_set(features, labels, class_attributes)
        binary = bool(((attrs == 0) | (attrs == 1)).all())
        self.thresholds = torch.full((attrs.shape[1],), 0.5) if binary else attrs[seen].mean(0)
        self.n_features = x.shape[1]
        targets = (attrs[y] > self.thresholds).numpy()  # [N, A]: each image inherits its class's attributes
        # p(a_m = 1): the empirical mean over the training classes (counts classes, not images)
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

    def _attribute_probs(self, x: torch.Tensor) -> torch.Tensor:
        xn = x.numpy()
        cols = [np.full(len(xn), m) if isinstance(m, float) else m.predict_proba(xn)[:, 1] for m in self.models]
        return torch.from_numpy(np.stack(cols, 1)).float()

    def predict_attributes(self, features) -> torch.Tensor:
        """:math:`p(a_m = 1 \\mid x)` for every image and attribute, ``[N, A]``."""
        self._check_fitted()
        return self._attribute_probs(_inputs.features(features, self.n_features))

    def scores(self, features, class_attributes) -> torch.Tensor:
        """DAP log-scores ``[N, C]`` against any descriptions, seen or unseen."""
        binary = self.binarize(class_attributes)
        return _log_scores(self.predict_attributes(features), binary, self.prior, self.eps)
