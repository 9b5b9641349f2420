"""Samplers: episodes, pairs, and source/target batches.

**Episodes.** Few-shot methods are trained and tested the way they will be used (Vinyals et al. 2016):
each *episode* draws :math:`N` classes, :math:`K` labelled *support* examples of each and :math:`Q`
*query* examples of each, relabels the classes :math:`0..N-1`, and asks the model to label the queries
from the support set alone. Test episodes are fixed in advance (``fixed=True``) so that every method is
scored on the same ones and the 95% interval over episodes means something.

:class:`EpisodeSampler` needs only the labels of a dataset, which :func:`labels_of` reads without decoding
any image, so it works on an :class:`~tlearn.data.ImageSet`, a torchvision dataset (MNIST, Omniglot, ...),
an ``ImageFolder`` of your own images, or a ``Subset`` of any of them. Sizes are checked up front: an
episode that asks for more classes or examples than the data holds fails at construction, not mid-run.

**Pairs.** :class:`PairSampler` yields balanced same/different pairs for Siamese networks.

**Source/target.** :class:`DomainBatches` pairs a labelled source batch with an unlabelled target batch
at every step, for domain adaptation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


# --- labels --------------------------------------------------------------------------------------------
def labels_of(dataset) -> torch.Tensor:
    """The class label of every sample, as an ``int64`` tensor, read without loading images.

    Understands ``.targets`` (ImageSet, MNIST, CIFAR, ImageFolder, USPS), ``.labels`` (SVHN),
    ``._flat_character_images`` (Omniglot), ``.samples`` (DatasetFolder) and ``Subset``.
    """
    from torch.utils.data import Subset

    if isinstance(dataset, torch.Tensor):
        labels = dataset
    elif isinstance(dataset, Subset):
        return labels_of(dataset.dataset)[torch.as_tensor(dataset.indices, dtype=torch.long)]
    elif hasattr(dataset, "targets") and not isinstance(dataset.targets, dict):
        labels = dataset.targets
    elif hasattr(dataset, "labels"):
        labels = dataset.labels
    elif hasattr(dataset, "_flat_character_images"):
        labels = [label for _, label in dataset._flat_character_images]
    elif hasattr(dataset, "samples"):
        labels = [label for _, label in dataset.samples]
    else:
        raise TypeError(
            f"cannot read the labels of a {type(dataset).__name__} without loading every image; give it a "
            "`.targets` attribute (a list or tensor of class ids) or pass the labels tensor directly"
        )
    labels = torch.as_tensor(labels)
    if labels.dtype.is_floating_point or labels.dtype == torch.bool or labels.dim() != 1:
        raise ValueError(
            f"labels must be a 1-D tensor of integer class ids, got dtype {labels.dtype}, shape "
            f"{tuple(labels.shape)}; convert them (e.g. targets.long()) or map names to ids first"
        )
    return labels.long()


def fetch(dataset, indices: torch.Tensor) -> torch.Tensor:
    """Stack the inputs at ``indices``: one tensor index for in-memory sets, ``dataset[i]`` otherwise."""
    if hasattr(dataset, "fetch"):
        return dataset.fetch(indices)[0]
    if isinstance(dataset, torch.Tensor):
        return dataset[indices]
    return torch.stack([torch.as_tensor(dataset[int(i)][0]) for i in indices])


def _check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


# --- episodes ------------------------------------------------------------------------------------------
@dataclass
class Episode:
    """One N-way K-shot task. Support and query are in class-major order, labels in ``0..N-1``."""

    support: torch.Tensor
    support_labels: torch.Tensor
    query: torch.Tensor
    query_labels: torch.Tensor
    classes: torch.Tensor
    support_index: torch.Tensor
    query_index: torch.Tensor

    @property
    def n_way(self) -> int:
        return len(self.classes)

    @property
    def k_shot(self) -> int:
        return len(self.support_labels) // len(self.classes)

    def to(self, device, non_blocking: bool | None = None) -> Episode:
        """The episode's tensors on ``device``. To a GPU (``non_blocking`` None: whenever ``device`` is CUDA)
        the CPU tensors are pinned first and copied asynchronously; pinning is skipped where CUDA is absent."""
        device = torch.device(device)
        if non_blocking is None:
            non_blocking = device.type == "cuda"
        pin = non_blocking and torch.cuda.is_available()

        def move(t: torch.Tensor) -> torch.Tensor:
            if pin and t.device.type == "cpu":
                t = t.pin_memory()
            return t.to(device, non_blocking=non_blocking)

        return Episode(
            move(self.support),
            move(self.support_labels),
            move(self.query),
            move(self.query_labels),
            self.classes,
            self.support_index,
            self.query_index,
        )


class EpisodeSampler:
    """Draws ``n_episodes`` N-way K-shot Q-query episodes from a labelled dataset.

    - ``fixed=True`` draws the episodes once at construction; every pass yields the same ones (for tests).
    - Otherwise every pass continues one random stream started from ``seed``: one seed, one sequence.
    - ``within_groups=True`` draws all N classes of an episode from one group (e.g. one alphabet), which
      is harder: the classes look alike. ``groups`` gives each class its group; by default the dataset's
      own ``.groups`` (Glyphs: the alphabet of each character).
    """

    def __init__(
        self,
        dataset,
        n_way: int,
        k_shot: int,
        q_query: int,
        n_episodes: int = 100,
        seed: int = 0,
        fixed: bool = False,
        within_groups: bool = False,
        groups=None,
    ):
        self.dataset = dataset
        self.n_way = _check_size("n_way", n_way)
        self.k_shot = _check_size("k_shot", k_shot)
        self.q_query = _check_size("q_query", q_query)
        self.n_episodes = _check_size("n_episodes", n_episodes)
        self.seed, self.fixed, self.within_groups = seed, fixed, within_groups
        labels = labels_of(dataset)
        if len(labels) == 0:
            raise ValueError("the dataset is empty; an episode needs labelled samples")
        classes, counts = torch.unique(labels, return_counts=True)
        per_class = self.k_shot + self.q_query
        usable = classes[counts >= per_class]
        if len(usable) < self.n_way:
            raise ValueError(
                f"n_way={n_way} with k_shot + q_query = {per_class} needs {n_way} classes with at least "
                f"{per_class} samples each, but only {len(usable)} of {len(classes)} classes have that many "
                f"(the smallest class has {int(counts.min())}); lower n_way, k_shot or q_query"
            )
        order = torch.argsort(labels, stable=True)
        bounds = torch.cumsum(counts, 0)
        self._members = {int(c): order[int(b - n) : int(b)] for c, n, b in zip(classes, counts, bounds)}
        self._pools = [usable]
        if within_groups:
            if groups is None:
                groups = getattr(dataset, "groups", None)
            if groups is None:
                raise ValueError(
                    "within_groups=True needs groups: pass groups= (the group id of each class) "
                    "or use a dataset with a .groups attribute, such as Glyphs"
                )
            groups = torch.as_tensor(groups, dtype=torch.long)
            if len(groups) <= int(usable.max()):
                raise ValueError(
                    f"groups must give a group to every class id (need {int(usable.max()) + 1}), got {len(groups)}"
                )
            self._pools = [usable[groups[usable] == gid] for gid in torch.unique(groups[usable])]
            self._pools = [p for p in self._pools if len(p) >= self.n_way]
            if not self._pools:
                raise ValueError(
                    f"no group has n_way={n_way} classes with {per_class} samples each; "
                    "lower n_way or set within_groups=False"
                )
        self._generator = torch.Generator().manual_seed(seed)
        self._fixed = [self._draw(self._generator) for _ in range(n_episodes)] if fixed else None

    def _draw(self, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pool = self._pools[int(torch.randint(len(self._pools), (1,), generator=g))]
        classes = pool[torch.randperm(len(pool), generator=g)[: self.n_way]]
        support, query = [], []
        for c in classes.tolist():
            members = self._members[c]
            picked = members[torch.randperm(len(members), generator=g)[: self.k_shot + self.q_query]]
            support.append(picked[: self.k_shot])
            query.append(picked[self.k_shot :])
        return classes, torch.cat(support), torch.cat(query)

    def indices(self):
        """Yield ``(classes, support_index, query_index)`` per episode, without loading any input."""
        for i in range(self.n_episodes):
            yield self._fixed[i] if self.fixed else self._draw(self._generator)

    def __iter__(self):
        n, k, q = self.n_way, self.k_shot, self.q_query
        support_labels = torch.arange(n).repeat_interleave(k)
        query_labels = torch.arange(n).repeat_interleave(q)
        for classes, s_idx, q_idx in self.indices():
            yield Episode(
                fetch(self.dataset, s_idx),
                support_labels,
                fetch(self.dataset, q_idx),
                query_labels,
                classes,
                s_idx,
                q_idx,
            )

    def __len__(self) -> int:
        return self.n_episodes

    def __repr__(self) -> str:
        mode = "fixed" if self.fixed else "random"
        return (
            f"EpisodeSampler({self.n_way}-way {self.k_shot}-shot {self.q_query}-query, "
            f"{self.n_episodes} {mode} episodes{', within groups' if self.within_groups else ''})"
        )


# --- pairs ---------------------------------------------------------------------------------------------
class PairSampler:
    """Balanced pairs for verification: each batch holds ``batch_size // 2`` same-class pairs and as many
    different-class pairs. Yields ``(x1, x2, same)`` with ``same`` a float tensor of 1s and 0s."""

    def __init__(self, dataset, batch_size: int = 64, n_batches: int = 100, seed: int = 0):
        self.dataset = dataset
        self.batch_size = _check_size("batch_size", batch_size)
        if batch_size < 2 or batch_size % 2:
            raise ValueError(f"batch_size must be even and >= 2 (half same, half different), got {batch_size}")
        self.n_batches = _check_size("n_batches", n_batches)
        labels = labels_of(dataset)
        classes, counts = torch.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise ValueError("PairSampler needs at least 2 classes to form different-class pairs")
        if (counts >= 2).sum() == 0:
            raise ValueError("PairSampler needs a class with at least 2 samples to form same-class pairs")
        self.labels = labels
        self._same_classes = classes[counts >= 2]
        self._members = {int(c): torch.nonzero(labels == c).flatten() for c in classes}
        self._classes = classes
        self._generator = torch.Generator().manual_seed(seed)

    def _pick(self, c: int, n: int, g) -> torch.Tensor:
        m = self._members[c]
        return m[torch.randperm(len(m), generator=g)[:n]]

    def pair_indices(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        g, half = self._generator, self.batch_size // 2
        first, second = [], []
        for c in self._same_classes[torch.randint(len(self._same_classes), (half,), generator=g)].tolist():
            a, b = self._pick(c, 2, g)
            first.append(a), second.append(b)
        for _ in range(half):
            c1, c2 = self._classes[torch.randperm(len(self._classes), generator=g)[:2]].tolist()
            first.append(self._pick(c1, 1, g)[0]), second.append(self._pick(c2, 1, g)[0])
        same = torch.cat([torch.ones(half), torch.zeros(half)])
        return torch.stack(first), torch.stack(second), same

    def __iter__(self):
        for _ in range(self.n_batches):
            i, j, same = self.pair_indices()
            yield fetch(self.dataset, i), fetch(self.dataset, j), same

    def __len__(self):
        return self.n_batches


# --- source / target -----------------------------------------------------------------------------------
def _as_tensors(data, name: str):
    if hasattr(data, "images") and hasattr(data, "targets"):
        return data.images, data.targets
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return torch.as_tensor(data[0]), torch.as_tensor(data[1])
    if isinstance(data, torch.Tensor):
        return data, None
    raise TypeError(f"{name} must be an ImageSet, an (X, y) tuple or a tensor, got {type(data).__name__}")


class DomainBatches:
    """``n_steps`` steps of ``(xs, ys, xt)``: a labelled source batch and an unlabelled target batch.

    Each side is reshuffled every time it runs out, so the two sides may differ in size.
    """

    def __init__(self, source, target, batch_size: int = 64, n_steps: int = 1000, seed: int = 0):
        self.xs, self.ys = _as_tensors(source, "source")
        self.xt, _ = _as_tensors(target, "target")
        if self.ys is None:
            raise ValueError("source must carry labels: pass an ImageSet or an (X, y) tuple")
        if len(self.xs) == 0 or len(self.xt) == 0:
            raise ValueError(f"source and target must be non-empty, got {len(self.xs)} and {len(self.xt)} samples")
        if self.xs.shape[1:] != self.xt.shape[1:]:
            raise ValueError(
                f"source and target inputs must have the same shape per sample, got "
                f"{list(self.xs.shape[1:])} and {list(self.xt.shape[1:])} (grey vs colour? use to_rgb())"
            )
        self.batch_size = _check_size("batch_size", batch_size)
        self.n_steps = _check_size("n_steps", n_steps)
        self._generator = torch.Generator().manual_seed(seed)

    def _stream(self, n: int):
        while True:
            perm = torch.randperm(n, generator=self._generator)
            for start in range(0, n - self.batch_size + 1 if n >= self.batch_size else 1, self.batch_size):
                yield perm[start : start + self.batch_size]

    def __iter__(self):
        src, tgt = self._stream(len(self.xs)), self._stream(len(self.xt))
        for _ in range(self.n_steps):
            i, j = next(src), next(tgt)
            yield self.xs[i], self.ys[i], self.xt[j]

    def __len__(self):
        return self.n_steps
