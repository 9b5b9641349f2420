"""The offline data worlds: structure, determinism, calibration, and bad input."""

import pytest
import torch

from tlearn.data import (
    ImageSet,
    glyphs,
    hand_digits,
    load,
    moons,
    multi_digits,
    render_points,
    syn_digits,
    textured,
)
from tlearn.data.calibration import (
    TOLERANCE,
    calibration_table,
    pixel_nn_accuracy,
    pixel_nn_calibration,
)
from tlearn.data.glyphs import MAX_STROKES, trajectory_to_strokes
from tlearn.samplers import EpisodeSampler


def test_glyphs_structure(small_glyphs):
    g = small_glyphs
    assert len(g) == 4 * 6 * 8 and g.n_classes == 24
    assert g.images.shape == (192, 1, 28, 28) and 0 <= g.images.min() and g.images.max() <= 1
    assert torch.equal(torch.bincount(g.targets), torch.full((24,), 8))
    assert torch.equal(g.groups, torch.arange(4).repeat_interleave(6))
    # every drawer draws every character once
    for c in range(24):
        assert sorted(g.drawers[g.targets == c].tolist()) == list(range(8))
    # strokes: 1..4, and trajectories carry exactly that many pen-up marks
    assert g.n_strokes.min() >= 1 and g.n_strokes.max() <= MAX_STROKES
    pen_ups = g.trajectories[:, :, 2].sum(1)
    assert torch.equal(pen_ups.long(), g.n_strokes[g.targets])
    assert torch.equal(g.lengths, g.n_strokes[g.targets] * 8)
    for i in (0, 50, 191):
        assert len(trajectory_to_strokes(g.trajectories[i], g.lengths[i])) == g.n_strokes[g.targets[i]]
        assert g.trajectories[i, g.lengths[i] :].abs().sum() == 0  # padding is zero
    # attributes: one row per character; the one-hot stroke count agrees with n_strokes
    assert g.attributes.shape == (24, len(g.attribute_names))
    onehot = g.attributes[:, :MAX_STROKES]
    assert torch.equal(onehot.argmax(1) + 1, g.n_strokes) and torch.all(onehot.sum(1) == 1)
    # every image has ink
    assert torch.all(g.images.flatten(1).sum(1) > 5)


def test_glyphs_deterministic_and_seed_dependent():
    a = glyphs("evaluation", n_alphabets=2, chars_per_alphabet=3, n_drawers=4, cache=False)
    b = glyphs("evaluation", n_alphabets=2, chars_per_alphabet=3, n_drawers=4, cache=False)
    c = glyphs("evaluation", n_alphabets=2, chars_per_alphabet=3, n_drawers=4, seed=1, cache=False)
    assert torch.equal(a.images, b.images) and torch.equal(a.trajectories, b.trajectories)
    assert not torch.equal(a.images, c.images)


def test_glyphs_cache_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))
    fresh = glyphs("background", n_alphabets=2, chars_per_alphabet=2, n_drawers=3)
    assert list(tmp_path.glob("v*-glyphs-*.pt"))
    loaded = glyphs("background", n_alphabets=2, chars_per_alphabet=2, n_drawers=3)
    assert type(loaded) is type(fresh)
    for name in ("images", "targets", "trajectories", "lengths", "attributes", "groups", "n_strokes"):
        assert torch.equal(getattr(fresh, name), getattr(loaded, name)), name
    assert loaded.classes == fresh.classes and loaded.alphabet_names == fresh.alphabet_names
    # a corrupt cache file is rebuilt, not trusted
    next(tmp_path.glob("v*-glyphs-*.pt")).write_bytes(b"not a tensor file")
    with pytest.warns(UserWarning, match="rebuilding"):
        again = glyphs("background", n_alphabets=2, chars_per_alphabet=2, n_drawers=3)
    assert torch.equal(again.images, fresh.images)


def test_background_and_evaluation_alphabets_differ():
    bg = glyphs("background", n_alphabets=3, chars_per_alphabet=2, n_drawers=2, cache=False)
    ev = glyphs("evaluation", n_alphabets=3, chars_per_alphabet=2, n_drawers=2, cache=False)
    assert not torch.equal(bg.images, ev.images)


def test_default_sizes_meet_the_omniglot_shape():
    # the defaults: >= 30 background and >= 20 evaluation alphabets, 600 characters, 20 drawers each
    bg = glyphs("background")
    assert len(bg.alphabet_names) >= 30 and bg.n_classes >= 600
    assert torch.all(torch.bincount(bg.targets) == 20)
    assert len(glyphs("evaluation").alphabet_names) >= 20


