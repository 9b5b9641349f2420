"""Folders of images: decoded once into memory within a budget, read from disk above it, the same samples
either way; rotations as new classes as one tensor operation; episodes moved to a device."""

import numpy as np
import pytest
import torch
from PIL import Image

from tlearn.data import ImageSet
from tlearn.data.folders import (
    FolderImages,
    RotatedClasses,
    decoded_bytes,
    image_folder,
    in_memory,
    rotate_classes,
)
from tlearn.samplers import Episode, EpisodeSampler


def _write(root, classes=("a", "b", "c"), per_class=4, size=15):
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (size, size), dtype=np.uint8)).save(root / c / f"{i}.png")


def test_a_folder_that_fits_is_decoded_once_into_memory(tmp_path):
    _write(tmp_path)
    data = image_folder(tmp_path, image_size=12, progress=False)
    assert isinstance(data, ImageSet) and data.images.shape == (12, 1, 12, 12)
    assert data.classes == ["a", "b", "c"] and data.targets.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert 0 <= data.images.min() and data.images.max() <= 1


def test_a_folder_over_the_budget_stays_on_disk_and_gives_the_same_samples(tmp_path):
    _write(tmp_path)
    one_image = decoded_bytes(1, (1, 12, 12))
    lazy = image_folder(tmp_path, image_size=12, invert=True, memory_budget=11 * one_image)  # 12 images: over
    held = image_folder(tmp_path, image_size=12, invert=True, memory_budget=12 * one_image, progress=False)
    assert isinstance(lazy, FolderImages) and isinstance(held, ImageSet)
    assert lazy.classes == held.classes and torch.equal(lazy.targets, held.targets)
    for i in range(len(held)):
        image, label = lazy[i]
        assert torch.equal(image, held.images[i]) and label == held.targets[i].item()
    images, labels = lazy.fetch(torch.tensor([7, 0, 11]))  # the samplers' path: decoded by threads
    assert torch.equal(images, held.images[[7, 0, 11]]) and labels.tolist() == [1, 0, 2]
    a, b = (next(iter(EpisodeSampler(d, 3, 1, 2, n_episodes=1, seed=3))) for d in (lazy, held))
    assert torch.equal(a.support, b.support) and torch.equal(a.query, b.query)


def test_an_unreadable_file_is_named(tmp_path):
    _write(tmp_path)
    (tmp_path / "b" / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match=r"cannot read image file .*broken\.png"):
        image_folder(tmp_path, progress=False)
    lazy = image_folder(tmp_path, memory_budget=0)  # on disk: the error comes when the file is read
    broken = next(i for i, (path, _) in enumerate(lazy.samples) if path.endswith("broken.png"))
    with pytest.raises(ValueError, match=r"broken\.png"):
        lazy[broken]


def test_rotations_in_memory_equal_the_lazy_rotations_image_for_image(tmp_path):
    _write(tmp_path, per_class=3)
    lazy = image_folder(tmp_path, image_size=12, memory_budget=0)
    held = image_folder(tmp_path, image_size=12, progress=False)
    rotated_lazy, rotated = rotate_classes(lazy), rotate_classes(held)
    assert isinstance(rotated_lazy, RotatedClasses) and isinstance(rotated, ImageSet)
    assert rotated.classes == rotated_lazy.classes and rotated.classes[3] == "a@90"
    assert torch.equal(rotated.targets, rotated_lazy.targets) and rotated.n_classes == 12
    for i in range(len(rotated)):
        image, label = rotated_lazy[i]
        assert torch.equal(image, rotated.images[i]) and label == rotated.targets[i].item()
    images, _ = rotated_lazy.fetch(torch.arange(len(rotated)))
    assert torch.equal(images, rotated.images)


