"""Feature extraction: a frozen pretrained backbone as a fixed map from inputs to vectors, and probes on top.

Instead of training the network on the target task, keep it fixed and train only a small classifier on
what it computes. Write the backbone as a stack of blocks :math:`f = f_L \\circ \\dots \\circ f_1`. The
representation at depth :math:`l` is

.. math::  h_l(x) = \\mathrm{pool}\\big(f_l \\circ \\dots \\circ f_1 (x)\\big) \\in \\mathbb{R}^{d_l}

and a *probe* :math:`g` is trained on pairs :math:`(h_l(x_i), y_i)` only. A linear probe
:math:`g(h) = W h + b` is multinomial logistic regression, a convex problem solved exactly here with
L-BFGS; a small MLP probe :math:`g(h) = W_2\\, \\mathrm{ReLU}(W_1 h + b_1) + b_2` can bend the decision
boundary. How well a linear probe does at depth :math:`l` measures how *linearly* usable the
information there is (Alain & Bengio, *Understanding intermediate layers using linear classifier
probes*, 2016). Low blocks hold generic parts (strokes, edges), high blocks are specialised to the
source classes (Yosinski et al., *How transferable are features in deep neural networks?*, NeurIPS
2014): the best layer for a target depends on how close it is to the source.

Why it is cheap: the backbone runs once over the data (features are cached, :class:`FeatureCache`), and
the probe trains on small vectors, with no backward pass through the network (Donahue et al., *DeCAF*,
ICML 2014; Razavian et al., *CNN Features off-the-shelf*, CVPR workshops 2014).

The features are read with **forward hooks** (:class:`LayerTaps`): a hook registered on a module is called
with its output on every forward pass, so one pass through the backbone yields every block's output.
torchvision's ``torchvision.models.feature_extraction.create_feature_extractor`` gives the same
outputs by tracing the model into a new one; hooks need no tracing and work on any module.

Spatial maps ``[N, C, H, W]`` are average-pooled to a ``pool x pool`` grid and flattened, so the vector
keeps coarse layout (where on the canvas a stroke is) at a size comparable across blocks.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .blocks import backbone_blocks
from .probes import (  # noqa: F401 (the probes on these features, importable from here too)
    PROBES,
    Probe,
    ProbeTraining,
    fit_probe,
    per_class_indices,
    probe_accuracy,
    probe_budget,
    probe_layers,
)
from .train import get_device


# --- taps ----------------------------------------------------------------------------------------------
def tap_points(backbone: nn.Module) -> "OrderedDict[str, nn.Module]":
    """The modules worth tapping, input to output: the backbone's blocks (see ``blocks.backbone_blocks``)."""
    return OrderedDict(backbone_blocks(backbone))


class LayerTaps:
    """Record the outputs of chosen modules during a forward pass, by forward hooks.

    ``layers`` is a mapping ``name -> module`` or a list of submodule names (as in ``named_modules()``).
    Use it as a context manager; the hooks are removed on exit::

        with LayerTaps(backbone, ["blocks.0", "blocks.3"]) as taps:
            backbone(x)
        taps.outputs["blocks.0"]   # the output of block 0 for x

    A module returning a tuple (an ``nn.GRU``: ``(output, h_n)``) is recorded by its first element.
    """

    def __init__(self, model: nn.Module, layers: Mapping[str, nn.Module] | Sequence[str]):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if isinstance(layers, Mapping):
            modules = OrderedDict(layers)
        else:
            if isinstance(layers, str):
                raise TypeError(f"layers must be a list of names, not one string; use [{layers!r}]")
            named = dict(model.named_modules())
            unknown = [name for name in layers if name not in named]
            if unknown:
                known = ", ".join(n for n in named if n) or "(none)"
                raise ValueError(f"layers {unknown} are not submodules of {type(model).__name__}; known: {known}")
            modules = OrderedDict((name, named[name]) for name in layers)
        for name, module in modules.items():
            if not isinstance(module, nn.Module):
                raise TypeError(f"layers[{name!r}] must be a torch.nn.Module, got {type(module).__name__}")
        self.model, self.modules = model, modules
        self.outputs: dict[str, torch.Tensor] = {}
        self._handles = []

    def _hook(self, name: str):
        def record(module, inputs, output):
            self.outputs[name] = output[0] if isinstance(output, tuple) else output

        return record

    def __enter__(self) -> "LayerTaps":
        self.outputs = {}
        self._handles = [m.register_forward_hook(self._hook(n)) for n, m in self.modules.items()]
        return self

    def __exit__(self, *exc) -> bool:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return False


def pool_features(x: torch.Tensor, pool: int = 2) -> torch.Tensor:
    """A block's output as one vector per example: ``[N, D]`` as is; ``[N, C, H, W]`` average-pooled to a
    ``min(pool, H) x min(pool, W)`` grid and flattened (``pool=1`` is global average pooling)."""
    checks.positive_int("pool", pool)  # the grid side of the pooled map; 1 = global average
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"cannot turn a tapped output of type {type(x).__name__} into features (a packed "
            "sequence inside an RNN?); for a sequence encoder tap its output only (layers=[])"
        )
    if x.dim() == 2:
        return x
    if x.dim() == 4:
        grid = (min(pool, x.shape[2]), min(pool, x.shape[3]))
        return F.adaptive_avg_pool2d(x, grid).flatten(1)
    raise ValueError(
        f"cannot turn a tapped output of shape {tuple(x.shape)} into features: expected [N, D] or "
        "[N, C, H, W]; for a sequence encoder tap its output only (layers=[])"
    )


