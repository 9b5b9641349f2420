"""Fine-tuning: start from a pretrained network, give it a new head, and train it gently on the target.

A network trained on a large source task (here: 600 glyph characters, the ImageNet of this world)
has learned features that are useful far beyond that task: edges and stroke pieces in its first
blocks, larger parts in its last ones. Yosinski et al. (*How transferable are features in deep neural
networks?*, NeurIPS 2014) measured it: copying the first :math:`n` layers of a network trained on one half
of ImageNet and fine-tuning them on the other half beat training from scratch at every :math:`n`, while
*frozen* copies of the higher layers lost accuracy, more so the further apart the two tasks were.
Fine-tuning reuses the features in four moves.

1. **Replace the head.** The last linear layer maps features to the *source* classes; it is thrown away
   and a freshly initialised ``nn.Linear(out_features, n_target_classes)`` takes its place
   (:func:`replace_head`).

2. **Train with a small learning rate.** The pretrained weights :math:`\\theta_0` are a good starting
   point, so the steps should stay near it: a learning rate :math:`\\eta` about ten times below the one
   used from scratch keeps what was learned while the head catches up. The optimiser the code uses is
   Adam (Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015), run by
   :func:`tlearn.train.fit`. With :math:`g_t = \\nabla_\\theta L_{target}(\\theta_{t-1})` on the batch of step
   :math:`t`,

   .. math::  m_t = \\beta_1 m_{t-1} + (1-\\beta_1)\\, g_t, \\qquad v_t = \\beta_2 v_{t-1} + (1-\\beta_2)\\, g_t^2,

              \\hat m_t = m_t / (1-\\beta_1^t), \\qquad \\hat v_t = v_t / (1-\\beta_2^t), \\qquad
              \\theta_t = \\theta_{t-1} - \\eta\\, \\hat m_t / (\\sqrt{\\hat v_t} + \\epsilon),

   with PyTorch's defaults :math:`\\beta_1 = 0.9,\\ \\beta_2 = 0.999,\\ \\epsilon = 10^{-8}` (``weight_decay``
   adds :math:`\\lambda\\theta_{t-1}` to :math:`g_t`, L2 regularisation as in ``torch.optim.Adam``, not
   AdamW's decoupled decay). Because Adam divides by :math:`\\sqrt{\\hat v_t}`, a step moves each weight by
   about :math:`\\eta` whatever the gradient's scale: :math:`\\eta` is directly "how far the weights may
   travel per step", which is why a small :math:`\\eta` keeps the pretrained weights near :math:`\\theta_0`.

3. **Layer-wise (discriminative) learning rates.** Early blocks are generic, the head is brand new, so
   each parameter group :math:`l` (input to output, head last) gets its own rate, one optimizer
   parameter group each (:func:`param_groups`):

   .. math::  \\eta_{head} = m\\, \\eta, \\qquad \\eta_l = \\eta\\, d^{\\,L - 1 - l}\\quad (l = 0 \\dots L-1)

   with a head multiplier :math:`m` (10 here) and an optional decay :math:`d \\le 1` so that lower blocks
   move less. Howard & Ruder (*Universal Language Model Fine-tuning for Text Classification*, ACL 2018)
   write it :math:`\\theta^l_t = \\theta^l_{t-1} - \\eta^l \\nabla_{\\theta^l} J(\\theta)` with
   :math:`\\eta^{l-1} = \\eta^l / 2.6`, i.e. :math:`d = 1/2.6`; tlearn's default is :math:`d = 1` with the
   head at :math:`10\\eta`, and it applies the rates inside Adam rather than plain SGD (ULMFiT, too, used
   Adam, with :math:`\\beta_1 = 0.7, \\beta_2 = 0.99`).

4. **Gradual unfreezing.** Train only the head first, then unfreeze one more block per stage from the
   top down, so the random head's large early gradients never reach (and scramble) the lower blocks
   (Howard & Ruder 2018 unfreeze one layer per epoch; tlearn spreads the stages over the epochs it has,
   :func:`unfreezing_schedule`). :func:`fine_tune` does it through the ``on_epoch_end`` callback of
   :func:`tlearn.train.fit_classifier`, with one Adam optimizer for the whole run.

Freezing means ``requires_grad = False``: the parameter gets no gradient, so no optimizer moves it.
Batch-norm running statistics are buffers, not parameters: in training mode they still follow the
target batches even in a frozen block, so "0 unfrozen blocks" (``method="head"``) does change the
backbone's batch-norm means and variances. That often helps when the target looks different from the
source (Li et al., *Revisiting Batch Normalization for Practical Domain Adaptation*, 2016); pass
``freeze_bn=True`` to :func:`fine_tune` to keep every batch-norm layer whose affine parameters are
frozen in eval mode, so its stored statistics are used and left as they were.

Every function here works on any model whose backbone exposes its blocks (``.blocks`` on Conv4,
``.stages`` on the small ResNet, the top-level children of anything else, e.g. a GRU encoder or a
torchvision ResNet) and whose head is a ``.head``, ``.fc`` or ``.classifier`` linear layer: finding
them is :mod:`tlearn.blocks` (:func:`head_name`, :func:`backbone_of`, :func:`backbone_blocks`,
:func:`layer_groups`, importable from here too).
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterable

import torch
from torch import nn

from . import checks
from .blocks import (  # noqa: F401  (re-exported: where the head and the blocks are, importable from here as before)
    HEAD_NAMES,
    _check_module,
    _has_params,
    backbone_blocks,
    backbone_of,
    head_name,
    layer_groups,
)
from .train import History, evaluate, fit_classifier

METHODS = ("scratch", "head", "full", "layerwise", "gradual")


# --- the head ------------------------------------------------------------------------------------------
def replace_head(model: nn.Module, n_classes: int, *, seed: int | None = None) -> nn.Linear:
    """Put a freshly initialised ``nn.Linear(in_features, n_classes)`` where the model's head was.

    Returns the new head (already attached, on the old head's device and dtype). ``seed`` makes its
    initialisation reproducible without touching the global random state.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2 (the number of target classes), got {n_classes!r}")
    name = head_name(model)
    old: nn.Linear = getattr(model, name)
    with torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext():
        if seed is not None:
            torch.manual_seed(seed)
        new = nn.Linear(old.in_features, n_classes, bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    setattr(model, name, new)
    return new


# --- freezing ------------------------------------------------------------------------------------------
def _params(target) -> list[nn.Parameter]:
    if isinstance(target, nn.Module):
        return list(target.parameters())
    if isinstance(target, nn.Parameter):
        return [target]
    if isinstance(target, Iterable):
        out = []
        for item in target:
            out.extend(_params(item))
        return out
    raise TypeError(f"expected a module, a parameter or a list of them, got {type(target).__name__}")


def freeze(target) -> None:
    """Stop gradients to ``target`` (a module, a parameter, or a list of them): ``requires_grad = False``."""
    for p in _params(target):
        p.requires_grad_(False)


def unfreeze(target) -> None:
    """Let gradients flow to ``target`` again: ``requires_grad = True``."""
    for p in _params(target):
        p.requires_grad_(True)


def trainable_fraction(model: nn.Module) -> float:
    """The fraction of the model's parameter entries that are trainable."""
    _check_module(model)
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad) / max(total, 1)


def unfreeze_top(model: nn.Module, n_blocks: int) -> None:
    """Freeze the whole model, then unfreeze the head and the top ``n_blocks`` groups below it.

    ``n_blocks=0`` trains the head alone (a linear probe trained end to end); ``n_blocks`` equal to the
    number of backbone groups (``len(layer_groups(model)) - 1``) trains everything.
    """
    groups = layer_groups(model)
    n_backbone = len(groups) - 1
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or not 0 <= n_blocks <= n_backbone:
        raise ValueError(
            f"n_blocks must be an integer in [0, {n_backbone}] (the backbone has {n_backbone} "
            f"blocks: {', '.join(n for n, _ in groups[:-1])}), got {n_blocks!r}"
        )
    freeze(model)
    for _, params in groups[len(groups) - 1 - n_blocks :]:
        unfreeze(params)


def unfreezing_schedule(n_blocks: int, epochs: int) -> list[int]:
    """How many backbone blocks are unfrozen in each epoch of gradual unfreezing.

    The ``epochs`` are split into ``n_blocks + 1`` stages as evenly as possible (earlier stages get the
    remainder last): stage ``s`` trains the head and the top ``s`` blocks. Example: 4 blocks over 10
    epochs gives ``[0, 0, 1, 1, 2, 2, 3, 3, 4, 4]``. With fewer epochs than stages the schedule takes
    evenly spaced stages, starting with the head alone and ending with everything unfrozen (a single
    epoch trains everything).
    """
    checks.non_negative_int("n_blocks", n_blocks)
    checks.positive_int("epochs", epochs)
    stages = n_blocks + 1
    if epochs == 1:
        return [n_blocks]
    if epochs < stages:  # not enough epochs for every stage: evenly spaced ones, first and last included
        return [round(e * n_blocks / (epochs - 1)) for e in range(epochs)]
    # epoch e belongs to stage floor(e * stages / epochs): equal shares, the last stage last
    return [(e * stages) // epochs for e in range(epochs)]


# --- learning rates ------------------------------------------------------------------------------------
def param_groups(model: nn.Module, lr: float, *, head_mult: float = 10.0, decay: float = 1.0) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning rates, one group per block plus the head.

    The head gets ``head_mult * lr``; backbone group ``l`` of ``L`` (input to output) gets
    ``lr * decay ** (L - 1 - l)``, so the top block trains at ``lr`` and each block below at ``decay``
    times the one above. Every parameter appears in exactly one group (frozen ones included: the
    optimizer skips parameters that receive no gradient). Each dict carries a ``"name"`` for display.
    """
    checks.positive_number("lr", lr)
    checks.positive_number("head_mult", head_mult)
    if not isinstance(decay, (int, float)) or not 0 < decay <= 1:
        raise ValueError(f"decay must lie in (0, 1] (1 = the same rate for every block), got {decay!r}")
    groups = layer_groups(model)
    n_backbone = len(groups) - 1
    out = [
        {"name": name, "params": params, "lr": lr * decay ** (n_backbone - 1 - i)}
        for i, (name, params) in enumerate(groups[:-1])
    ]
    out.append({"name": "head", "params": groups[-1][1], "lr": lr * head_mult})
    return out


# --- one function for every strategy -------------------------------------------------------------------
def _frozen_batch_norm_stays_in_eval(module: nn.Module, inputs) -> None:
    """A forward pre-hook: a batch-norm layer whose affine parameters are frozen runs in eval mode, so it
    normalises with its stored statistics and does not update them."""
    if module.training and not any(p.requires_grad for p in module.parameters()):
        module.eval()


def fine_tune(
    model: nn.Module,
    data,
    *,
    method: str = "layerwise",
    lr: float = 1e-3,
    epochs: int = 10,
    head_mult: float = 10.0,
    decay: float = 1.0,
    trainable_blocks: int | None = None,
    weight_decay: float = 0.0,
    batch_size: int = 32,
    val=None,
    device: str = "auto",
    seed: int = 0,
    progress: bool = True,
    desc: str | None = None,
    freeze_bn: bool = False,
) -> History:
    """Train ``model`` (pretrained backbone + new head) on ``data`` with one of the strategies above.

    ``method``:

    - ``"scratch"``/``"full"``: every parameter at ``lr`` (scratch means the model was never pretrained;
      the training is the same, the name is for the results table);
    - ``"head"``: the backbone frozen, the head alone at ``lr``;
    - ``"layerwise"``: everything trainable, the head at ``head_mult * lr``, blocks at ``lr * decay**depth``;
    - ``"gradual"``: the layer-wise rates, unfreezing one more block per stage (:func:`unfreezing_schedule`).

    ``trainable_blocks`` (not with ``"gradual"``) keeps all but the head and the top ``trainable_blocks``
    backbone blocks frozen for the whole run (``"head"`` is ``trainable_blocks=0``). ``freeze_bn=True``
    keeps the batch-norm layers of frozen blocks in eval mode (their running statistics are then left
    alone; by default they follow the target batches, see the module docstring).

    The training is :func:`tlearn.train.fit_classifier` with one Adam optimizer over :func:`param_groups`
    for the whole run, so unfreezing a block does not reset the moments of the groups already training
    (a frozen parameter gets no gradient, and Adam skips it); gradual unfreezing is its ``on_epoch_end``.
    Returns the :class:`tlearn.train.History` (per-step ``loss`` and ``train_acc``; ``val_acc`` per epoch
    with ``val``). Blocks kept frozen by ``trainable_blocks`` (or ``"head"``) stay frozen afterwards;
    otherwise everything is trainable again at the end.
    """
    _check_module(model)
    checks.choice("method", method, METHODS)
    checks.positive_int("epochs", epochs)
    checks.number("weight_decay", weight_decay, non_negative=True)
    discriminative = method in ("layerwise", "gradual")
    groups = param_groups(
        model, lr, head_mult=head_mult if discriminative else 1.0, decay=decay if discriminative else 1.0
    )
    optimizer = torch.optim.Adam([{"params": g["params"], "lr": g["lr"]} for g in groups], weight_decay=weight_decay)
    schedule = unfreezing_schedule(len(groups) - 1, epochs) if method == "gradual" else None
    if method == "head":
        if trainable_blocks not in (None, 0):
            raise ValueError(
                f"method='head' trains the head alone; got trainable_blocks={trainable_blocks!r} "
                "(use method='layerwise' with trainable_blocks to train the top blocks too)"
            )
        trainable_blocks = 0
    if trainable_blocks is not None and schedule is not None:
        raise ValueError(
            "trainable_blocks cannot be combined with method='gradual', which unfreezes blocks "
            "on its own schedule; pass trainable_blocks=None"
        )
    unfreeze(model)
    if trainable_blocks is not None:
        unfreeze_top(model, trainable_blocks)
    if schedule is not None:
        unfreeze_top(model, schedule[0])

    def next_stage(epoch: int, _model) -> None:  # gradual unfreezing: stage schedule[e] trains in epoch e
        if schedule is not None and epoch + 1 < epochs:
            unfreeze_top(model, schedule[epoch + 1])

    handles = [
        m.register_forward_pre_hook(_frozen_batch_norm_stays_in_eval)
        for m in model.modules()
        if freeze_bn and isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    try:
        return fit_classifier(
            model,
            data,
            epochs=epochs,
            optimizer=optimizer,
            batch_size=batch_size,
            val=val,
            device=device,
            seed=seed,
            progress=progress,
            desc=desc or method,
            on_epoch_end=next_stage,
        )
    finally:
        for handle in handles:
            handle.remove()
        if trainable_blocks is None:
            unfreeze(model)


def fine_tune_run(
    make_model,
    train,
    test,
    *,
    labels_per_class: int | None = None,
    method: str = "layerwise",
    lr: float = 1e-3,
    steps: int = 100,
    min_epochs: int = 1,
    batch_size: int = 32,
    seed: int = 0,
    inputs: str = "images",
    device: str = "auto",
    **kwargs,
) -> dict:
    """One experiment: ``labels_per_class`` examples of every class from ``train`` (all of it if ``None``),
    a fresh model from ``make_model()``, :func:`fine_tune` for about ``steps`` optimizer steps but at least
    ``min_epochs`` passes over the labelled data, accuracy on ``test``. Counting *steps* rather than epochs
    gives small label budgets the same compute; ``min_epochs`` makes sure a large budget is still seen
    often enough to be learned (otherwise more labels would look worse only for want of training).
    ``train`` and ``test`` are ImageSets; ``inputs`` names the field fed to the model
    (``"trajectories"`` for a Glyphs set and a sequence model). Other keyword arguments go to
    :func:`fine_tune`. Returns ``{"accuracy", "seconds", "epochs", "n_train", "history", "model"}``.
    """
    if not callable(make_model):
        raise TypeError(
            "make_model must be a function returning a fresh model, e.g. "
            "lambda: Classifier(load_pretrained('conv4-glyphs'), n_classes)"
        )
    checks.positive_int("steps", steps)
    checks.positive_int("min_epochs", min_epochs)
    for pname, data in [("train", train), ("test", test)]:
        if not isinstance(getattr(data, inputs, None), torch.Tensor) or not hasattr(data, "take_per_class"):
            raise TypeError(f"{pname} must be an ImageSet with a tensor field {inputs!r}, got {type(data).__name__}")
    if labels_per_class is not None:
        train, _ = train.take_per_class(labels_per_class, seed=seed)
    batch_size = min(batch_size, len(train))
    epochs = max(min_epochs, math.ceil(steps * batch_size / len(train)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_model()
    history = fine_tune(
        model,
        (getattr(train, inputs), train.targets),
        method=method,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        device=device,
        progress=False,
        **kwargs,
    )
    accuracy = evaluate(model, (getattr(test, inputs), test.targets), device=device)
    return {
        "accuracy": accuracy,
        "seconds": history.seconds,
        "epochs": epochs,
        "n_train": len(train),
        "history": history,
        "model": model,
    }
