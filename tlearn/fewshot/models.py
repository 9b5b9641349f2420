"""The few-shot models by name, and :func:`make_model`, which builds one with a config that
:func:`tlearn.fewshot.load_model` can rebuild it from."""

from __future__ import annotations

import torch
from torch import nn

from .. import checks
from .base import FewShotModel, PixelNearestNeighbour
from .matching import MatchingNet
from .protonet import PrototypicalNet
from .siamese import SiameseNet

METHODS = {
    "protonet": PrototypicalNet,
    "matching": MatchingNet,
    "siamese": SiameseNet,
    "pixel-nn": PixelNearestNeighbour,
}


def build_encoder(spec: dict) -> nn.Module:
    """A :mod:`tlearn.backbones` encoder from its saved spec (``{"name": "Conv4", ...}``)."""
    from .. import backbones

    spec = dict(spec)
    name = spec.pop("name")
    if name not in ("Conv4", "ResNet"):
        raise ValueError(f"unknown encoder {name!r} in the model's config; expected 'Conv4' or 'ResNet'")
    if "widths" in spec:
        spec["widths"] = tuple(spec["widths"])
    return getattr(backbones, name)(**spec)


def make_model(
    method: str = "protonet",
    *,
    in_channels: int = 1,
    hidden: int = 64,
    image_size: int = 28,
    seed: int | None = None,
    **options,
) -> FewShotModel:
    """A few-shot model on a :class:`tlearn.backbones.Conv4` encoder, with a config that :func:`load_model`
    can rebuild it from.

    ``method``: ``"protonet"`` (options ``distance``, ``scale``), ``"matching"`` (``fce``, ``fce_steps``,
    ``scale``), ``"siamese"`` (``loss``, ``margin``) or ``"pixel-nn"`` (no encoder, no options).
    ``seed`` makes the initial weights reproducible (without touching the global random state).
    """
    checks.choice("method", method, sorted(METHODS))
    if method == "pixel-nn":
        if options:
            raise ValueError(f"pixel-nn takes no options, got {sorted(options)}")
        return PixelNearestNeighbour()
    for name, value in (("in_channels", in_channels), ("hidden", hidden), ("image_size", image_size)):
        checks.positive_int(name, value)
    spec = {"name": "Conv4", "in_channels": in_channels, "hidden": hidden, "image_size": image_size}
    with torch.random.fork_rng(enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        model = METHODS[method](build_encoder(spec), **options)
    model.config["encoder"] = spec
    return model
