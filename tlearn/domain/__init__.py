r"""Domain adaptation: learn on a labelled *source* domain, predict on an unlabelled *target* domain.

The setting
-----------
We hold labelled examples from a source distribution :math:`\mathcal{D}_S` (say, digits rendered from
fonts) and only unlabelled examples from a target distribution :math:`\mathcal{D}_T` (real handwritten
digits). A classifier trained on the source alone loses accuracy on the target. Ben-David, Blitzer,
Crammer, Kulesza, Pereira and Vaughan ("A theory of learning from different domains", Machine Learning 79,
2010) bound the target error of any hypothesis :math:`h` of a class :math:`\mathcal{H}` by

.. math::  \epsilon_T(h) \le \epsilon_S(h) + \tfrac12 d_{\mathcal{H}\Delta\mathcal{H}}(\mathcal{D}_S, \mathcal{D}_T)
           + \lambda^*, \qquad \lambda^* = \min_{h' \in \mathcal H} \epsilon_S(h') + \epsilon_T(h'),

so a representation helps when it keeps the source error low *and* makes the two domains hard to tell
apart, as long as some hypothesis still does well on both (:math:`\lambda^*` small: aligning the
marginals can also align the wrong classes, and then :math:`\lambda^*` grows). The divergence is estimated
from samples by the proxy A-distance of Ben-David et al. (2006), a classifier's error at telling the
domains apart.

The methods
-----------
Each adds to the source cross-entropy a second loss that pulls the source and target feature
distributions together; they differ in how they measure "apart". One file each, its paper and equation
in its docstring:

* :mod:`~tlearn.domain.mmd`: maximum mean discrepancy (Gretton et al., 2012), the distance between the
  domains' mean embeddings under a Gaussian multi-kernel, as in DAN (Long et al., 2015), simplified.
* :mod:`~tlearn.domain.coral`: Deep CORAL (Sun and Saenko, 2016), the distance between the covariances.
* :mod:`~tlearn.domain.dann`: domain-adversarial training (Ganin and Lempitsky, 2015; Ganin et al., 2016),
  a discriminator that the features learn to fool through a gradient reversal layer, with its schedules
  and the shallow network of the journal paper.
* :mod:`~tlearn.domain.metrics`: the proxy A-distance and the share of the source-only to
  train-on-target gap a method recovers.
* :mod:`~tlearn.domain.adapt`: the trainer, each method a :class:`tlearn.train.Method` run by
  :func:`tlearn.train.fit`; batch norm per domain and AdaBN (Li et al., 2016).
* :mod:`~tlearn.domain.selection`: reverse validation (Ganin et al., 2016, section 5.1.2), choosing a
  weight without target labels.
* :mod:`~tlearn.domain.experiments`: the notebooks' runs (two moons, one shift with every method).
"""

# The functions mmd, coral and adapt are imported last under their files' names, so ``domain.mmd(...)``
# is the function; importlib.import_module("tlearn.domain.mmd") reaches the file itself.

from .adapt import (
    ADAPTATION_METHODS,
    BATCH_NORM_MODES,
    CORAL,
    DANN,
    MMD,
    Adaptation,
    SourceOnly,
    adapt,
    adapt_batch_norm,
)
from .coral import coral, coral_loss, covariance
from .dann import (
    DomainDiscriminator,
    DomainLoss,
    GradientReversal,
    GradientReversalFunction,
    ShallowNetwork,
    dann_domain_loss,
    domain_adversarial_loss,
    gradient_reversal,
    lambda_schedule,
    learning_rate_schedule,
)
from .experiments import (
    ShiftComparison,
    ToyRun,
    compare_methods,
    features_of,
    two_moons_adaptation,
)
from .metrics import gap_recovered, proxy_a_distance
from .mmd import MMD_ESTIMATORS, median_bandwidth, mmd, mmd_squared
from .selection import reverse_validation_risk, select_by_reverse_validation

__all__ = [
    "ADAPTATION_METHODS",
    "BATCH_NORM_MODES",
    "CORAL",
    "DANN",
    "MMD",
    "MMD_ESTIMATORS",
    "Adaptation",
    "DomainDiscriminator",
    "DomainLoss",
    "GradientReversal",
    "GradientReversalFunction",
    "ShallowNetwork",
    "ShiftComparison",
    "SourceOnly",
    "ToyRun",
    "adapt",
    "adapt_batch_norm",
    "compare_methods",
    "coral",
    "coral_loss",
    "covariance",
    "dann_domain_loss",
    "domain_adversarial_loss",
    "features_of",
    "gap_recovered",
    "gradient_reversal",
    "lambda_schedule",
    "learning_rate_schedule",
    "median_bandwidth",
    "mmd",
    "mmd_squared",
    "proxy_a_distance",
    "reverse_validation_risk",
    "select_by_reverse_validation",
    "two_moons_adaptation",
]