def test_labels_classes_and_groups_are_kept_in_memory_and_through_rotations():
    class Lazy(torch.utils.data.Dataset):  # e.g. Omniglot's folders: groups per class, alphabets named
        def __init__(self):
            self.images = None
            self._x = torch.rand(8, 1, 5, 5)
            self.targets = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
            self.classes = ["Latin/a", "Latin/b", "Greek/a", "Greek/b"]
            self.groups, self.group_names = torch.tensor([0, 0, 1, 1]), ["Latin", "Greek"]

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return self._x[i], int(self.targets[i])

    lazy = Lazy()
    held = in_memory(lazy, progress=False)
    assert torch.equal(held.images, lazy._x) and torch.equal(held.targets, lazy.targets)
    assert (
        held.classes == lazy.classes and held.groups.tolist() == [0, 0, 1, 1] and held.group_names == ["Latin", "Greek"]
    )
    rotated = rotate_classes(held, angles=(0, 180))
    assert rotated.groups.tolist() == [0, 0, 1, 1] * 2 and rotated.group_names == ["Latin", "Greek"]
    episode = next(iter(EpisodeSampler(rotated, 2, 1, 1, n_episodes=1, within_groups=True)))
    assert len(set(rotated.groups[episode.classes].tolist())) == 1  # one alphabet per episode


def test_load_data_omniglot_is_held_in_memory_with_its_alphabets(tmp_path, monkeypatch):
    from tlearn.data import folders, real

    for alphabet in ("Greek", "Latin"):
        for c in range(2):
            for d in range(3):
                path = tmp_path / "omniglot-py" / "images_background" / alphabet / f"character{c + 1:02d}" / f"{d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.full((105, 105), 200, dtype=np.uint8)).save(path)
    lazy = real.OmniglotFolders(tmp_path / "omniglot-py" / "images_background", image_size=28)
    monkeypatch.setattr(real, "load_real", lambda *a, **k: lazy)
    held = folders.load_data("omniglot", progress=False)
    assert isinstance(held, ImageSet) and len(held) == 12 and held.groups.tolist() == [0, 0, 1, 1]
    assert held.classes == lazy.classes and torch.equal(held.images[4], lazy[4][0])
    assert folders.load_data("omniglot", memory_budget=0) is lazy


def test_episode_to_takes_the_pinned_non_blocking_path_without_a_gpu():
    from tlearn.train import get_device, to_device

    episode = Episode(
        torch.rand(3, 1, 4, 4),
        torch.arange(3),
        torch.rand(6, 1, 4, 4),
        torch.arange(3).repeat(2),
        torch.tensor([4, 7, 9]),
        torch.arange(3),
        torch.arange(3, 9),
    )
    for device, non_blocking in (("cpu", True), ("cpu", None), (get_device("auto"), None)):
        moved = episode.to(device, non_blocking=non_blocking)  # pinning is skipped where CUDA is absent
        assert (
            torch.equal(moved.support.cpu(), episode.support) and moved.query.device.type == torch.device(device).type
        )
        assert torch.equal(moved.query_labels.cpu(), episode.query_labels) and moved.classes is episode.classes
    moved = to_device(episode, torch.device("cpu"), non_blocking=True)  # the training loop's call
    assert isinstance(moved, Episode) and torch.equal(moved.support, episode.support)


# --- the papers' recipe -----------------------------------------------------------------------------------------
def test_the_step_schedule_halves_the_rate_every_2000_steps():
    from tlearn.fewshot.training import _schedule

    m = _schedule("step", 5000)
    assert [m(t / 5000) for t in (0, 1999, 2000, 3999, 4000, 4999)] == [1, 1, 0.5, 0.5, 0.25, 0.25]


def test_the_command_line_takes_as_many_ways_as_the_folder_has_classes(tmp_path, capsys):
    from tlearn.fewshot.cli import _parser, main

    args = _parser().parse_args(["train", "--data", "glyphs"])
    assert (args.n_way, args.k_shot, args.q_query, args.lr, args.lr_schedule) == (60, 1, 5, 1e-3, "step")
    _write(tmp_path / "train", classes=tuple("abcdefg"), per_class=6, size=16)
    _write(tmp_path / "test", classes=tuple("uvwxyz"), per_class=6, size=16)
    assert (
        main(
            [
                "train",
                "--data",
                f"folder:{tmp_path / 'train'}",
                "--test",
                f"folder:{tmp_path / 'test'}",
                "--steps",
                "2",
                "--hidden",
                "4",
                "--image-size",
                "16",
                "--device",
                "cpu",
                "--eval-way",
                "3",
                "--eval-shot",
                "1",
                "--eval-query",
                "2",
                "--episodes",
                "2",
                "--out",
                str(tmp_path / "m.pt"),
            ]
        )
        == 0
    )
    assert "the training data has 7, so episodes are 7-way" in capsys.readouterr().out
