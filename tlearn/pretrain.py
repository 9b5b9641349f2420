"""Pretrained backbones for this world: trained on the Glyphs background set, shipped as small weight files.

Transfer learning needs a network trained on a large, varied source task. For photographs that is
ImageNet; here it is the Glyphs *background* set: 600 characters from 30 alphabets, each drawn by 20
drawers. Two backbones are pretrained as 600-way classifiers,

.. math::  \\theta^\\ast = \\arg\\min_\\theta\\; \\frac1N \\sum_i
           -\\log \\mathrm{softmax}\\big(W f_\\theta(x_i)\\big)_{y_i},

and only the backbone :math:`f_{\\theta^\\ast}` is kept (the 600-way head :math:`W` is specific to the
source task and is thrown away, as ImageNet's 1000-way layer is):

=================  ==================================================  ==========================
name               backbone                                            input
=================  ==================================================  ==========================
``conv4-glyphs``   :class:`tlearn.backbones.Conv4`, 64 channels         glyph images 1x28x28
``gru-glyphs``     :class:`tlearn.backbones.GRUEncoder`, 128 units      pen trajectories [T, 3]
=================  ==================================================  ==========================

Drawers 0-14 of every character are used for training and drawers 15-19 are held out, so the accuracy
recorded with the weights measures recognising known characters drawn by new hands. Training is the
:class:`Pretraining` method run by :func:`tlearn.train.fit`: Adam with a cosine-annealed learning rate;
the Conv4 also sees every glyph redrawn at random inside the method's loss, by a generator the method
owns (:func:`augment_images`: small affine changes, thicker strokes, lower resolution), which makes its
features care less about how a character was rendered and more about its shape. That is what lets them
carry over to real digits scanned at 8x8 (notebook 01's far target). On a 2-core laptop CPU ``make
pretrain`` takes about half an hour: 13 minutes for the Conv4 and 20 for the GRU on a busy 2-core CPU
(each JSON file records its wall and CPU seconds).

Each backbone is saved as ``tlearn/weights/<name>.pt`` (its ``state_dict``) next to ``<name>.json``
with its config, accuracy and SHA-256. :func:`load_pretrained` trusts nothing: the checks (checksum,
config, ``torch.load(weights_only=True)``, strict keys) are in :mod:`tlearn.weights_io`, whose names
(:data:`SPECS`, :class:`WeightFileError`, :func:`read_metadata`, ...) are importable from here too. Any
failure raises :class:`WeightFileError` naming the file and the fix, ``make pretrain``. Rebuild
everything with ``make pretrain`` (``python -m tlearn.pretrain``).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .backbones import Classifier, Conv4, GRUEncoder  # noqa: F401  (Conv4 re-exported, as before)
from .imagenet import IMAGENET_MEAN, IMAGENET_STD, ImageNetBackbone, real_target  # noqa: F401  (older home)
from .train import Method, evaluate, fit, shuffled_batches, steps_per_epoch
from .weights_io import (  # noqa: F401  (re-exported: the weight files and their checks, importable from here as before)
    FIX,
    SPECS,
    WEIGHTS_DIR,
    WeightFileError,
    _spec,
    build_backbone,
    load_verified,
    read_metadata,
    sha256_of,
    weight_paths,
    weights_size,
)

DATA = {
    "dataset": "glyphs",
    "split": "background",
    "seed": 0,
    "train_drawers": list(range(15)),
    "test_drawers": list(range(15, 20)),
}


# --- trajectories as one tensor -------------------------------------------------------------------------
def trajectory_lengths(x: torch.Tensor) -> torch.Tensor:
    """True lengths of zero-padded Glyphs trajectories ``[B, T, 3]``.

    The last real point of every drawing ends a stroke, so it carries the pen-up mark (channel 2 = 1);
    padding carries none. The length is one past the last pen-up mark.
    """
    if x.dim() != 3 or x.shape[2] < 3:
        raise ValueError(f"trajectories must be [B, T, 3] (x, y, pen_up), got {list(x.shape)}")
    pen_up = x[:, :, 2] > 0.5
    if not pen_up.any(1).all():
        raise ValueError("every trajectory needs a pen-up mark (channel 2 = 1) on its last point")
    T = x.shape[1]
    last = T - 1 - pen_up.flip(1).float().argmax(1)
    return last + 1


class TrajectoryEncoder(nn.Module):
    """A :class:`GRUEncoder` that takes one tensor: lengths are read from the pen-up marks.

    This lets a trajectory model go through the same ``fit``/``evaluate`` loop as an image model.
    """

    def __init__(self, encoder: GRUEncoder):
        super().__init__()
        if not isinstance(encoder, GRUEncoder):
            raise TypeError(f"encoder must be a GRUEncoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.out_features = encoder.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x, trajectory_lengths(x))


# --- augmentation ---------------------------------------------------------------------------------------
def augment_images(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Redraw a batch ``[B, 1, H, W]`` the way another pen, scanner or writer might have.

    Each image gets a random small affine map (rotation up to 11 degrees, zoom 0.75-1.1, shear,
    a shift of up to 1.5 px); a random third gets thicker strokes (a 3x3 grey dilation); a random third
    is scanned at a lower resolution (down to 10-16 px and back up, which blurs it). A network trained to
    give the same class to all of these cannot rely on stroke width or sharpness, and that is what
    carries over to digits scanned at 8x8 and to other writers: augmentation is a cheap way to make
    pretrained features invariant to what should not matter.
    """
    B, _, H, W = x.shape
    if B == 0:
        return x

    def uniform(lo, hi):
        return lo + (hi - lo) * torch.rand(B, generator=generator)

    angle, scale, shear = uniform(-0.2, 0.2), uniform(0.75, 1.1), uniform(-0.15, 0.15)
    shift = torch.stack([uniform(-0.11, 0.11), uniform(-0.11, 0.11)], 1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin + shear, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # output -> input sampling map
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid.to(x.device), padding_mode="zeros", align_corners=False)
    thick = (torch.rand(B, generator=generator) < 1 / 3).to(x.device)
    x = torch.where(thick[:, None, None, None], F.max_pool2d(x, 3, stride=1, padding=1), x)
    low = (torch.rand(B, generator=generator) < 1 / 3).to(x.device)
    side = int(torch.randint(10, 17, (1,), generator=generator))
    small = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
    blurred = F.interpolate(small, size=(H, W), mode="bilinear", align_corners=False)
    return torch.where(low[:, None, None, None], blurred, x).clamp(0, 1)