# --- extraction and caching ----------------------------------------------------------------------------
def _as_inputs(data) -> tuple[torch.Tensor, ...]:
    images = getattr(data, "images", None)
    if isinstance(images, torch.Tensor):
        return (images,)
    if isinstance(data, torch.Tensor):
        return (data,)
    if isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        n = len(data[0])
        if any(len(t) != n for t in data):
            raise ValueError(f"all input tensors must have the same length, got {[len(t) for t in data]}")
        return tuple(data)
    raise TypeError(
        "data must be an ImageSet, a tensor, or a tuple of tensors fed to the model together "
        f"(e.g. (trajectories, lengths)), got {type(data).__name__}"
    )


def _fingerprint(*tensors: torch.Tensor) -> str:
    digest = hashlib.sha1()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        digest.update(str((tuple(t.shape), t.dtype)).encode())
        digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return digest.hexdigest()[:16]


def _config_fingerprint(model: nn.Module) -> str:
    """A hash of every module's plain settings (``GRUEncoder.pool``, strides, ...): two models with equal
    weights but different settings compute different features, so they must not share a cache entry."""
    plain = (int, float, str, bool, type(None), tuple)
    settings = [
        (
            name,
            type(m).__name__,
            sorted(
                (k, repr(v))
                for k, v in vars(m).items()
                if not k.startswith("_") and k != "training" and isinstance(v, plain)
            ),
        )
        for name, m in model.named_modules()
    ]
    return hashlib.sha1(repr(settings).encode()).hexdigest()[:12]


class FeatureCache:
    """Features computed once and reused: keyed by the backbone's weights, the inputs, the layers and pooling.

    The key is a hash of the tensors themselves, so a changed weight or input can never return stale
    features. With ``directory`` the features are also saved there (``torch.save``) and loaded with
    ``weights_only=True`` in a later session.
    """

    def __init__(self, directory: str | Path | None = None):
        self.directory = None if directory is None else Path(directory)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, dict[str, torch.Tensor]] = {}
        self.hits = self.misses = 0

    def key(self, backbone: nn.Module, inputs: tuple[torch.Tensor, ...], layers: Sequence[str], pool: int) -> str:
        state = backbone.state_dict()
        return "-".join(
            [
                _fingerprint(*state.values()),
                _config_fingerprint(backbone),
                _fingerprint(*inputs),
                "+".join(layers) or "output",
                f"pool{pool}",
            ]
        )

    def get(self, key: str):
        if key in self._memory:
            self.hits += 1
            return self._memory[key]
        if self.directory is not None and (self.directory / f"{key}.pt").exists():
            try:
                found = torch.load(self.directory / f"{key}.pt", weights_only=True)
                self._memory[key] = found
                self.hits += 1
                return found
            except Exception:  # a torn file is recomputed, never trusted
                pass
        self.misses += 1
        return None

    def put(self, key: str, features: dict[str, torch.Tensor]) -> None:
        self._memory[key] = features
        if self.directory is not None:
            torch.save(features, self.directory / f"{key}.pt")

    def __len__(self) -> int:
        return len(self._memory)


@torch.no_grad()
def extract_features(
    backbone: nn.Module,
    data,
    layers: Sequence[str] | None = None,
    *,
    pool: int = 2,
    batch_size: int = 256,
    device: str = "auto",
    cache: FeatureCache | None = None,
) -> "OrderedDict[str, torch.Tensor]":
    """Run the frozen ``backbone`` over ``data`` once and return the features at each tapped layer.

    ``data`` is an ImageSet, an input tensor, or a tuple of tensors passed together (``(trajectories,
    lengths)`` for a sequence encoder). ``layers`` are submodule names; ``None`` taps every block
    (:func:`tap_points`), ``[]`` none. The result maps each layer name, then ``"output"`` (what the
    backbone's forward returns), to a CPU float tensor ``[N, D]``. The backbone runs in eval mode (batch
    norm uses its stored statistics) and its mode is restored afterwards.
    """
    if not isinstance(backbone, nn.Module):
        raise TypeError(f"backbone must be a torch.nn.Module, got {type(backbone).__name__}")
    checks.positive_int("batch_size", batch_size)
    inputs = _as_inputs(data)
    if len(inputs[0]) == 0:
        raise ValueError("data is empty: nothing to extract features from")
    layers = list(tap_points(backbone)) if layers is None else list(layers)
    pool_features(torch.zeros(1, 1), pool)  # validates pool before any work
    key = cache.key(backbone, inputs, layers, pool) if cache is not None else None
    if cache is not None:
        found = cache.get(key)
        if found is not None:
            return found
    dev = get_device(device)
    was_training = backbone.training
    backbone.eval()
    original = next(backbone.parameters(), torch.empty(0)).device
    backbone.to(dev)
    chunks: dict[str, list[torch.Tensor]] = {name: [] for name in [*layers, "output"]}
    try:
        with LayerTaps(backbone, layers) as taps:
            for start in range(0, len(inputs[0]), batch_size):
                batch = [t[start : start + batch_size].to(dev) for t in inputs]
                out = backbone(*batch)
                for name in layers:
                    feats = pool_features(taps.outputs[name], pool)
                    if len(feats) != len(batch[0]):
                        raise ValueError(
                            f"layer {name!r} gave {len(feats)} rows for a batch of {len(batch[0])}: "
                            "it does not output one row per example; tap another layer"
                        )
                    chunks[name].append(feats.float().cpu())
                chunks["output"].append(pool_features(out, pool).float().cpu())
    finally:
        backbone.to(original)
        backbone.train(was_training)
    features = OrderedDict((name, torch.cat(parts)) for name, parts in chunks.items())
    if cache is not None:
        cache.put(key, features)
    return features
