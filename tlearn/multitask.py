"""Multi-task learning: one network, several related tasks.

A model that learns two related tasks at once can learn each better than two models that learn
one task each: the tasks share structure (both need stroke detectors, both need digit shapes), so
every label of one task is also evidence for the features the other task needs (Caruana, 1997,
"Multitask Learning", Machine Learning 28). The question is *how much* to share.

Hard parameter sharing
    One trunk ``f`` computes features for every task, and a small head ``g_t`` per task maps them
    to that task's logits. The trunk sees the gradient of every task's loss:

    .. math::  \\hat y_t = g_t(f(x)), \\qquad L = \\sum_t w_t\\, L_t(\\hat y_t, y_t)

    It has the fewest parameters and the strongest inductive bias; it hurts when tasks want
    different features ("negative transfer").

Soft parameter sharing (Duong, Cohn, Bird & Cook, 2015, "Low Resource Dependency Parsing:
Cross-lingual Parameter Sharing in a Neural Network Parser", ACL)
    Every task keeps its own network ``f_t``, but the corresponding layers are tied by an L2
    penalty on the difference of their parameters:

    .. math::  L = \\sum_t w_t L_t + \\lambda \\sum_{s<t} \\sum_{\\ell} \\lVert \\theta^{(\\ell)}_s - \\theta^{(\\ell)}_t \\rVert_2^2

    ``lambda = 0`` gives independent single-task networks; as ``lambda`` grows the networks are
    pulled together and, in the limit, become one hard-shared trunk. ``lambda`` is a dial between
    the two extremes. "Corresponding layers" needs corresponding units: two randomly initialised
    networks order their hidden units arbitrarily, so the task networks here start as copies of one
    initialisation (``same_init=True``). With plain SGD the penalty shrinks every difference by a
    factor ``1 - 2 eta lambda K`` per step (K tasks); Adam rescales each step by the running
    gradient size, so there a very large ``lambda`` mostly slows the task losses down.

Cross-stitch units (Misra, Shrivastava, Gupta & Hebert, 2016, "Cross-stitch Networks for
Multi-task Learning", CVPR)
    Every task keeps its own network, and after each block the activations of the task columns
    are mixed by a learned matrix ``alpha``:

    .. math::  \\tilde h_s = \\sum_t \\alpha_{st}\\, h_t

    ``alpha = I`` is independent networks; equal entries (with equal columns) is one shared
    network. The network learns how much to share, block by block.

Task weighting
    With several losses the weights ``w_t`` matter. ``FixedWeighting`` uses weights you choose
    (equal by default). ``UncertaintyWeighting`` (Kendall, Gal & Cipolla, 2018, "Multi-Task
    Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR) learns
    them: each task gets a homoscedastic noise scale ``sigma_t`` and, with ``s_t = log sigma_t^2``,

    .. math::  L = \\sum_t c_t\\, e^{-s_t} L_t + \\tfrac12 s_t, \\qquad
               c_t = 1 \\text{ (classification)}, \\; \\tfrac12 \\text{ (regression)}

    A noisy (high-loss) task gets a large ``sigma_t`` and so a small weight; the ``s_t / 2`` term
    stops every weight collapsing to zero. For a fixed loss the optimum is ``e^{-s_t} = 1 / (2 c_t L_t)``.

Every model here returns a dict ``{task: logits}`` in training and evaluation mode alike, and
``fit_multitask`` / ``evaluate_multitask`` train and score any of them on data whose targets
are a dict ``{task: int64 tensor}``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from .train import History, _progress, batches, get_device, seed_everything

__all__ = [
    "HardSharing",
    "SoftSharing",
    "CrossStitch",
    "FixedWeighting",
    "UncertaintyWeighting",
    "squared_parameter_distance",
    "parameter_distance",
    "multitask_tensors",
    "fit_multitask",
    "evaluate_multitask",
    "predict_multitask",
    "lambda_sweep",
]


# ---------------------------------------------------------------------------------------------
# validation helpers


def _check_tasks(tasks) -> dict[str, int]:
    """``tasks`` maps each task name to its number of classes."""
    if not isinstance(tasks, Mapping):
        raise TypeError(
            f"tasks must be a dict {{task name: number of classes}}, got {type(tasks).__name__}; "
            "e.g. tasks={'left': 10, 'right': 10}"
        )
    if len(tasks) == 0:
        raise ValueError("tasks is empty; give at least one task, e.g. tasks={'left': 10}")
    out = {}
    for name, n in tasks.items():
        if not isinstance(name, str):
            raise TypeError(f"task names must be strings, got {name!r} in tasks")
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ValueError(
                f"tasks[{name!r}] = {n!r}: the number of classes must be an int of at least 2"
            )
        out[name] = n
    return out


def _check_trunk(trunk, what: str = "trunk") -> nn.Module:
    if not isinstance(trunk, nn.Module):
        raise TypeError(f"{what} must be a torch.nn.Module, got {type(trunk).__name__}")
    n = getattr(trunk, "out_features", None)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TypeError(
            f"{what} ({type(trunk).__name__}) has no integer .out_features (got {n!r}); the heads "
            "need the feature size: use a tlearn.backbones model or set trunk.out_features"
        )
    return trunk


def _architecture(module: nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, tuple(p.shape)) for name, p in module.named_parameters()]


def _check_same_architecture(a: nn.Module, b: nn.Module, names: tuple[str, str]) -> None:
    """Soft sharing compares parameters layer by layer, so both networks need the same layers."""
    arch_a, arch_b = _architecture(a), _architecture(b)
    if arch_a == arch_b:
        return
    for (na, sa), (nb, sb) in zip(arch_a, arch_b):
        if na != nb or sa != sb:
            raise ValueError(
                f"mismatched architectures: {names[0]} has parameter {na!r} of shape {sa} where "
                f"{names[1]} has {nb!r} of shape {sb}; soft sharing and cross-stitch units need "
                "one network per task built the same way (same class, same arguments)"
            )
    raise ValueError(
        f"mismatched architectures: {names[0]} has {len(arch_a)} parameter tensors, {names[1]} "
        f"has {len(arch_b)}; soft sharing and cross-stitch units need one network per task built "
        "the same way (same class, same arguments)"
    )


def _build_columns(trunks, tasks: dict[str, int], same_init: bool) -> nn.ModuleDict:
    """One trunk per task: from a factory (called once per task) or a dict {task: trunk}.

    With ``same_init`` every trunk starts as a copy of the first task's parameters and buffers.
    Independently initialised networks have their hidden units in unrelated orders (unit 7 of one
    is not unit 7 of the other), so tying or mixing them "layer by layer" would compare unrelated
    units; starting from one initialisation makes the units correspond, as when both columns start
    from one pretrained network.
    """
    if not isinstance(same_init, bool):
        raise TypeError(f"same_init must be True or False, got {same_init!r}")
    if isinstance(trunks, nn.Module):
        raise TypeError(
            "trunks is a single module; give a function that builds a new trunk (called once per "
            "task, e.g. trunks=lambda: Conv4(...)) or a dict {task: trunk}"
        )
    if isinstance(trunks, Mapping):
        missing, extra = _key_mismatch(trunks, tasks)
        if missing or extra:
            raise ValueError(
                f"trunks has tasks {list(trunks)} but tasks has {list(tasks)} (missing {missing}, "
                f"extra {extra}); give exactly one trunk per task"
            )
        columns = {t: trunks[t] for t in tasks}
    elif callable(trunks):
        columns = {t: trunks() for t in tasks}
    else:
        raise TypeError(
            f"trunks must be a function that builds a trunk or a dict {{task: trunk}}, got "
            f"{type(trunks).__name__}"
        )
    first = next(iter(columns))
    for t, trunk in columns.items():
        _check_trunk(trunk, f"trunks[{t!r}]")
    ids = {id(m) for m in columns.values()}
    if len(ids) < len(columns):
        raise ValueError(
            "trunks holds the same module object for several tasks: that is hard sharing, not "
            "soft sharing; build a new trunk for each task (the factory is called once per task)"
        )
    for t in columns:
        if t != first:
            _check_same_architecture(columns[first], columns[t], (f"trunks[{first!r}]", f"trunks[{t!r}]"))
            if same_init:
                columns[t].load_state_dict(columns[first].state_dict())
    return nn.ModuleDict(columns)


def _heads(tasks: dict[str, int], in_features: int) -> nn.ModuleDict:
    return nn.ModuleDict({t: nn.Linear(in_features, n) for t, n in tasks.items()})


# ---------------------------------------------------------------------------------------------
# models


class HardSharing(nn.Module):
    """Hard parameter sharing: one shared trunk, one linear head per task.

    ``tasks`` maps task name to number of classes. ``forward(x, *extra)`` passes ``extra`` to the
    trunk (e.g. sequence lengths for ``GRUEncoder``) and returns ``{task: logits}``.
    A single-task network is the special case of one task: ``HardSharing(trunk, {"left": 10})``.
    """

    def __init__(self, trunk: nn.Module, tasks: Mapping[str, int]):
        super().__init__()
        tasks = _check_tasks(tasks)
        self.trunk = _check_trunk(trunk)
        self.heads = _heads(tasks, trunk.out_features)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    def forward(self, x, *extra) -> dict[str, torch.Tensor]:
        z = self.trunk(x, *extra)
        return {t: head(z) for t, head in self.heads.items()}


def squared_parameter_distance(a: nn.Module, b: nn.Module) -> torch.Tensor:
    """``sum_l ||theta_a^(l) - theta_b^(l)||^2`` over corresponding parameters (differentiable)."""
    for name, m in (("a", a), ("b", b)):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(m).__name__}")
    _check_same_architecture(a, b, ("a", "b"))
    terms = [(pa - pb).pow(2).sum() for pa, pb in zip(a.parameters(), b.parameters())]
    if not terms:
        raise ValueError("a and b have no parameters to compare")
    return torch.stack(terms).sum()


def parameter_distance(a: nn.Module, b: nn.Module) -> float:
    """Euclidean distance between two networks' parameter vectors (same architecture)."""
    with torch.no_grad():
        return float(squared_parameter_distance(a, b).sqrt())