class Pretraining(Method):
    r"""Cross-entropy over the source classes, :math:`-\frac1B\sum_i \log\mathrm{softmax}(W f_\theta(x_i))_{y_i}`,
    on batches redrawn by :func:`augment_images` when ``augment`` (with a generator of its own, seeded by
    ``seed``, so the redrawing is the same on every run). Logs ``correct``, the batch's correct count."""

    def __init__(self, model: nn.Module, augment: bool, seed: int = 0):
        super().__init__()
        self.model, self.augment = model, augment
        self.generator = torch.Generator().manual_seed(seed)

    def loss(self, batch, progress: float):
        x, y = batch
        if self.augment:
            x = augment_images(x, self.generator)
        logits = self.model(x)
        return F.cross_entropy(logits, y), {"correct": (logits.argmax(1) == y).sum()}


def cosine(p: float) -> float:
    """The cosine-annealed learning-rate multiplier :math:`m(p) = \\tfrac12 (1 + \\cos \\pi p)`."""
    return 0.5 * (1 + math.cos(math.pi * p))


def _train(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    training: dict,
    augment: bool,
    device: str,
    progress: bool,
    desc: str,
) -> float:
    """Adam with a cosine-annealed learning rate through :func:`tlearn.train.fit`, optional augmentation;
    returns the accuracy on the (augmented) batches of the last epoch."""
    per_epoch = steps_per_epoch(len(X), training["batch_size"])
    batches = shuffled_batches(X, y, batch_size=training["batch_size"], seed=training["seed"])
    history = fit(
        Pretraining(model, augment, seed=training["seed"]),
        batches,
        training["epochs"] * per_epoch,
        lr=training["lr"],
        weight_decay=training["weight_decay"],
        lr_schedule=cosine,
        device=device,
        seed=training["seed"],
        progress=progress,
        desc=desc,
    )
    return sum(history["correct"][-per_epoch:]) / len(X)


# --- building -------------------------------------------------------------------------------------------
def source_data(name: str, n_alphabets: int | None = None):
    """The pretraining inputs and labels: ``(X_train, y_train, X_test, y_test, n_classes)``, split by drawer."""
    from .data import glyphs

    g = glyphs(DATA["split"], n_alphabets=n_alphabets, seed=DATA["seed"])
    X = g.images if _spec(name)["input"] == "images" else g.trajectories
    train = torch.isin(g.drawers, torch.tensor(DATA["train_drawers"]))
    test = torch.isin(g.drawers, torch.tensor(DATA["test_drawers"]))
    return X[train], g.targets[train], X[test], g.targets[test], g.n_classes


def _as_model(name: str, backbone: nn.Module) -> nn.Module:
    return TrajectoryEncoder(backbone) if _spec(name)["input"] == "trajectories" else backbone


