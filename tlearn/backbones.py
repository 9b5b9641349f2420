"""Backbones: the networks that turn an input into a feature vector.

Every backbone here maps its input to a flat feature vector and says how long it is in ``.out_features``,
so a head, a metric or a domain discriminator can be put on any of them without knowing which it is.

- :class:`Conv4` is the standard few-shot encoder (Vinyals et al. 2016; Snell et al. 2017): four blocks of
  3x3 convolution, batch norm, ReLU and 2x2 max pooling, 64 channels each. On 28x28 input the four
  poolings leave a 1x1 map, so the feature is 64 numbers.
- :class:`ResNet` is a small residual network (He et al. 2016): :math:`y = \\mathrm{ReLU}(x + F(x))`, so
  each block learns a correction to the identity, which keeps deep stacks trainable.
- :class:`GRUEncoder` reads a pen trajectory one point at a time (Cho et al. 2014) and returns the last
  hidden state, or the mean over time.
- :class:`TorchvisionBackbone` wraps any torchvision classifier (optionally ImageNet-pretrained) with its
  final layer removed.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _pair(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """conv3x3 -> batch norm -> ReLU -> 2x2 max pool: halves the spatial size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class Conv4(nn.Module):
    """Four conv blocks; the flattened output has ``hidden * (H/16) * (W/16)`` features."""

    def __init__(self, in_channels: int = 1, hidden: int = 64, image_size=28):
        super().__init__()
        h, w = _pair(image_size)
        if h < 16 or w < 16:
            raise ValueError(
                f"image_size={image_size} is too small for Conv4: its four 2x2 poolings need at least 16x16 "
                "input; resize the images (e.g. image_size=28) or use ResNet, which pools globally"
            )
        if in_channels < 1 or hidden < 1:
            raise ValueError(f"in_channels and hidden must be >= 1, got {in_channels}, {hidden}")
        self.in_channels, self.hidden, self.image_size = in_channels, hidden, (h, w)
        self.blocks = nn.ModuleList([conv_block(in_channels, hidden)] + [conv_block(hidden, hidden) for _ in range(3)])
        self.out_features = hidden * (h // 16) * (w // 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, self.in_channels, self.image_size, type(self).__name__)
        for block in self.blocks:
            x = block(x)
        return x.flatten(1)


def check_images(x: torch.Tensor, channels: int, size=None, who: str = "the backbone") -> None:
    """A readable error for the most common mistake: the wrong input shape."""
    if x.dim() != 4 or x.shape[1] != channels or (size is not None and tuple(x.shape[2:]) != tuple(size)):
        want = f"[B, {channels}, {size[0]}, {size[1]}]" if size is not None else f"[B, {channels}, H, W]"
        raise ValueError(
            f"{who} expects images of shape {want}, got {list(x.shape)}; "
            "check in_channels/image_size (grey images have 1 channel; ImageSet.to_rgb() gives 3)"
        )


class BasicBlock(nn.Module):
    """:math:`y = \\mathrm{ReLU}(\\mathrm{shortcut}(x) + \\mathrm{BN}(W_2\\, \\mathrm{ReLU}(\\mathrm{BN}(W_1 x))))`."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.body(x))


class ResNet(nn.Module):
    """A small ResNet: a stem, then one stage per width (each stage after the first halves the size),
    then global average pooling, so any input size of 8x8 or more works."""

    def __init__(self, in_channels: int = 1, widths=(16, 32, 64), blocks_per_stage: int = 1):
        super().__init__()
        if not widths or blocks_per_stage < 1:
            raise ValueError(f"widths must be non-empty and blocks_per_stage >= 1, got {widths}, {blocks_per_stage}")
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)
        )
        stages, prev = [], widths[0]
        for i, w in enumerate(widths):
            blocks = [BasicBlock(prev, w, stride=1 if i == 0 else 2)]
            blocks += [BasicBlock(w, w) for _ in range(blocks_per_stage - 1)]
            stages.append(nn.Sequential(*blocks))
            prev = w
        self.stages = nn.ModuleList(stages)
        self.out_features = widths[-1]

    def forward(self, x):
        check_images(x, self.in_channels, who="ResNet")
        if min(x.shape[2:]) < 8:
            raise ValueError(f"ResNet needs images of at least 8x8, got {list(x.shape[2:])}")
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return x.mean(dim=(2, 3))


class GRUEncoder(nn.Module):
    """Encode a padded batch of sequences ``x [B, T, F]`` with true lengths ``lengths [B]``.

    ``pool="last"`` returns the hidden state after each sequence's last real step, :math:`h_{T_b}`;
    ``pool="mean"`` returns :math:`\\frac{1}{T_b}\\sum_{t \\le T_b} h_t`. Padding never leaks in.
    """

    def __init__(self, input_size: int = 3, hidden_size: int = 128, num_layers: int = 1, pool: str = "last"):
        super().__init__()
        if pool not in ("last", "mean"):
            raise ValueError(f"pool must be 'last' or 'mean', got {pool!r}")
        self.input_size, self.pool = input_size, pool
        self.gru = nn.GRU(input_size, hidden_size, num_layers, batch_first=True)
        self.out_features = hidden_size

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"GRUEncoder expects sequences [B, T, {self.input_size}], got {list(x.shape)}")
        B, T, _ = x.shape
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if lengths.shape != (B,) or lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must be [B] with values in 1..{T}, got {lengths.tolist()[:8]}")
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, h = self.gru(packed)
        if self.pool == "last":
            return h[-1]
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        return out.sum(1) / lengths.to(out.device, out.dtype)[:, None]


class TorchvisionBackbone(nn.Module):
    """A torchvision classifier without its last layer: ``name`` from ``torchvision.models``,
    ``weights="imagenet"`` for its ImageNet weights (downloaded once; fails fast offline)."""

    def __init__(self, name: str = "resnet18", weights: str | None = None):
        super().__init__()
        import torchvision

        if weights not in (None, "imagenet"):
            raise ValueError(f"weights must be None or 'imagenet', got {weights!r}")
        if weights == "imagenet":
            from .data.real import pretrained_torchvision

            model = pretrained_torchvision(name)
        else:
            if not hasattr(torchvision.models, name):
                raise ValueError(f"unknown torchvision model {name!r}")
            model = getattr(torchvision.models, name)(weights=None)
        head_name = "fc" if hasattr(model, "fc") else "classifier"
        head = getattr(model, head_name)
        last = head if isinstance(head, nn.Linear) else [m for m in head.modules() if isinstance(m, nn.Linear)][-1]
        self.out_features = last.in_features
        setattr(model, head_name, nn.Identity())
        self.model = model

    def forward(self, x):
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"torchvision models expect RGB images [B, 3, H, W], got {list(x.shape)}; "
                "use ImageSet.to_rgb() for grey images"
            )
        return self.model(x)


class Classifier(nn.Module):
    """A backbone and a linear head: ``logits = head(backbone(x))``."""

    def __init__(self, backbone: nn.Module, n_classes: int):
        super().__init__()
        if not hasattr(backbone, "out_features"):
            raise TypeError("backbone must expose .out_features (the length of its feature vector)")
        if n_classes < 1:
            raise ValueError(f"n_classes must be >= 1, got {n_classes}")
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_features, n_classes)

    def forward(self, x, *extra):
        return self.head(self.backbone(x, *extra))