class SoftSharing(nn.Module):
    """Soft parameter sharing (Duong et al., 2015): a network per task, tied by an L2 penalty.

    ``trunks``: a function that builds a trunk (called once per task) or a dict ``{task: trunk}`` of
    identically built trunks. ``same_init`` (default) starts every task's trunk from the first one's
    parameters, so that the penalty ties units that correspond; ``same_init=False`` keeps each
    trunk's own initialisation (then even a large lambda must first undo unrelated random starts).
    ``lam``: the penalty strength lambda; ``penalty()`` returns

        lambda * sum over task pairs s < t of sum over layers ||theta_s - theta_t||^2

    over the trunks' parameters (heads have task-specific shapes and stay free).
    ``fit_multitask`` adds ``penalty()`` to the task losses. With ``lam=0`` this is exactly a set of
    independent single-task networks trained side by side (from one initialisation).
    """

    def __init__(self, trunks, tasks: Mapping[str, int], lam: float = 1e-2, same_init: bool = True):
        super().__init__()
        tasks = _check_tasks(tasks)
        self.trunks = _build_columns(trunks, tasks, same_init)
        self.heads = _heads(tasks, next(iter(self.trunks.values())).out_features)
        self.lam = lam

    @property
    def lam(self) -> float:
        return self._lam

    @lam.setter
    def lam(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"lam = {value!r}: the penalty strength must be a finite number >= 0")
        self._lam = float(value)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    def forward(self, x, *extra) -> dict[str, torch.Tensor]:
        return {t: self.heads[t](self.trunks[t](x, *extra)) for t in self.heads}

    def squared_distance(self) -> torch.Tensor:
        """Sum over task pairs of the squared parameter distance between their trunks."""
        # the trunks were checked to match when the model was built, so pair parameters directly
        # (this runs at every training step)
        terms = [
            (pa - pb).pow(2).sum()
            for a, b in itertools.combinations(self.trunks.values(), 2)
            for pa, pb in zip(a.parameters(), b.parameters())
        ]
        if not terms:  # one task: nothing to tie
            return next(self.parameters()).new_zeros(())
        return torch.stack(terms).sum()

    def penalty(self) -> torch.Tensor:
        return self.lam * self.squared_distance()

    def parameter_distance(self) -> float:
        """sqrt of the summed squared distances: for two tasks, the distance between the trunks."""
        with torch.no_grad():
            return float(self.squared_distance().sqrt())