def pretrain(
    name: str,
    *,
    directory: str | Path | None = None,
    epochs: int | None = None,
    n_alphabets: int | None = None,
    progress: bool = True,
    device: str = "auto",
) -> dict:
    """Train backbone ``name`` on the Glyphs background set and save ``<name>.pt`` + ``<name>.json``.

    ``epochs`` and ``n_alphabets`` override the shipped settings (for a quick check); the JSON records
    what was actually used. Returns the metadata written to the JSON.
    """
    spec = _spec(name)
    directory = WEIGHTS_DIR if directory is None else Path(directory)
    training = dict(spec["training"])
    if epochs is not None:
        training["epochs"] = checks.positive_int("epochs", epochs)
    X, y, X_test, y_test, n_classes = source_data(name, n_alphabets)
    torch.manual_seed(training["seed"])
    backbone = build_backbone(name)
    model = Classifier(_as_model(name, backbone), n_classes)
    start, cpu_start = time.perf_counter(), time.process_time()
    train_acc = _train(model, X, y, training, training["augment"], device, progress, f"pretraining {name}")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    test_acc = evaluate(model, (X_test, y_test), device=device)
    backbone = backbone.cpu()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.pt"
    torch.save({k: v.detach().clone() for k, v in backbone.state_dict().items()}, path)
    meta = {
        "name": name,
        "file": path.name,
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
        "architecture": spec["architecture"],
        "config": spec["config"],
        "input": spec["input"],
        "out_features": backbone.out_features,
        "parameters": sum(p.numel() for p in backbone.parameters()),
        "source_task": {
            **DATA,
            "n_alphabets": n_alphabets or "all",
            "n_classes": n_classes,
            "n_train": len(y),
            "n_test": len(y_test),
        },
        "training": {
            **training,
            "optimizer": "Adam, cosine-annealed learning rate",
            "loss": "cross-entropy over the source classes",
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu_seconds, 1),
            "threads": torch.get_num_threads(),
            "device": str(next(model.parameters()).device),
        },
        "accuracy": {
            "train_last_epoch": round(train_acc, 4),
            "held_out_drawers": round(test_acc, 4),
            "chance": round(1 / n_classes, 4),
        },
        "made_by": f"python -m tlearn.pretrain {name}",
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    (directory / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


# --- loading --------------------------------------------------------------------------------------------
def load_pretrained(
    name: str, *, directory: str | Path | None = None, train_if_missing: bool = False, progress: bool = True
) -> nn.Module:
    """The pretrained backbone ``name``, verified by :func:`tlearn.weights_io.load_verified`: checksum, config,
    ``weights_only`` load, strict keys.

    A missing file raises ``FileNotFoundError`` naming ``make pretrain``, unless ``train_if_missing``:
    then it is trained here (about 15 minutes on a laptop CPU, with a progress bar) and saved.
    """
    pt_path, meta_path = weight_paths(name, directory)
    fix = FIX.format(name=name)
    if not pt_path.exists() or not meta_path.exists():
        if not train_if_missing:
            missing = pt_path if not pt_path.exists() else meta_path
            raise FileNotFoundError(
                f"pretrained backbone {name!r} not found ({missing} is missing); {fix}, "
                "or pass train_if_missing=True to train it now"
            )
        print(f"{pt_path.name} is missing: pretraining {name} now (about 15 minutes on a CPU)")
        pretrain(name, directory=pt_path.parent, progress=progress)
    return load_verified(name, directory)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tlearn.pretrain", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=list(SPECS), help=f"which backbones (default: {' '.join(SPECS)})")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--alphabets", type=int, default=None, help="use only the first N alphabets (a quick check)")
    parser.add_argument("--directory", default=None, help=f"where to write or check the files (default: {WEIGHTS_DIR})")
    parser.add_argument("--check", action="store_true", help="only verify the files")
    args = parser.parse_args(argv)
    for name in args.names:
        _spec(name)
    for name in args.names:
        if args.check:
            load_pretrained(name, directory=args.directory)
            meta = read_metadata(name, directory=args.directory)
            print(
                f"{name}: ok, sha256 {meta['sha256'][:16]}..., held-out accuracy "
                f"{meta['accuracy']['held_out_drawers']:.3f}"
            )
            continue
        meta = pretrain(name, directory=args.directory, epochs=args.epochs, n_alphabets=args.alphabets)
        accuracy = meta["accuracy"]
        print(
            f"{name}: {meta['parameters']:,} parameters, {meta['bytes'] / 1e6:.2f} MB, "
            f"{meta['training']['seconds']:.0f} s, held-out-drawer accuracy {accuracy['held_out_drawers']:.3f} "
            f"(chance {accuracy['chance']:.4f}) -> {weight_paths(name, args.directory)[0]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
