"""The real path: a torchvision ResNet with its ImageNet weights, and small labelled subsets of real datasets.

The offline default of notebooks 01 and 02 is a backbone pretrained here on Glyphs
(:mod:`tlearn.pretrain`); with ``DATASET`` set to a real dataset they use these instead. Both download once
into the cache folder and, without a network, fail within seconds with :class:`tlearn.data.OfflineError`
naming the offline default. The names are also available from :mod:`tlearn.pretrain`.
"""

from __future__ import annotations

import torch
from torch import nn

from . import checks

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class ImageNetBackbone(nn.Module):
    """A torchvision ResNet with its ImageNet weights, fed as it was trained: RGB images in ``[0, 1]`` are
    normalised with ImageNet's channel means and standard deviations before the network sees them.
    ``pretrained=False`` gives the same network randomly initialised (the from-scratch baseline)."""

    def __init__(self, name: str = "resnet18", pretrained: bool = True):
        super().__init__()
        from .backbones import TorchvisionBackbone

        # raises tlearn.data.OfflineError within seconds when the weights are not cached and there is no network
        self.backbone = TorchvisionBackbone(name, weights="imagenet" if pretrained else None)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.out_features = self.backbone.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone((x - self.mean) / self.std)


def real_target(
    name: str = "cifar10",
    per_class: int = 100,
    test_per_class: int = 100,
    image_size: int = 32,
    seed: int = 0,
    rgb: bool = True,
):
    """A small labelled subset of a real torchvision dataset as two ImageSets ``(pool, test)``:
    ``per_class`` training images of every class (draw label budgets from it) and ``test_per_class`` test
    images. Downloads once through :func:`tlearn.data.load_real`; offline it fails within seconds with
    :class:`tlearn.data.OfflineError`, naming the offline default. Grey images are repeated to three
    channels for an ImageNet network, unless ``rgb=False`` (a Conv4 pretrained on grey glyphs)."""
    from .data import ImageSet, load_real
    from .samplers import labels_of

    checks.positive_int("per_class", per_class)
    checks.positive_int("test_per_class", test_per_class)
    out = []
    for train, k in [(True, per_class), (False, test_per_class)]:
        ds = load_real(name, train=train, image_size=image_size)
        labels = labels_of(ds)
        g = torch.Generator().manual_seed(seed)
        picked = torch.cat(
            [
                idx[torch.randperm(len(idx), generator=g)[:k]]
                for idx in (torch.nonzero(labels == c).flatten() for c in torch.unique(labels))
            ]
        )
        picked = picked.sort().values
        images = torch.stack([ds[int(i)][0] for i in picked])
        images = images.repeat(1, 3, 1, 1) if rgb and images.shape[1] == 1 else images
        out.append(
            ImageSet(
                images,
                labels[picked],
                classes=list(getattr(ds, "classes", [])) or None,
                name=f"{name} ({'train' if train else 'test'} subset)",
            )
        )
    return out[0], out[1]