class CrossStitch(nn.Module):
    """Cross-stitch networks (Misra et al., 2016): task columns mixed after every block.

    ``trunks``: a factory or a dict of identically built trunks that expose ``.blocks`` (an
    ``nn.ModuleList`` applied in order; their output, flattened, is the feature vector of size
    ``.out_features``), such as ``tlearn.backbones.Conv4``. After block ``l`` the activations of the
    ``K`` columns are mixed by a learned ``K x K`` matrix:  ``h_s <- sum_t alpha[l, s, t] h_t``.
    ``init_self`` is the initial weight a column gives itself; the rest, ``1 - init_self``, is split
    over the other columns (the paper's best initialisation for two tasks is 0.9 / 0.1).
    ``same_init`` (default) starts every column from the first one's parameters, as the paper starts
    both columns from one pretrained network: mixing channel ``c`` of one column with channel ``c``
    of another only makes sense if those channels correspond.
    The paper trains alpha with a larger learning rate than the network, so that the few mixing
    weights settle while the columns are fine-tuned; build the optimizer with
    ``param_groups(lr, stitch_lr)`` to do the same.
    """

    def __init__(self, trunks, tasks: Mapping[str, int], init_self: float = 0.9, same_init: bool = True):
        super().__init__()
        tasks = _check_tasks(tasks)
        if isinstance(init_self, bool) or not isinstance(init_self, (int, float)) or not 0 <= init_self <= 1:
            raise ValueError(f"init_self = {init_self!r}: must be a number in [0, 1], e.g. 0.9")
        self.trunks = _build_columns(trunks, tasks, same_init)
        for t, trunk in self.trunks.items():
            if not isinstance(getattr(trunk, "blocks", None), nn.ModuleList):
                raise TypeError(
                    f"trunks[{t!r}] ({type(trunk).__name__}) has no .blocks ModuleList; cross-stitch "
                    "units sit between blocks, so use a trunk made of blocks such as Conv4"
                )
        k = len(tasks)
        n_blocks = len(next(iter(self.trunks.values())).blocks)
        other = (1.0 - init_self) / (k - 1) if k > 1 else 0.0
        alpha = torch.full((k, k), other)
        alpha.fill_diagonal_(float(init_self) if k > 1 else 1.0)
        self.alpha = nn.Parameter(alpha.repeat(n_blocks, 1, 1))  # [blocks, K, K]
        self.heads = _heads(tasks, next(iter(self.trunks.values())).out_features)

    @property
    def tasks(self) -> dict[str, int]:
        return {t: h.out_features for t, h in self.heads.items()}

    def stitch(self, hs: Sequence[torch.Tensor], alpha: torch.Tensor) -> list[torch.Tensor]:
        """``h_s <- sum_t alpha[s, t] h_t`` for activations ``hs`` of equal shape."""
        stacked = torch.stack(list(hs))  # [K, B, ...]
        mixed = torch.tensordot(alpha, stacked, dims=([1], [0]))
        return list(mixed.unbind(0))

    def forward(self, x) -> dict[str, torch.Tensor]:
        columns = list(self.trunks.values())
        hs = [x] * len(columns)
        for layer in range(self.alpha.shape[0]):
            hs = [col.blocks[layer](h) for col, h in zip(columns, hs)]
            hs = self.stitch(hs, self.alpha[layer])
        return {t: self.heads[t](h.flatten(1)) for t, h in zip(self.heads, hs)}

    def param_groups(self, lr: float, stitch_lr: float | None = None) -> list[dict]:
        """Optimizer parameter groups: the network at ``lr``, alpha at ``stitch_lr``.

        The default, ``10 * lr``, is a modest boost; the paper used 100-1000x with SGD while
        fine-tuning columns that start from one pretrained network.
        """
        stitch_lr = 10 * lr if stitch_lr is None else stitch_lr
        for name, value in (("lr", lr), ("stitch_lr", stitch_lr)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} = {value!r}: a learning rate must be a positive number")
        rest = [p for n, p in self.named_parameters() if n != "alpha"]
        return [{"params": rest, "lr": lr}, {"params": [self.alpha], "lr": stitch_lr}]


