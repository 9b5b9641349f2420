"""In-memory labelled image sets.

Every offline world in ``tlearn.data`` returns an :class:`ImageSet`: all images in one float tensor
``[N, C, H, W]`` with values in ``[0, 1]`` and one ``int64`` label per image. Keeping the data as tensors
(rather than files decoded one by one) is what lets a 2-core laptop train on it without the data pipeline
dominating the step time; an ``ImageSet`` is still a ``torch.utils.data.Dataset``, so it works with a
``DataLoader`` and with every sampler in :mod:`tlearn.samplers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
from torch.utils.data import Dataset


def _as_index(indices) -> torch.Tensor:
    index = torch.as_tensor(indices, dtype=torch.long)
    if index.dim() != 1:
        raise ValueError(f"indices must be one-dimensional, got shape {tuple(index.shape)}")
    return index


@dataclass(eq=False, repr=False)
class ImageSet(Dataset):
    """Images ``[N, C, H, W]`` in ``[0, 1]`` with integer class labels ``[N]``.

    ``groups`` (optional) gives each *class* a group id, e.g. the alphabet of a Glyphs character; the
    episode sampler uses it to draw within-alphabet episodes.
    """

    images: torch.Tensor
    targets: torch.Tensor
    classes: list = field(default_factory=list)
    groups: torch.Tensor | None = None
    group_names: list = field(default_factory=list)
    name: str = ""

    def __post_init__(self):
        if not isinstance(self.images, torch.Tensor) or self.images.dim() != 4:
            shape = tuple(self.images.shape) if isinstance(self.images, torch.Tensor) else type(self.images)
            raise ValueError(f"images must be a float tensor [N, C, H, W], got {shape}")
        self.images = self.images.float()
        self.targets = torch.as_tensor(self.targets)
        if self.targets.is_floating_point() or self.targets.dtype == torch.bool:
            raise ValueError(
                f"targets must be integer class ids, got dtype {self.targets.dtype}; "
                "convert with targets.long() after checking they are whole numbers"
            )
        self.targets = self.targets.long()
        if self.targets.shape != (len(self.images),):
            raise ValueError(
                f"targets must have shape [{len(self.images)}] (one label per image), got {tuple(self.targets.shape)}"
            )
        if len(self.targets) and self.targets.min() < 0:
            raise ValueError("targets must be non-negative class ids")
        n_classes = int(self.targets.max()) + 1 if len(self.targets) else 0
        if not self.classes:
            self.classes = [str(c) for c in range(n_classes)]
        elif len(self.classes) < n_classes:
            raise ValueError(f"classes names {len(self.classes)} classes but targets go up to {n_classes - 1}")
        if self.groups is not None:
            self.groups = torch.as_tensor(self.groups, dtype=torch.long)
            if len(self.groups) != len(self.classes):
                raise ValueError(f"groups must give one group per class ({len(self.classes)}), got {len(self.groups)}")

    # --- Dataset protocol -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        return self.images[i], int(self.targets[i])

    def fetch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels for many indices at once (the samplers' fast path)."""
        index = _as_index(indices)
        return self.images[index], self.targets[index]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def __repr__(self) -> str:
        name = self.name or type(self).__name__
        return f"{name}: {len(self)} images of shape {list(self.image_shape)}, {self.n_classes} classes"

    # --- fields indexed by sample and by class (subclasses extend these) ---------------------------
    _sample_fields = ("images", "targets")
    _class_fields = ("groups",)

    # --- selections --------------------------------------------------------------------------------
    def subset(self, indices) -> ImageSet:
        """The samples at ``indices``; class ids and per-class fields are kept."""
        index = _as_index(indices)
        if len(index) and (index.min() < -len(self) or index.max() >= len(self)):
            raise ValueError(f"indices must lie in [0, {len(self)}), got {int(index.min())}..{int(index.max())}")
        return replace(self, **{name: getattr(self, name)[index] for name in self._sample_fields})

    def split(self, test_fraction: float = 0.3, seed: int = 0) -> tuple[ImageSet, ImageSet]:
        """A stratified split: ``test_fraction`` of every class goes to the second set."""
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
        g = torch.Generator().manual_seed(seed)
        train, test = [], []
        for c in torch.unique(self.targets):
            idx = torch.nonzero(self.targets == c).flatten()
            idx = idx[torch.randperm(len(idx), generator=g)]
            n_test = max(1, round(test_fraction * len(idx))) if len(idx) > 1 else 0
            test.append(idx[:n_test])
            train.append(idx[n_test:])
        return self.subset(torch.cat(train).sort().values), self.subset(torch.cat(test).sort().values)

    def take_per_class(self, k: int, seed: int = 0) -> tuple[ImageSet, ImageSet]:
        """``k`` random examples of every class, and everything else (a label budget of ``k`` per class)."""
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer (examples per class), got {k!r}")
        counts = torch.bincount(self.targets, minlength=self.n_classes)
        present = counts[counts > 0]
        if len(present) and int(present.min()) < k:
            raise ValueError(
                f"k={k} examples per class asked, but the smallest class has {int(present.min())}; "
                f"use k <= {int(present.min())}"
            )
        g = torch.Generator().manual_seed(seed)
        picked, rest = [], []
        for c in torch.nonzero(counts).flatten():
            idx = torch.nonzero(self.targets == c).flatten()
            idx = idx[torch.randperm(len(idx), generator=g)]
            picked.append(idx[:k])
            rest.append(idx[k:])
        return self.subset(torch.cat(picked).sort().values), self.subset(torch.cat(rest).sort().values)

    def select_classes(self, class_ids: Sequence[int], relabel: bool = True) -> ImageSet:
        """Keep only ``class_ids``; with ``relabel`` the kept classes become ``0..len(class_ids)-1``."""
        ids = _as_index(list(class_ids))
        if len(ids) == 0:
            raise ValueError("class_ids is empty; pass at least one class id")
        if len(torch.unique(ids)) != len(ids):
            raise ValueError("class_ids contains duplicates")
        if ids.min() < 0 or ids.max() >= self.n_classes:
            raise ValueError(f"class_ids must lie in [0, {self.n_classes}), got {ids.tolist()}")
        mask = torch.isin(self.targets, ids)
        out = self.subset(torch.nonzero(mask).flatten())
        if not relabel:
            return out
        mapping = torch.full((self.n_classes,), -1, dtype=torch.long)
        mapping[ids] = torch.arange(len(ids))
        changes = {"targets": mapping[out.targets], "classes": [self.classes[i] for i in ids.tolist()]}
        for name in self._class_fields:
            value = getattr(out, name)
            if isinstance(value, torch.Tensor) and value.dim() > 0:
                changes[name] = value[ids]
        return replace(out, **changes)

    def to_rgb(self) -> ImageSet:
        """The same images with three channels (grey repeated), e.g. to pair with a colour domain."""
        if self.images.shape[1] == 3:
            return self
        if self.images.shape[1] != 1:
            raise ValueError(f"to_rgb needs 1 or 3 channels, got {self.images.shape[1]}")
        return replace(self, images=self.images.repeat(1, 3, 1, 1))
