"""Sampler invariants, determinism, any-dataset support and bad input."""

import pytest
import torch
from PIL import Image

from tlearn.data import ImageSet
from tlearn.samplers import DomainBatches, EpisodeSampler, PairSampler, labels_of


def toy(n_classes=8, per_class=6, groups=None):
    targets = torch.arange(n_classes).repeat_interleave(per_class)
    images = torch.arange(len(targets), dtype=torch.float32).reshape(-1, 1, 1, 1).expand(-1, 1, 4, 4).clone()
    return ImageSet(images, targets, groups=groups)


@pytest.mark.parametrize("fixed", [True, False])
def test_episode_invariants(fixed):
    ds = toy()
    sampler = EpisodeSampler(ds, n_way=5, k_shot=2, q_query=3, n_episodes=50, seed=1, fixed=fixed)
    for ep in sampler:
        assert len(torch.unique(ep.classes)) == 5  # N distinct classes
        assert ep.support.shape == (10, 1, 4, 4) and ep.query.shape == (15, 1, 4, 4)
        assert torch.equal(ep.support_labels, torch.arange(5).repeat_interleave(2))
        assert torch.equal(ep.query_labels, torch.arange(5).repeat_interleave(3))
        # support and query are disjoint, and K + Q distinct samples per class
        assert not set(ep.support_index.tolist()) & set(ep.query_index.tolist())
        for c in range(5):
            idx = torch.cat([ep.support_index[ep.support_labels == c], ep.query_index[ep.query_labels == c]])
            assert len(torch.unique(idx)) == 5
            assert torch.all(ds.targets[idx] == ep.classes[c])  # labels remapped consistently
        # the tensors are the dataset's samples at those indices
        assert torch.equal(ep.support, ds.images[ep.support_index])


def test_fixed_mode_repeats_and_seed_gives_one_sequence():
    ds = toy()
    fixed = EpisodeSampler(ds, 3, 1, 2, n_episodes=10, seed=5, fixed=True)
    first = [e.support_index for e in fixed]
    assert all(torch.equal(a, b.support_index) for a, b in zip(first, fixed))
    a = [e.query_index for e in EpisodeSampler(ds, 3, 1, 2, n_episodes=10, seed=7)]
    b = [e.query_index for e in EpisodeSampler(ds, 3, 1, 2, n_episodes=10, seed=7)]
    c = [e.query_index for e in EpisodeSampler(ds, 3, 1, 2, n_episodes=10, seed=8)]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
    # a random sampler moves on between passes
    rnd = EpisodeSampler(ds, 3, 1, 2, n_episodes=10, seed=7)
    p1, p2 = [e.query_index for e in rnd], [e.query_index for e in rnd]
    assert not all(torch.equal(x, y) for x, y in zip(p1, p2))


