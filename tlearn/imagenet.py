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


class Normalise(nn.Module):
    """``(x - mean) / std`` per colour channel: ImageNet's statistics, as the ImageNet weights were trained."""

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class ImageNetBackbone(nn.Module):
    """A torchvision ResNet with its ImageNet weights, fed as it was trained, as five **stages**:

    - ``stages[0]``, the stem: ImageNet's channel normalisation of RGB images in ``[0, 1]``, the 7x7
      convolution, batch norm, ReLU and max-pool;
    - ``stages[1..4]``: the residual stages ``layer1`` .. ``layer4``;

    and the feature is the last stage's maps averaged over space (torchvision's ``avgpool``; its ``fc`` is
    dropped). Chaining the stages by hand gives exactly what the hooks of :mod:`tlearn.features` record, and
    the layer-wise learning rates of :mod:`tlearn.finetune` give each stage its own group.
    ``pretrained=False`` gives the same network randomly initialised (the from-scratch baseline); ``resnet``
    wraps a torchvision ResNet you already have, sharing its weights.
    """

    def __init__(self, name: str = "resnet18", pretrained: bool = True, resnet: nn.Module | None = None):
        super().__init__()
        from .data.real import PRETRAINED, pretrained_torchvision

        if resnet is None:
            if name not in PRETRAINED:
                raise ValueError(f"name must be one of {sorted(PRETRAINED)}, got {name!r}")
            import torchvision

            # raises tlearn.data.OfflineError within seconds when the weights are not cached and there is no network
            resnet = pretrained_torchvision(name) if pretrained else getattr(torchvision.models, name)(weights=None)
        stem = nn.Sequential(Normalise(), resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool)
        self.stages = nn.ModuleList([stem, resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4])
        self.out_features = resnet.fc.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"an ImageNet ResNet expects RGB images [B, 3, H, W], got {list(x.shape)}; "
                "use ImageSet.to_rgb() for grey images"
            )
        for stage in self.stages:
            x = stage(x)
        return x.mean(dim=(2, 3))  # torchvision's AdaptiveAvgPool2d(1), then flatten


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
