r"""Zero-shot learning: recognising classes from their descriptions, with no example of them.

A classifier trained on labelled images can only name the classes it was shown. Zero-shot learning adds
one more thing per class: a *description*, a vector :math:`a_c \in \mathbb{R}^A` of attributes a person
could state without drawing the thing ("has a loop on top", "three strokes", "wider than tall"). Training
sees images of the *seen* classes :math:`\mathcal{S}` and their descriptions; at test time the model
receives the descriptions of *unseen* classes :math:`\mathcal{U}` (disjoint from :math:`\mathcal{S}`) and
must recognise their images. What transfers is not a class but the link between images and the attribute
vocabulary.

Every model here reduces to a *compatibility score* :math:`s(x, a_c)` between an image's features
:math:`x \in \mathbb{R}^d` and a class description, and predicts :math:`\arg\max_c s(x, a_c)` over the
candidate classes. The three models differ in what they learn, one file each:

- :mod:`~tlearn.zeroshot.dap`: **Direct Attribute Prediction** (Lampert, Nickisch and Harmeling, CVPR
  2009; TPAMI 2014). One probabilistic classifier per attribute; Bayes' rule with a uniform class prior
  turns the attribute posteriors into a class score,
  :math:`p(c \mid x) \propto \prod_m p(a_m = a^c_m \mid x) / p(a_m = a^c_m)`. A closed-form-style
  learner (independent logistic regressions): ``fit`` / ``scores``.
- :mod:`~tlearn.zeroshot.eszsl`: **ESZSL** (Romera-Paredes and Torr, *An embarrassingly simple approach to
  zero-shot learning*, ICML 2015). A bilinear score :math:`x^\top V a` whose regularised least-squares
  fit has the closed form :math:`V = (X X^\top + \gamma I)^{-1} X Y S^\top (S S^\top + \lambda I)^{-1}`:
  ``fit`` / ``scores``.
- :mod:`~tlearn.zeroshot.prototypical`: the **prototypical zero-shot network** (Snell, Swersky and Zemel,
  *Prototypical networks for few-shot learning*, NeurIPS 2017, sec. 2.6). The prototype of a class is
  embedded from its description, :math:`p_c = g(a_c)/\|g(a_c)\|`, and images are classified by a softmax
  over :math:`-\|f(x) - p_c\|^2`. The one model trained by gradient descent, through
  :func:`tlearn.train.fit`.

**Evaluation** (:mod:`~tlearn.zeroshot.metrics`). *Conventional* zero-shot accuracy lets only the unseen
classes compete and averages per class. *Generalized* zero-shot (Chao, Changpinyo, Gong and Sha, ECCV
2016) lets every class compete; Xian, Schiele and Akata (CVPR 2017; TPAMI 2019) report the per-class
accuracies on seen and unseen test images and their harmonic mean
:math:`H = 2\,\mathrm{acc}_S\,\mathrm{acc}_U / (\mathrm{acc}_S + \mathrm{acc}_U)`, high only when both
are. Models trained on seen classes score them higher, so most unseen images are taken for a seen class;
*calibrated stacking* (Chao et al. 2016) subtracts a constant :math:`\gamma` from every seen-class score,
and the area under the seen-unseen curve traced by :math:`\gamma` (AUSUC) summarises a model whatever
:math:`\gamma`.

**Splits** (:mod:`~tlearn.zeroshot.splits`): seen/unseen classes, held-out seen-class test images, and
validation classes carved from the seen ones for choosing hyperparameters without touching the test
classes. :mod:`~tlearn.zeroshot.descriptions` holds the digit attribute table and turns typed words into
a description; :mod:`~tlearn.zeroshot.trial` runs one whole experiment (the panel of notebook 06).

Conventions: features are rows (``[N, d]``), class descriptions are rows (``[C, A]``, one per class id),
labels are class ids indexing those rows, and scores are ``[N, C]`` with column ``c`` for class ``c``.
Arguments are checked where they enter (the public functions and ``fit``/``scores``), through
:mod:`tlearn.checks`; the math below takes them as given.
"""

from .dap import DAP, dap_scores
from .descriptions import (
    DIGIT_ATTRIBUTE_NAMES,
    DIGIT_DESCRIPTIONS,
    digit_attributes,
    parse_description,
)
from .eszsl import ESZSL, eszsl_weights, select_eszsl
from .metrics import (
    calibrated_stacking,
    confusion_matrix,
    generalized_accuracy,
    harmonic_mean,
    mean_predicted_attributes,
    one_shot_reference,
    per_class_accuracy,
    stacking_curve,
    zero_shot_accuracy,
)
from .prototypical import PrototypicalZeroShot, SeenClassCrossEntropy
from .splits import check_split, generalized_split, split_classes, standardize
from .trial import zero_shot_trial

__all__ = [
    "DAP",
    "DIGIT_ATTRIBUTE_NAMES",
    "DIGIT_DESCRIPTIONS",
    "ESZSL",
    "PrototypicalZeroShot",
    "SeenClassCrossEntropy",
    "calibrated_stacking",
    "check_split",
    "confusion_matrix",
    "dap_scores",
    "digit_attributes",
    "eszsl_weights",
    "generalized_accuracy",
    "generalized_split",
    "harmonic_mean",
    "mean_predicted_attributes",
    "one_shot_reference",
    "parse_description",
    "per_class_accuracy",
    "select_eszsl",
    "split_classes",
    "stacking_curve",
    "standardize",
    "zero_shot_accuracy",
    "zero_shot_trial",
]
