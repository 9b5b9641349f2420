"""Checking functions for the notebooks' implementation exercises.

Each checker takes the learner's function, runs it on random inputs against tlearn's own implementation
and says whether it is right: it prints a short verdict and returns ``True`` or ``False`` (it never
raises on a wrong answer, so a notebook can run with the exercise left undone). Checkers are grouped by
notebook; each group's functions are named after the notebook's topic.
"""

from __future__ import annotations

import torch

# --- notebook 05: few-shot learning -------------------------------------------------------------------


def _fewshot_inputs(seed: int = 0, n_way: int = 5, n_query: int = 12, dim: int = 16):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n_query, dim, generator=g), torch.randn(n_way, dim, generator=g)


def fewshot_cosine_logits_reference(query: torch.Tensor, prototypes: torch.Tensor, scale: float) -> torch.Tensor:
    r"""tlearn's scaled-cosine Prototypical logits, :math:`s \cos(f(\hat x), c_k)` (``PrototypicalNet(distance=
    "cosine")``), ``[Q, D] x [N, D] -> [Q, N]``."""
    from torch import nn

    from .fewshot.protonet import PrototypicalNet

    head = PrototypicalNet(nn.Identity(), distance="cosine", scale=scale)
    with torch.no_grad():  # one support example per class: its prototype is itself
        return head.logits_from_embeddings(prototypes, torch.arange(len(prototypes)), query)


def check_fewshot_cosine_logits(fn, trials: int = 3, atol: float = 1e-5, verbose: bool = True) -> bool:
    r"""Check ``fn(query, prototypes, scale) -> logits [Q, N]``, the scaled-cosine Prototypical logits
    :math:`s \cos(f(\hat x), c_k)`, against :class:`tlearn.fewshot.PrototypicalNet` with
    ``distance="cosine"``, on random embeddings (including prototypes of very different lengths, which a
    distance that forgets to normalise gets wrong)."""

    def say(ok: bool, message: str) -> bool:
        if verbose:
            print(("Correct: " if ok else "Not yet: ") + message)
        return ok

    for trial in range(trials):
        query, prototypes = _fewshot_inputs(seed=trial)
        prototypes = prototypes * torch.linspace(0.1, 10.0, len(prototypes))[:, None]  # lengths differ
        scale = 3.0 + 4 * trial
        try:
            got = fn(query.clone(), prototypes.clone(), scale)
        except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
            return say(False, f"your function raised {type(error).__name__}: {error}")
        want = fewshot_cosine_logits_reference(query, prototypes, scale)
        if not isinstance(got, torch.Tensor):
            return say(False, f"return a torch.Tensor of logits, got {type(got).__name__}")
        if tuple(got.shape) != tuple(want.shape):
            return say(
                False, f"logits should have shape [n_query, n_way] = {tuple(want.shape)}, got {tuple(got.shape)}"
            )
        if not torch.allclose(got.float(), want, atol=atol):
            worst = (got.float() - want).abs().max().item()
            return say(
                False,
                f"logits differ from s * cos(f(x), c_k) by up to {worst:.3g} (scale {scale}); "
                "normalise both the queries and the prototypes, then multiply by the scale",
            )
    return say(True, f"your logits equal s * cos(f(x), c_k) on {trials} random episodes.")


# --- notebook 08: your own data -----------------------------------------------------------------------


def check_rotated_classes(fn, verbose: bool = True) -> bool:
    r"""Check ``fn(images [N, C, H, W], labels [N]) -> (images [4N, C, H, W], labels [4N])``, rotations by
    0, 90, 180 and 270 degrees as new classes (rotation :math:`r` of class :math:`y` becomes class
    :math:`y + rC`, :math:`C` the number of classes), against :func:`tlearn.fewshot.rotate_classes`.
    The order of the returned images does not matter; each image must carry its own rotated class."""
    from .data.base import ImageSet
    from .data.folders import rotate_classes

    def say(ok: bool, message: str) -> bool:
        if verbose:
            print(("Correct: " if ok else "Not yet: ") + message)
        return ok

    g = torch.Generator().manual_seed(0)
    images, labels = torch.rand(12, 1, 5, 5, generator=g), torch.arange(12) % 4  # 4 classes, asymmetric images
    want = rotate_classes(ImageSet(images=images, targets=labels))
    try:
        got_images, got_labels = fn(images.clone(), labels.clone())
    except Exception as error:  # noqa: BLE001  (the learner's code may raise anything: report it)
        return say(False, f"your function raised {type(error).__name__}: {error}")
    if not (isinstance(got_images, torch.Tensor) and isinstance(got_labels, torch.Tensor)):
        return say(False, "return two tensors: the rotated images and their labels")
    if tuple(got_images.shape) != tuple(want.images.shape) or tuple(got_labels.shape) != tuple(want.targets.shape):
        return say(
            False,
            f"expected images {tuple(want.images.shape)} and labels {tuple(want.targets.shape)}, got "
            f"{tuple(got_images.shape)} and {tuple(got_labels.shape)}",
        )

    def pairs(x, y):  # each (image, label) as a sortable key: the order of the output does not matter
        return sorted((int(label), tuple(image.flatten().round(decimals=5).tolist())) for image, label in zip(x, y))

    if pairs(got_images, got_labels) != pairs(want.images, want.targets):
        return say(
            False,
            "some image does not carry its rotated class: rotation r (0, 90, 180, 270 degrees, "
            "torch.rot90 with k = r) of class y should be class y + r * n_classes",
        )
    return say(True, "each rotation of each class is a new class, as in the Omniglot papers.")