# ---------------------------------------------------------------------------------------------
# task weighting


def _key_mismatch(given, tasks: Sequence[str]) -> tuple[list, list]:
    """The tasks ``given`` (a dict keyed by task) lacks, and the keys it has that are not tasks."""
    return [t for t in tasks if t not in given], [t for t in given if t not in tasks]


def _check_losses(losses, tasks: Sequence[str], who: str, what: str = "losses") -> None:
    if not isinstance(losses, Mapping):
        raise TypeError(f"{who} takes a dict {{task: {what[:-1]}}}, got {type(losses).__name__}")
    missing, extra = _key_mismatch(losses, tasks)
    if missing or extra:
        raise ValueError(
            f"{who} weighs tasks {list(tasks)} but got {what} for {list(losses)} (missing {missing}, "
            f"unknown {extra}); give one entry per task of the model"
        )


class FixedWeighting(nn.Module):
    """``L = sum_t w_t L_t`` with weights you choose; equal weights (all 1) by default."""

    def __init__(self, tasks: Sequence[str], weights: Mapping[str, float] | None = None):
        super().__init__()
        self.task_names = _check_task_names(tasks)
        if weights is None:
            weights = {t: 1.0 for t in self.task_names}
        if not isinstance(weights, Mapping):
            raise TypeError(f"weights must be a dict {{task: weight}} or None, got {type(weights).__name__}")
        _check_losses(weights, self.task_names, "FixedWeighting", what="weights")
        for t, w in weights.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
                raise ValueError(f"weights[{t!r}] = {w!r}: task weights must be finite numbers >= 0")
        self._weights = {t: float(weights[t]) for t in self.task_names}

    def weights(self) -> dict[str, float]:
        return dict(self._weights)

    def forward(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        _check_losses(losses, self.task_names, "FixedWeighting")
        return sum(self._weights[t] * losses[t] for t in self.task_names)


class UncertaintyWeighting(nn.Module):
    """Learned task weights from homoscedastic uncertainty (Kendall, Gal & Cipolla, 2018).

    ``L = sum_t c_t exp(-s_t) L_t + s_t / 2`` with a learned ``s_t = log sigma_t^2`` (initialised to
    0, i.e. weight 1) and ``c_t = 1`` for classification, ``1/2`` for tasks named in ``regression``.
    Its parameters must be optimised with the model's (``fit_multitask`` does this).
    """

    def __init__(self, tasks: Sequence[str], regression: Sequence[str] = ()):
        super().__init__()
        self.task_names = _check_task_names(tasks)
        unknown = [t for t in regression if t not in self.task_names]
        if isinstance(regression, str) or unknown:
            raise ValueError(
                f"regression = {regression!r} names tasks not in {self.task_names}; give a list of "
                "task names whose loss is a squared error"
            )
        self.scale = {t: (0.5 if t in regression else 1.0) for t in self.task_names}
        self.log_variance = nn.Parameter(torch.zeros(len(self.task_names)))

    def weights(self) -> dict[str, float]:
        """The current effective weight ``c_t exp(-s_t)`` of each task."""
        w = torch.exp(-self.log_variance.detach())
        return {t: self.scale[t] * float(w[i]) for i, t in enumerate(self.task_names)}

    def forward(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        _check_losses(losses, self.task_names, "UncertaintyWeighting")
        s = self.log_variance
        return sum(
            self.scale[t] * torch.exp(-s[i]) * losses[t] + 0.5 * s[i]
            for i, t in enumerate(self.task_names)
        )


def _check_task_names(tasks) -> list[str]:
    if isinstance(tasks, Mapping):
        tasks = list(tasks)
    if isinstance(tasks, str) or not isinstance(tasks, Sequence):
        raise TypeError(f"tasks must be a list of task names, got {tasks!r}; e.g. ['left', 'right']")
    if len(tasks) == 0 or not all(isinstance(t, str) for t in tasks) or len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks = {tasks!r}: give a non-empty list of distinct task names")
    return list(tasks)


# ---------------------------------------------------------------------------------------------
# data, training and evaluation


def multitask_tensors(data) -> tuple[tuple[torch.Tensor, ...], dict[str, torch.Tensor]]:
    """Normalise multi-task data to ``(inputs, targets)``.

    Accepts an object with ``.images`` and ``.tasks`` (``tlearn.data.MultiDigits``), or a pair
    ``(inputs, targets)`` where ``inputs`` is a tensor or a tuple of tensors passed to the model
    together (e.g. ``(trajectories, lengths)``) and ``targets`` is a dict ``{task: int64 tensor}``.
    """
    if hasattr(data, "tasks") and hasattr(data, "images") and isinstance(data.tasks, Mapping):
        inputs, targets = data.images, data.tasks
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        inputs, targets = data
    else:
        raise TypeError(
            f"data must be a MultiDigits-like object (.images, .tasks) or a pair (inputs, "
            f"{{task: targets}}), got {type(data).__name__}"
        )
    inputs = (inputs,) if isinstance(inputs, torch.Tensor) else tuple(inputs)
    if not inputs or not all(isinstance(x, torch.Tensor) for x in inputs):
        raise TypeError("inputs must be a tensor or a tuple of tensors, e.g. (trajectories, lengths)")
    if not isinstance(targets, Mapping) or not targets:
        raise TypeError(f"targets must be a non-empty dict {{task: int64 tensor}}, got {type(targets).__name__}")
    n = len(inputs[0])
    if n == 0:
        raise ValueError("data is empty: no examples to train or evaluate on")
    for i, x in enumerate(inputs):
        if len(x) != n:
            raise ValueError(f"inputs[{i}] has {len(x)} rows but inputs[0] has {n}; all inputs need one row per example")
    for t, y in targets.items():
        if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != (n,):
            raise ValueError(
                f"targets[{t!r}] must be an int64 tensor of shape ({n},), got "
                f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"
            )
    return inputs, dict(targets)


def _model_tasks(model) -> dict[str, int]:
    tasks = getattr(model, "tasks", None)
    if not isinstance(tasks, Mapping):
        raise TypeError(
            f"model ({type(model).__name__}) has no .tasks dict; use HardSharing, SoftSharing or "
            "CrossStitch (or any module with .tasks {task: n_classes} returning {task: logits})"
        )
    return dict(tasks)


def _resolve_tasks(model, targets: Mapping, tasks) -> list[str]:
    heads = _model_tasks(model)
    tasks = list(heads) if tasks is None else _check_task_names(tasks)
    no_head = [t for t in tasks if t not in heads]
    if no_head:
        raise ValueError(
            f"task(s) {no_head} have no head: the model's heads are {list(heads)}; add a head for "
            "them (tasks={...} when building the model) or leave them out of tasks"
        )
    missing = [t for t in tasks if t not in targets]
    if missing:
        raise ValueError(
            f"targets are missing task(s) {missing}: the data has targets for {list(targets)} but "
            f"the model is trained on {tasks}; add those targets or pass tasks=[...] to choose"
        )
    for t in tasks:
        y = targets[t]
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= heads[t]):
            raise ValueError(
                f"targets[{t!r}] has labels in [{int(y.min())}, {int(y.max())}] but its head has "
                f"{heads[t]} classes; labels must be in 0..{heads[t] - 1}"
            )
    return tasks


def fit_multitask(
    model: nn.Module,
    data,
    *,
    weighting: nn.Module | None = None,
    tasks: Sequence[str] | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 64,
    optimizer: torch.optim.Optimizer | None = None,
    val=None,
    cosine: bool = False,
    device="auto",
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
) -> History:
    """Train a multi-task model with a cross-entropy loss per task; returns a :class:`History`.

    The loss of a batch is ``weighting({t: L_t}) + model.penalty()`` (the penalty only where the
    model has one: soft sharing). ``tasks`` defaults to the model's heads; the data may carry
    targets for more tasks (they are ignored, which is how a single-task network trains on
    multi-task data), never for fewer. ``weighting`` defaults to equal weights; its parameters, if
    any, are optimised with the model's. ``cosine=True`` anneals every learning rate to zero along
    a half cosine over the run (Loshchilov & Hutter, 2017, "SGDR"), so a short run ends in a settled
    model rather than wherever its last noisy step left it. The history holds per epoch ``loss`` (the
    weighted total, penalty included), ``seconds``, ``loss_<task>`` (unweighted cross-entropy),
    ``train_acc_<task>``, ``weight_<task>`` and, with ``val``, ``val_acc_<task>``.
    """
    inputs, targets = multitask_tensors(data)
    tasks = _resolve_tasks(model, targets, tasks)
    if weighting is None:
        weighting = FixedWeighting(tasks)
    if not isinstance(weighting, (FixedWeighting, UncertaintyWeighting)):
        raise TypeError(
            f"weighting must be FixedWeighting or UncertaintyWeighting, got {type(weighting).__name__}"
        )
    if set(weighting.task_names) != set(tasks):
        no_head = [t for t in weighting.task_names if t not in tasks]
        no_weight = [t for t in tasks if t not in weighting.task_names]
        raise ValueError(
            f"weighting is built for tasks {weighting.task_names} but the model is trained on "
            f"{tasks} (no head: {no_head}, no weight: {no_weight}); build the weighting with the "
            "same tasks, e.g. UncertaintyWeighting(list(model.tasks))"
        )
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} = {v!r}: must be a positive int")
    if val is not None:
        val = multitask_tensors(val)
        _resolve_tasks(model, val[1], tasks)

    dev = get_device(device)
    model.to(dev)
    weighting.to(dev)
    generator = seed_everything(seed)
    if optimizer is None:
        optimizer = torch.optim.Adam([*model.parameters(), *weighting.parameters()], lr=lr)
    elif isinstance(weighting, UncertaintyWeighting):
        known = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if id(weighting.log_variance) not in known:
            optimizer.add_param_group({"params": [weighting.log_variance]})
    penalty = getattr(model, "penalty", None)
    n = len(inputs[0])
    schedule = None
    if cosine:
        total_steps = epochs * math.ceil(n / batch_size)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)

    history = History()
    for _ in _progress(range(epochs), progress, desc or type(model).__name__):
        start = time.perf_counter()
        model.train()
        total, correct, task_loss = 0.0, {t: 0 for t in tasks}, {t: 0.0 for t in tasks}
        for idx in batches(n, batch_size, shuffle=True, generator=generator):
            out = model(*(x[idx].to(dev) for x in inputs))
            ys = {t: targets[t][idx].to(dev) for t in tasks}
            losses = {t: F.cross_entropy(out[t], ys[t]) for t in tasks}
            loss = weighting(losses)
            if callable(penalty):
                loss = loss + penalty()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            total += loss.item() * len(idx)
            for t in tasks:
                correct[t] += (out[t].argmax(1) == ys[t]).sum().item()
                task_loss[t] += losses[t].item() * len(idx)
        seconds = time.perf_counter() - start
        history.log(loss=total / n, seconds=seconds, **{f"loss_{t}": task_loss[t] / n for t in tasks},
                    **{f"train_acc_{t}": correct[t] / n for t in tasks})
        history.log(**{f"weight_{t}": w for t, w in weighting.weights().items()})
        if val is not None:
            accs = evaluate_multitask(model, val, tasks=tasks, device=dev)
            history.log(**{f"val_acc_{t}": accs[t] for t in tasks})
    return history