def test_within_groups():
    groups = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    ds = toy(groups=groups)
    for ep in EpisodeSampler(ds, 3, 1, 1, n_episodes=40, seed=0, within_groups=True):
        assert len(torch.unique(groups[ep.classes])) == 1
    seen_mixed = any(len(torch.unique(groups[ep.classes])) > 1 for ep in EpisodeSampler(ds, 3, 1, 1, n_episodes=40))
    assert seen_mixed
    with pytest.raises(ValueError, match="within_groups=True needs groups"):
        EpisodeSampler(toy(), 3, 1, 1, within_groups=True)
    with pytest.raises(ValueError, match="no group has n_way=5"):
        EpisodeSampler(ds, 5, 1, 1, within_groups=True)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_way": 9}, "n_way=9"),
        ({"k_shot": 4, "q_query": 3}, "k_shot \\+ q_query = 7.*smallest class has 6"),
        ({"n_way": 0}, "n_way must be an integer >= 1"),
        ({"k_shot": 0}, "k_shot must be an integer >= 1"),
        ({"q_query": -1}, "q_query must be an integer >= 1"),
        ({"n_episodes": 0}, "n_episodes"),
    ],
)
def test_episode_bad_sizes(kwargs, match):
    args = {"n_way": 5, "k_shot": 1, "q_query": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        EpisodeSampler(toy(), **args)


def test_labels_must_be_integers():
    class FloatLabels(torch.utils.data.Dataset):
        targets = [0.0, 1.0, 1.5]

    with pytest.raises(ValueError, match="integer class ids"):
        EpisodeSampler(FloatLabels(), 2, 1, 1)
    with pytest.raises(TypeError, match="without loading every image"):
        labels_of(object())
    with pytest.raises(ValueError, match="empty"):
        EpisodeSampler(ImageSet(torch.zeros(0, 1, 4, 4), torch.zeros(0, dtype=torch.long)), 1, 1, 1)


def test_any_dataset_image_folder_and_subset(tmp_path):
    """ImageFolder: labels come from the folder names, not from decoding images."""
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    for c in range(4):
        (tmp_path / f"class{c}").mkdir()
        for i in range(5):
            Image.new("L", (12, 12), color=c * 40 + i).save(tmp_path / f"class{c}" / f"{i}.png")
    folder = ImageFolder(str(tmp_path), transform=transforms.ToTensor())
    opened = []
    folder.loader = lambda path, _orig=folder.loader: opened.append(path) or _orig(path)
    sampler = EpisodeSampler(folder, n_way=3, k_shot=2, q_query=2, n_episodes=4, seed=0)
    assert opened == []  # constructing read no image
    for ep in sampler:
        assert ep.support.shape == (6, 3, 12, 12)
        # each class folder has its own grey level: the images match the remapped labels
        levels = (ep.support[:, 0, 0, 0] * 255).round() // 40
        assert torch.equal(levels.long(), ep.classes[ep.support_labels])
    sub = torch.utils.data.Subset(folder, list(range(0, 20, 2)))
    assert torch.equal(labels_of(sub), torch.tensor(folder.targets)[::2])


def test_torchvision_style_labels():
    class OmniglotLike:
        _flat_character_images = [("a.png", 0), ("b.png", 1), ("c.png", 1)]

    class SVHNLike:
        labels = [3, 1, 2]

    assert labels_of(OmniglotLike()).tolist() == [0, 1, 1]
    assert labels_of(SVHNLike()).tolist() == [3, 1, 2]


def test_pair_sampler_is_balanced():
    ds = toy()
    sampler = PairSampler(ds, batch_size=32, n_batches=20, seed=0)
    for x1, x2, same in sampler:
        assert same.sum() == 16 and len(same) == 32
        i, j = x1[:, 0, 0, 0].long(), x2[:, 0, 0, 0].long()  # toy images store their own index
        same_class = ds.targets[i] == ds.targets[j]
        assert torch.equal(same_class.float(), same)
        assert torch.all(i[same.bool()] != j[same.bool()])  # a same pair is two different drawings
    with pytest.raises(ValueError, match="even"):
        PairSampler(ds, batch_size=7)


def test_domain_batches():
    src = (torch.randn(50, 2), torch.randint(0, 2, (50,)))
    tgt = torch.randn(30, 2)
    steps = list(DomainBatches(src, tgt, batch_size=8, n_steps=20, seed=0))
    assert len(steps) == 20
    for xs, ys, xt in steps:
        assert xs.shape == (8, 2) and ys.shape == (8,) and xt.shape == (8, 2)
    # every target sample is visited before any repeats (a reshuffled pass)
    first_pass = torch.cat([xt for _, _, xt in steps[:3]])
    assert len(torch.unique(first_pass, dim=0)) == 24
    with pytest.raises(ValueError, match="same shape per sample"):
        DomainBatches(src, torch.randn(30, 3))
    with pytest.raises(ValueError, match="non-empty"):
        DomainBatches(src, torch.randn(0, 2))