def test_glyphs_calibrated_to_omniglot(evaluation_glyphs):
    """Pixel 1-NN on the evaluation alphabets, Vinyals' protocol (classes across alphabets, 1,000 fixed
    episodes, 5 queries per class): all four protocols within 4 points of Omniglot's published figures."""
    rows = pixel_nn_calibration(evaluation_glyphs, n_episodes=1000, q_query=5, seed=0)
    assert [(r.n_way, r.k_shot) for r in rows] == [(5, 1), (5, 5), (20, 1), (20, 5)]
    assert [r.published for r in rows] == [0.417, 0.632, 0.267, 0.426]
    for r in rows:
        assert abs(r.gap) <= TOLERANCE, calibration_table(rows)
    assert "Omniglot" in calibration_table(rows)


def test_pixel_nn_against_brute_force(small_glyphs):
    sampler = EpisodeSampler(small_glyphs, 3, 2, 2, n_episodes=5, seed=1, fixed=True)
    X = small_glyphs.images.flatten(1)
    expected = []
    for _, s_idx, q_idx in sampler.indices():
        correct = 0
        for j, q in enumerate(q_idx.tolist()):
            dists = [float(((X[q] - X[s]) ** 2).sum()) for s in s_idx.tolist()]
            correct += (dists.index(min(dists)) // 2) == (j // 2)
        expected.append(correct / len(q_idx))
    assert pixel_nn_accuracy(small_glyphs.images, sampler) == pytest.approx(expected)
    within = EpisodeSampler(small_glyphs, 3, 1, 3, n_episodes=50, seed=0, fixed=True, within_groups=True)
    assert 0 < sum(pixel_nn_accuracy(small_glyphs.images, within)) / 50 < 1
    with pytest.raises(ValueError, match="n_episodes"):
        pixel_nn_calibration(small_glyphs, n_episodes=0)


def test_cache_module_imports_no_dataset_module():
    import ast
    import inspect

    from tlearn.data import cache

    imported = [n.module for n in ast.walk(ast.parse(inspect.getsource(cache))) if isinstance(n, ast.ImportFrom)]
    assert not any(m and ("glyphs" in m or "base" in m) for m in imported)


def test_render_points_draws_where_the_points_are():
    img = render_points([[(-0.5, 0.0), (0.5, 0.0)]], width=2.0)
    assert img.shape == (1, 28, 28)
    rows = img[0].sum(1)
    assert rows[13] + rows[14] > 0.8 * rows.sum()  # a horizontal line through the middle rows
    assert img[0, :5].sum() == 0 and img[0, -5:].sum() == 0
    with pytest.raises(ValueError, match="points"):
        render_points([])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "test"}, "split"),
        ({"n_alphabets": 0}, "n_alphabets"),
        ({"n_drawers": 2.5}, "n_drawers"),
        ({"image_size": 4}, "image_size"),
        ({"noise": -1.0}, "noise"),
    ],
)
def test_glyphs_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        glyphs(cache=False, **kwargs)


def test_unknown_alphabet_and_dataset_names(small_glyphs):
    with pytest.raises(ValueError, match="unknown alphabet 'Klingon'"):
        small_glyphs.characters_of("Klingon")
    assert len(small_glyphs.characters_of(small_glyphs.alphabet_names[1])) == 6
    with pytest.raises(ValueError, match="unknown dataset name 'imagenet'.*glyphs"):
        load("imagenet")


