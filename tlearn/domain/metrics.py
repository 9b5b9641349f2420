r"""Measures of a domain shift and of its repair: the proxy A-distance, and the share of the gap recovered.

**Proxy A-distance.** Ben-David, Blitzer, Crammer and Pereira, "Analysis of Representations for Domain
Adaptation", NIPS 19 (the 2006 conference; cited as Ben-David et al., 2006, by Ganin et al., 2016, and in
the notebooks), estimate the :math:`\mathcal{H}`-divergence between two domains, the middle term of the
bound of Ben-David et al. (2010, "A theory of learning from different domains", Machine Learning 79), by
training a classifier to tell them apart:

.. math::  \hat d_{\mathcal A} = 2\,(1 - 2\epsilon),

with :math:`\epsilon` the classifier's held-out error. 0 means indistinguishable, 2 perfectly separable.
Ganin et al. (2016, "Domain-Adversarial Training of Neural Networks", JMLR 17) use it to compare
representations before and after adaptation, with a linear SVM; :func:`proxy_a_distance` uses logistic
regression on standardised features, balances the two samples, and caps :math:`\epsilon` at 0.5.

**Gap recovered.** The DANN papers report how much of the way between training on the source only and
training on the labelled target a method covers: :math:`(a - a_{source}) / (a_{target} - a_{source})`.
"""

from __future__ import annotations

import numpy as np

from .. import checks


def proxy_a_distance(source, target, *, test_fraction: float = 0.5, C: float = 1.0, seed: int = 0) -> float:
    r"""Proxy A-distance :math:`2(1 - 2\epsilon)` between two samples of features (tensors or arrays).

    A logistic-regression domain classifier (features standardised) is trained on part of the pooled
    sample and :math:`\epsilon` is its error on the held-out ``test_fraction``. The larger sample is first
    subsampled to the size of the smaller, so guessing scores exactly 0.5 and the distance means the same
    for any sizes. :math:`\epsilon` is capped at 0.5: a classifier worse than chance on held-out data says
    the domains cannot be told apart, so the result lies in [0, 2].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xs, xt = checks.feature_pair(source, target)
    xs, xt = xs.detach().cpu().double().numpy(), xt.detach().cpu().double().numpy()
    test_fraction = checks.number("test_fraction", test_fraction, positive=True)
    if test_fraction >= 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    C = checks.number("C", C, positive=True)
    n = min(len(xs), len(xt))
    n_test = round(2 * n * test_fraction)
    if n_test < 2 or 2 * n - n_test < 2:
        raise ValueError(
            f"source has {len(xs)} and target {len(xt)} rows: too few to train and test a domain "
            f"classifier with test_fraction={test_fraction}; pass at least 4 rows of each"
        )
    rng = np.random.default_rng(seed)
    xs = xs[rng.choice(len(xs), n, replace=False)]
    xt = xt[rng.choice(len(xt), n, replace=False)]
    x = np.concatenate([xs, xt])
    d = np.concatenate([np.zeros(n), np.ones(n)])
    x_train, x_test, d_train, d_test = train_test_split(x, d, test_size=n_test, stratify=d, random_state=seed)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    classifier.fit(x_train, d_train)
    error = min(float(np.mean(classifier.predict(x_test) != d_test)), 0.5)
    return 2.0 * (1.0 - 2.0 * error)  # d_A = 2 (1 - 2 epsilon)


def gap_recovered(accuracy: float, source_only: float, train_on_target: float) -> float:
    r"""Share of the source-only to train-on-target gap a method closes:
    :math:`(a - a_{source}) / (a_{target} - a_{source})`. 1 means as good as training on labelled target."""
    for name, value in (("accuracy", accuracy), ("source_only", source_only), ("train_on_target", train_on_target)):
        checks.number(name, value)
    if train_on_target <= source_only:
        raise ValueError(
            f"train_on_target ({train_on_target:.3f}) must exceed source_only ({source_only:.3f}) for a gap to exist"
        )
    return (accuracy - source_only) / (train_on_target - source_only)
