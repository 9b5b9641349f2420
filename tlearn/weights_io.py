"""The shipped weight files: what each holds, where it lies, and loading it without trusting it.

Each pretrained backbone of :mod:`tlearn.pretrain` is saved as ``tlearn/weights/<name>.pt`` (its
``state_dict``) next to ``<name>.json``: the architecture and its config, the data and training
settings, the accuracy reached, the time it took, and the file's SHA-256. :data:`SPECS` says what this
version of tlearn builds for each name (:func:`build_backbone`) and how it trains it.

A weight file is code's input from outside, so :func:`load_verified` trusts nothing, in this order:

1. the checksum: :math:`\\mathrm{SHA256}(\\text{file})` must equal the one recorded in the JSON
   (:func:`sha256_of`), which catches a torn download, a flipped byte or an edited file;
2. the config: the JSON's architecture and config must equal :data:`SPECS`, so weights of an older
   architecture are not loaded into a newer one;
3. the load: ``torch.load(weights_only=True)`` refuses anything but tensors and plain containers, so a
   tampered file cannot run code while it is unpickled;
4. the keys and shapes: ``load_state_dict(strict=True)`` on a fresh :func:`build_backbone`.

Any failure raises :class:`WeightFileError` naming the file and the fix, ``make pretrain``
(``python -m tlearn.pretrain <name>``). :func:`tlearn.pretrain.load_pretrained` adds the case of a
missing file (train it now, or say how). All names are importable from :mod:`tlearn.pretrain` too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from .backbones import Conv4, GRUEncoder

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FIX = "rebuild it with `make pretrain` (or `python -m tlearn.pretrain {name}`)"

SPECS = {
    "conv4-glyphs": {
        "architecture": "Conv4",
        "config": {"in_channels": 1, "hidden": 64, "image_size": 28},
        "input": "images",
        "training": {"epochs": 25, "lr": 2e-3, "batch_size": 128, "weight_decay": 0.0, "seed": 0, "augment": True},
    },
    "gru-glyphs": {
        "architecture": "GRUEncoder",
        "config": {"input_size": 3, "hidden_size": 128, "num_layers": 1, "pool": "last"},
        "input": "trajectories",
        "training": {"epochs": 24, "lr": 3e-3, "batch_size": 128, "weight_decay": 0.0, "seed": 0, "augment": False},
    },
}


class WeightFileError(ValueError):
    """A weight file that is missing, corrupt, tampered with, or does not match the code."""


def _spec(name: str) -> dict:
    if name not in SPECS:
        raise ValueError(f"unknown pretrained backbone {name!r}; available: {', '.join(SPECS)}")
    return SPECS[name]


def build_backbone(name: str, config: dict | None = None) -> nn.Module:
    """A freshly initialised backbone of the architecture ``name`` is pretrained as (config as shipped)."""
    spec = _spec(name)
    config = dict(spec["config"] if config is None else config)
    return {"Conv4": Conv4, "GRUEncoder": GRUEncoder}[spec["architecture"]](**config)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weight_paths(name: str, directory: str | Path | None = None) -> tuple[Path, Path]:
    """Where ``<name>.pt`` and ``<name>.json`` are looked for (the package's ``weights/`` by default)."""
    _spec(name)
    directory = WEIGHTS_DIR if directory is None else Path(directory)
    return directory / f"{name}.pt", directory / f"{name}.json"


def read_metadata(name: str, directory: str | Path | None = None) -> dict:
    """The JSON metadata shipped next to a weight file (config, accuracy, sha256, how it was made)."""
    _, meta_path = weight_paths(name, directory)
    fix = FIX.format(name=name)
    if not meta_path.exists():
        raise FileNotFoundError(f"no metadata file {meta_path} for pretrained backbone {name!r}; {fix}")
    try:
        meta = json.loads(meta_path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise WeightFileError(f"{meta_path} is not valid JSON ({err}); {fix}") from err
    missing = [k for k in ("sha256", "architecture", "config") if k not in meta]
    if not isinstance(meta, dict) or missing:
        raise WeightFileError(f"{meta_path} lacks the fields {missing or 'all'}; {fix}")
    return meta


def load_verified(name: str, directory: str | Path | None = None) -> nn.Module:
    """The backbone ``name`` from its files in ``directory`` (the package's ``weights/`` by default), after
    the checks above: checksum, config, ``weights_only`` load, strict keys. Raises :class:`WeightFileError`."""
    pt_path, meta_path = weight_paths(name, directory)
    fix = FIX.format(name=name)
    meta = read_metadata(name, directory)
    actual = sha256_of(pt_path)
    if actual != meta["sha256"]:
        raise WeightFileError(
            f"{pt_path} has SHA-256 {actual[:16]}..., but {meta_path.name} records {str(meta['sha256'])[:16]}...: "
            f"the file is corrupt or was modified; {fix}"
        )
    spec = _spec(name)
    if meta["architecture"] != spec["architecture"] or meta["config"] != spec["config"]:
        raise WeightFileError(
            f"{meta_path} describes a {meta['architecture']} with config {meta['config']}, but this version of "
            f"tlearn builds {name} as a {spec['architecture']} with config {spec['config']}; {fix}"
        )
    try:
        state = torch.load(pt_path, map_location="cpu", weights_only=True)
    except Exception as err:  # unpickling refused or a torn archive
        raise WeightFileError(
            f"{pt_path} could not be loaded as plain tensors ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200]}); {fix}"
        ) from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightFileError(f"{pt_path} does not hold a state_dict of tensors; {fix}")
    backbone = build_backbone(name, meta["config"])
    try:
        backbone.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise WeightFileError(
            f"{pt_path} does not fit a {spec['architecture']}{spec['config']}: {str(err).splitlines()[0][:300]}; {fix}"
        ) from err
    return backbone


def weights_size(directory: str | Path | None = None) -> int:
    """Total bytes of the shipped weight files."""
    directory = WEIGHTS_DIR if directory is None else Path(directory)
    return sum(p.stat().st_size for p in directory.glob("*.pt"))
