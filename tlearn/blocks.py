r"""Where a network's head and blocks are: the map that fine-tuning and feature extraction read.

Fine-tuning treats a classifier as a stack of blocks under a linear head,

.. math::  f(x) = W\, g_{L-1} \circ \dots \circ g_1 \circ g_0 \circ s(x),

with an optional stem :math:`s`, backbone blocks :math:`g_0 \dots g_{L-1}` (input to output) and the head
:math:`W`, so that its parameters fall into ordered groups :math:`\theta = \theta_{stem} \cup \theta_0 \cup
\dots \cup \theta_{L-1} \cup \theta_{head}`, each parameter in exactly one. Those groups are what the
moves of :mod:`tlearn.finetune` act on: the head is replaced, the top :math:`n` blocks are unfrozen
(:func:`tlearn.finetune.unfreeze_top`), and group :math:`l` gets its own learning rate
(:func:`tlearn.finetune.param_groups`). They are also where :mod:`tlearn.features` taps a frozen network.
Reading a network block by block follows Yosinski et al. (*How transferable are features in deep neural
networks?*, NeurIPS 2014), who found the lower blocks general and the upper ones specific to the source task.

The functions here find the groups in any model: :func:`head_name` (a ``.head``, ``.fc`` or
``.classifier`` linear layer), :func:`backbone_of` (``model.backbone``, else the model),
:func:`backbone_blocks` (``.blocks`` on Conv4, ``.stages`` on the small ResNet, else the top-level children
that hold parameters, looking through single-child wrappers such as a torchvision model in an adapter) and
:func:`layer_groups` (the partition above). All are importable from :mod:`tlearn.finetune` too.
"""

from __future__ import annotations

from torch import nn

HEAD_NAMES = ("head", "fc", "classifier")


def _check_module(model, name: str = "model") -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")


def head_name(model: nn.Module) -> str:
    """The attribute holding the model's final linear layer: ``head``, ``fc`` or ``classifier``."""
    _check_module(model)
    for name in HEAD_NAMES:
        if isinstance(getattr(model, name, None), nn.Linear):
            return name
    raise ValueError(
        f"model ({type(model).__name__}) has no linear head named {' / '.join(HEAD_NAMES)}; wrap the "
        "backbone first, e.g. tlearn.backbones.Classifier(backbone, n_classes)"
    )


def backbone_of(model: nn.Module) -> nn.Module:
    """The feature extractor under the head: ``model.backbone`` if there is one, else the model itself."""
    _check_module(model)
    backbone = getattr(model, "backbone", None)
    return backbone if isinstance(backbone, nn.Module) else model


def _has_params(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())


def backbone_blocks(backbone: nn.Module) -> list[tuple[str, nn.Module]]:
    """The backbone's blocks, input to output, as ``(name, module)`` pairs.

    ``.blocks`` (Conv4) or ``.stages`` (ResNet) when the backbone declares them; otherwise its top-level
    children that hold parameters, looking through wrappers that hold a single child (as a torchvision
    model inside an adapter). A head attribute (``head``/``fc``/``classifier``) is never a block.
    """
    _check_module(backbone, "backbone")
    for attr in ("blocks", "stages"):
        declared = getattr(backbone, attr, None)
        if isinstance(declared, (nn.ModuleList, nn.Sequential)) and len(declared) > 0:
            return [(f"{attr}.{i}", block) for i, block in enumerate(declared)]
    module, prefix = backbone, ""
    while True:
        children = [(n, c) for n, c in module.named_children() if n not in HEAD_NAMES and _has_params(c)]
        own = list(module.parameters(recurse=False))
        if len(children) == 1 and not own:
            module, prefix = children[0][1], prefix + children[0][0] + "."
            continue
        return [(prefix + n, c) for n, c in children] or [(prefix.rstrip(".") or "backbone", module)]


def layer_groups(model: nn.Module) -> list[tuple[str, list[nn.Parameter]]]:
    """Every parameter of ``model`` in ordered groups, input to output: ``[stem], block 0, ..., head``.

    The groups partition the parameters: each appears in exactly one group. Parameters of the backbone
    that sit in no block (a ResNet stem, say) form a first group ``"stem"``; parameters outside both the
    backbone and the head (rare) join the head's group, since they are new too.
    """
    head = getattr(model, head_name(model))
    backbone = backbone_of(model)
    seen = {id(p) for p in head.parameters()}  # the head is never part of a backbone group

    def take(params) -> list[nn.Parameter]:
        new = [p for p in params if id(p) not in seen]
        seen.update(id(p) for p in new)
        return new

    groups: list[tuple[str, list[nn.Parameter]]] = []
    for name, block in backbone_blocks(backbone):
        params = take(block.parameters())
        if params:
            groups.append((name, params))
    stem = take(backbone.parameters())
    if stem:
        groups.insert(0, ("stem", stem))
    groups.append(("head", list(head.parameters()) + take(model.parameters())))  # plus anything new
    return groups
