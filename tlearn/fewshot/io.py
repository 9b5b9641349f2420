"""Saving and loading few-shot models.

A model file holds the ``state_dict``, the config :func:`tlearn.fewshot.make_model` needs to rebuild the
model, a SHA-256 checksum of the weights and any ``info`` saved with it (format ``tlearn.fewshot/1``). It
is read with ``torch.load(weights_only=True)``, so loading a file runs no code from it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from ..train import get_device
from .base import FewShotModel, PixelNearestNeighbour, check_model
from .models import METHODS, build_encoder

FORMAT = "tlearn.fewshot/1"


def checksum(state: dict) -> str:
    """SHA-256 of the tensors of a ``state_dict``, in key order."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def save_model(model: FewShotModel, path, **info) -> Path:
    """Save a trained model: its ``state_dict``, the config :func:`make_model` needs to rebuild it, a
    checksum of the weights, and any ``info`` you add (e.g. the accuracy it reached; plain numbers and
    strings only). Returns the path."""
    check_model(model)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "config": dict(model.config),
        "state_dict": state,
        "sha256": checksum(state),
        "info": dict(info),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def _read(path: Path) -> dict:
    """The checked payload of a model file."""
    if not path.is_file():
        raise ValueError(f"no model file at {str(path)!r}; train and save one with tlearn.fewshot.save_model")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - a corrupt file raises pickle, zip, EOF or runtime errors
        raise ValueError(
            f"{str(path)!r} is not a readable model file (corrupt or not saved by tlearn.fewshot.save_model): {err}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"{str(path)!r} is not a tlearn few-shot model file (format {FORMAT!r}); save models "
            "with tlearn.fewshot.save_model"
        )
    if checksum(payload["state_dict"]) != payload.get("sha256"):
        raise ValueError(f"{str(path)!r} failed its checksum: the weights are corrupt; save the model again")
    return payload


def load_model(path, encoder: nn.Module | None = None, device="cpu") -> FewShotModel:
    """Load a model written by :func:`save_model` (with ``torch.load(weights_only=True)``: no code runs).

    A model built by :func:`make_model` is rebuilt from its config; one built around your own encoder
    needs that encoder (untrained, same architecture) passed as ``encoder``. Raises ``ValueError`` for a
    missing, corrupt or mismatched file. The model comes back in evaluation mode; ``.info`` holds what was
    saved with it.
    """
    path = Path(path)
    payload = _read(path)
    state, config = payload["state_dict"], dict(payload["config"])
    method = config.pop("method")
    spec = config.pop("encoder")
    if method not in METHODS:
        raise ValueError(f"{str(path)!r} holds an unknown method {method!r}")
    if method == "pixel-nn":
        model = PixelNearestNeighbour()
    else:
        if encoder is None:
            if spec is None:
                raise ValueError(
                    f"{str(path)!r} was saved with a custom encoder; pass the same architecture as "
                    "load_model(path, encoder=...)"
                )
            encoder = build_encoder(spec)
        model = METHODS[method](encoder, **config)
        model.config["encoder"] = spec
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(
            f"the weights in {str(path)!r} do not fit the model they describe (was a different "
            f"encoder passed?): {str(err).splitlines()[0]}"
        ) from None
    model.info = dict(payload.get("info", {}))
    return model.to(get_device(device)).eval()
