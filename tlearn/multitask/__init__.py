r"""Multi-task learning: one network, several related tasks (notebook 04).

A model that learns two related tasks at once can learn each better than two models that learn one task
each: the tasks share structure (both need stroke detectors, both need digit shapes), so every label of
one task is also evidence for the features the other task needs. Caruana (1997, "Multitask Learning",
Machine Learning 28) calls it an inductive bias: the other tasks' training signals tell the shared
features what to prefer. The question is *how much* to share. Ruder (2017, "An Overview of Multi-Task
Learning in Deep Neural Networks", arXiv:1706.05098) sorts the answers into two families:

- **Hard parameter sharing** (:mod:`~tlearn.multitask.hard`): one trunk for every task, a head per task,
  :math:`\hat y_t = g_t(f_\theta(x))`. Fewest parameters, strongest bias; it hurts when the tasks want
  different features ("negative transfer"). A single-task network is the case of one task.
- **Soft parameter sharing** (:mod:`~tlearn.multitask.soft`): a network per task, kept close by a penalty
  on the distance between their parameters, :math:`\lambda\sum_{s<t}\lVert\theta_s-\theta_t\rVert_2^2`
  (Duong et al., 2015; a trace norm in Yang & Hospedales, 2017). :math:`\lambda` dials from independent
  networks (0) to one shared network (:math:`\infty`).
- **Cross-stitch units** (:mod:`~tlearn.multitask.cross_stitch`; Misra et al., 2016) sit between the two:
  a network per task whose activations are mixed after every block by a learned matrix,
  :math:`\tilde h_s = \sum_t \alpha_{st} h_t`, so the network learns how much to share, block by block.

**Task weighting** (:mod:`~tlearn.multitask.weighting`): the task losses add up to one loss,
:math:`L = \sum_t w_t L_t`, with fixed weights or weights learned from each task's homoscedastic
uncertainty (Kendall, Gal & Cipolla, 2018): :math:`L = \sum_t c_t e^{-s_t} L_t + \tfrac12 s_t`.

Every model here returns a dict ``{task: logits}`` in training and evaluation mode alike.
:func:`fit_multitask` (:mod:`~tlearn.multitask.training`) trains any of them with :class:`MultiTaskLoss` and
:func:`tlearn.train.fit`; :func:`evaluate_multitask` scores them on data whose targets are a dict
``{task: int64 tensor}``; :func:`lambda_sweep` measures the soft-sharing dial; :func:`next_point_tasks` (:mod:`~tlearn.multitask.trajectory`)
makes pen trajectories a two-task problem: the character, and where the pen goes next.
"""

from .base import multitask_tensors
from .canvases import digit_canvases
from .cross_stitch import CrossStitch, param_groups
from .evaluate import evaluate_multitask, predict_multitask
from .hard import HardSharing
from .soft import SoftSharing, parameter_distance, squared_parameter_distance
from .sweep import lambda_sweep
from .training import MultiTaskLoss, fit_multitask
from .trajectory import next_point_baselines, next_point_tasks
from .weighting import FixedWeighting, UncertaintyWeighting

__all__ = [
    "CrossStitch",
    "FixedWeighting",
    "HardSharing",
    "MultiTaskLoss",
    "SoftSharing",
    "UncertaintyWeighting",
    "digit_canvases",
    "evaluate_multitask",
    "fit_multitask",
    "lambda_sweep",
    "multitask_tensors",
    "next_point_baselines",
    "next_point_tasks",
    "param_groups",
    "parameter_distance",
    "predict_multitask",
    "squared_parameter_distance",
]