def test_syn_digits():
    d = syn_digits(200, seed=3)
    assert d.images.shape == (200, 1, 28, 28) and torch.equal(torch.bincount(d.targets), torch.full((10,), 20))
    assert torch.equal(d.images, syn_digits(200, seed=3).images)
    assert not torch.equal(d.images, syn_digits(200, seed=4).images)
    colour = syn_digits(50, color=True, clutter=0.5)
    assert colour.images.shape == (50, 3, 28, 28)
    assert d.images.flatten(1).sum(1).min() > 10  # every digit is visible
    with pytest.raises(ValueError, match="clutter"):
        syn_digits(10, clutter=2.0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        syn_digits(0)


def test_hand_digits_and_textured():
    h = hand_digits()
    assert h.images.shape == (1797, 1, 28, 28) and h.n_classes == 10
    assert h.images[:, :, :3].sum() == 0  # padded like MNIST: the digit sits in the middle
    t = textured(h.subset(range(20)), seed=0)
    assert t.images.shape == (20, 3, 28, 28) and torch.equal(t.targets, h.targets[:20])
    # MNIST-M blend |p - x|: where the digit is full ink (x = 1) the pixel is 1 - p, i.e. p = 1 - pixel
    assert torch.equal(t.images, textured(h.subset(range(20)), seed=0).images)
    grey = textured(h.subset(range(20)), seed=0, grey=True)  # the same blend, channels averaged
    assert grey.images.shape == (20, 1, 28, 28) and torch.allclose(grey.images, t.images.mean(1, keepdim=True))
    with pytest.raises(TypeError, match="ImageSet"):
        textured(torch.zeros(3, 1, 28, 28))


def test_texture_photos_are_the_19_skimage_photographs_kept_as_bytes():
    from tlearn.data import ImageSet
    from tlearn.data.digits import TEXTURE_PHOTOS, texture_photos

    photos = texture_photos()
    assert len(photos) == len(TEXTURE_PHOTOS) == 19 and all(p.dtype == torch.uint8 for p in photos)
    assert sorted(p.shape[0] for p in photos) == [1] * 11 + [3] * 8  # 11 grey, 8 in colour, as documented
    # on blank digits (x = 0) the blend |p - x| is the patch itself: grey photos give three equal channels
    blank = textured(ImageSet(torch.zeros(200, 1, 28, 28), torch.zeros(200, dtype=torch.long)), seed=0).images
    equal = (blank[:, 0] == blank[:, 1]).all(-1).all(-1) & (blank[:, 1] == blank[:, 2]).all(-1).all(-1)
    assert 0.4 < equal.float().mean() < 0.75 and blank.min() >= 0 and blank.max() <= 1  # about 11 in 19 grey


def test_multi_digits():
    m = multi_digits(60, seed=0)
    assert m.images.shape == (60, 1, 28, 56) and set(m.tasks) == {"left", "right"}
    img, labels = m[0]
    assert set(labels) == {"left", "right"}
    train, test = m.split(0.25, seed=0)
    assert len(train) + len(test) == 60 and len(test) == 15
    # the left half holds the left digit: compare with the digit rendered alone
    assert m.images[:, :, :, :28].sum() > 0 and m.images[:, :, :, 28:].sum() > 0
    with pytest.raises(ValueError, match="source"):
        multi_digits(10, source="mnist")


def test_moons_rotation_is_a_rotation():
    X0, y0 = moons(200, noise=0.05, rotation=0, seed=1)
    X1, y1 = moons(200, noise=0.05, rotation=90, seed=1)
    c = torch.tensor([0.5, 0.25])
    assert torch.equal(y0, y1)
    # rotating by 90 degrees maps (dx, dy) to (-dy, dx) about the centre
    assert torch.allclose(X1 - c, torch.stack([-(X0 - c)[:, 1], (X0 - c)[:, 0]], 1), atol=1e-5)


def test_imageset_selections():
    images = torch.rand(30, 1, 8, 8)
    targets = torch.arange(3).repeat(10)
    ds = ImageSet(images, targets, classes=["a", "b", "c"], groups=[0, 0, 1])
    picked, rest = ds.take_per_class(2, seed=0)
    assert torch.equal(torch.bincount(picked.targets), torch.tensor([2, 2, 2])) and len(rest) == 24
    train, test = ds.split(0.3, seed=0)
    assert torch.equal(torch.bincount(test.targets), torch.tensor([3, 3, 3]))
    assert (
        len(set(map(tuple, train.images.flatten(1).tolist())) & set(map(tuple, test.images.flatten(1).tolist()))) == 0
    )
    sel = ds.select_classes([2, 0])
    assert sel.classes == ["c", "a"] and set(sel.targets.tolist()) == {0, 1} and sel.groups.tolist() == [1, 0]
    assert torch.equal(sel.images[sel.targets == 0], images[targets == 2])
    assert ds.to_rgb().images.shape == (30, 3, 8, 8)
    with pytest.raises(ValueError, match="k=11"):
        ds.take_per_class(11)
    with pytest.raises(ValueError, match="integer class ids"):
        ImageSet(images, targets.float())
    with pytest.raises(ValueError, match="one label per image"):
        ImageSet(images, targets[:5])