@torch.no_grad()
def predict_multitask(model: nn.Module, data, batch_size: int = 256, device="auto") -> dict[str, torch.Tensor]:
    """Logits ``{task: [N, n_classes]}`` in evaluation mode (targets, if given, are not used)."""
    if isinstance(data, torch.Tensor):
        inputs = (data,)
    elif isinstance(data, tuple) and all(isinstance(x, torch.Tensor) for x in data):
        inputs = data
    else:
        inputs, _ = multitask_tensors(data)
    dev = get_device(device)
    model.to(dev)
    was_training = model.training
    model.eval()
    chunks: dict[str, list[torch.Tensor]] = {}
    try:
        for begin in range(0, len(inputs[0]), batch_size):
            out = model(*(x[begin : begin + batch_size].to(dev) for x in inputs))
            for t, logits in out.items():
                chunks.setdefault(t, []).append(logits.cpu())
    finally:
        model.train(was_training)
    return {t: torch.cat(c) for t, c in chunks.items()}


def evaluate_multitask(model: nn.Module, data, tasks: Sequence[str] | None = None, batch_size: int = 256, device="auto") -> dict[str, float]:
    """Accuracy per task, ``{task: accuracy in [0, 1]}``, plus ``"mean"`` over the tasks."""
    inputs, targets = multitask_tensors(data)
    tasks = _resolve_tasks(model, targets, tasks)
    logits = predict_multitask(model, inputs, batch_size=batch_size, device=device)
    accs = {t: float((logits[t].argmax(1) == targets[t]).float().mean()) for t in tasks}
    accs["mean"] = sum(accs.values()) / len(tasks)
    return accs


def lambda_sweep(
    make_trunk: Callable[[], nn.Module],
    tasks: Mapping[str, int],
    train,
    test,
    lams: Sequence[float],
    *,
    weights: Mapping[str, float] | None = None,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 64,
    cosine: bool = False,
    same_init: bool = True,
    seed: int = 0,
    device="auto",
) -> list[dict]:
    """Train one ``SoftSharing`` model per lambda (same seed, same initial networks) and measure it.

    Returns one row per lambda: ``lam``, ``distance`` (between the task trunks after training),
    ``initial_distance``, test accuracy per task and their ``mean``, and ``seconds``.
    """
    if isinstance(lams, (int, float)) or len(lams) == 0:
        raise ValueError(f"lams = {lams!r}: give a non-empty list of penalty strengths, e.g. [0, 0.01, 1]")
    rows = []
    for lam in lams:
        seed_everything(seed)  # every lambda starts from the same pair of initial networks
        model = SoftSharing(make_trunk, tasks, lam=lam, same_init=same_init)
        initial = model.parameter_distance()
        weighting = FixedWeighting(list(model.tasks), weights)
        hist = fit_multitask(
            model, train, weighting=weighting, epochs=epochs, lr=lr, batch_size=batch_size,
            cosine=cosine, seed=seed, device=device, progress=False,
        )
        accs = evaluate_multitask(model, test, device=device)
        rows.append(
            {"lam": float(lam), "distance": model.parameter_distance(), "initial_distance": initial,
             **accs, "seconds": hist.total_seconds}
        )
    return rows
