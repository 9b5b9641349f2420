"""Few-shot learning: models against direct formulas, evaluation against a brute-force loop, the protocol's
interval, determinism, save/load, data helpers, the command line, and one test per bad input."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tlearn import fewshot as fs
from tlearn.data import ImageSet
from tlearn.samplers import EpisodeSampler, PairSampler


def _episode(n_way=4, shots=(1, 3, 2, 2), n_query=7, dim=5, seed=0):
    """Embeddings of an episode with unequal shots and shuffled support order."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.full((k,), c) for c, k in enumerate(shots)])
    labels = labels[torch.randperm(len(labels), generator=g)]
    support = torch.randn(len(labels), dim, generator=g)
    query = torch.randn(n_query, dim, generator=g)
    return support, labels, query


def _tiny_set(n_classes=8, per_class=12, size=28, seed=0, groups=True):
    """Images whose class is a bright square at a class-specific place, plus noise."""
    g = torch.Generator().manual_seed(seed)
    images = 0.3 * torch.rand(n_classes * per_class, 1, size, size, generator=g)
    targets = torch.arange(n_classes).repeat_interleave(per_class)
    for c in range(n_classes):
        r, col = divmod(c, 4)
        images[targets == c, :, 2 + 6 * r : 8 + 6 * r, 2 + 6 * col : 8 + 6 * col] += 0.7
    return ImageSet(images.clamp(0, 1), targets, groups=torch.arange(n_classes) // 4 if groups else None)


# --- models against their definitions --------------------------------------------------------------------
def test_prototypical_logits_are_negative_squared_distances_to_class_means():
    support, labels, query = _episode()
    model = fs.PrototypicalNet(nn.Identity())
    logits = model(support, labels, query)
    expected = torch.empty(len(query), 4)
    for k in range(4):
        prototype = support[labels == k].mean(0)
        for i, q in enumerate(query):
            expected[i, k] = -((q - prototype) ** 2).sum()
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


def test_cosine_prototypical_logits_are_scaled_cosines_to_class_means():
    support, labels, query = _episode()
    model = fs.PrototypicalNet(nn.Identity(), distance="cosine", scale=7.0)
    logits = model(support, labels, query)
    for k in range(4):
        prototype = support[labels == k].mean(0)
        for i, q in enumerate(query):
            expected = 7.0 * (q @ prototype) / (q.norm() * prototype.norm())
            assert logits[i, k].item() == pytest.approx(expected.item(), abs=1e-5)


@pytest.mark.parametrize("fce", [False, True])
def test_matching_attention_rows_sum_to_one_and_logits_are_log_attention_sums(fce):
    torch.manual_seed(0)
    support, labels, query = _episode()
    model = fs.MatchingNet(nn.Identity(), fce=fce, embedding_dim=5).eval()
    attention = model.attention(support, query)
    assert attention.shape == (len(query), len(support))
    assert bool((attention >= 0).all())
    torch.testing.assert_close(attention.sum(1), torch.ones(len(query)))
    logits = model(support, labels, query)
    for k in range(4):
        expected = torch.log(attention[:, labels == k].sum(1))
        torch.testing.assert_close(logits[:, k], expected, rtol=1e-5, atol=1e-5)


def test_matching_attention_without_fce_is_softmax_of_scaled_cosines():
    support, labels, query = _episode()
    model = fs.MatchingNet(nn.Identity(), scale=3.0)
    cos = torch.tensor([[float(q @ s / (q.norm() * s.norm())) for s in support] for q in query])
    torch.testing.assert_close(model.attention(support, query), torch.softmax(3.0 * cos, dim=1))


def test_siamese_pair_score_is_bias_minus_weighted_l1_of_normalised_embeddings():
    torch.manual_seed(0)
    model = fs.SiameseNet(nn.Identity(), embedding_dim=5)
    with torch.no_grad():
        model.l1_weight.copy_(torch.randn(5))
        model.bias.fill_(0.7)
    x1, x2 = torch.randn(6, 5), torch.randn(6, 5)
    z1, z2 = x1 / x1.norm(dim=1, keepdim=True), x2 / x2.norm(dim=1, keepdim=True)
    alpha = torch.log1p(torch.exp(model.l1_weight.detach()))
    expected = 0.7 - ((z1 - z2).abs() * alpha).sum(1)
    torch.testing.assert_close(model.pair_scores(model.embed(x1), model.embed(x2)), expected)
    # all_pair_scores (computed with cdist on rescaled embeddings) agrees with scoring each pair directly
    every = model.all_pair_scores(model.embed(x1), model.embed(x2))
    direct = torch.stack(
        [model.pair_scores(model.embed(x1[i : i + 1]).expand(6, -1), model.embed(x2)) for i in range(6)]
    )
    torch.testing.assert_close(every, direct, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("loss", ["bce", "contrastive"])
def test_siamese_episode_logit_of_a_class_is_its_most_similar_support_example(loss):
    support, labels, query = _episode()
    model = fs.SiameseNet(nn.Identity(), loss=loss, embedding_dim=5)
    logits = model(support, labels, query)
    zs, zq = model.embed(support), model.embed(query)
    for i in range(len(query)):
        for k in range(4):
            scores = [
                model.pair_scores(zq[i : i + 1], zs[j : j + 1]).item() for j in torch.nonzero(labels == k).flatten()
            ]
            assert logits[i, k].item() == pytest.approx(max(scores), abs=1e-5)


def test_contrastive_loss_matches_its_formula():
    d = torch.tensor([0.0, 0.3, 0.9, 1.4, 0.2])
    same = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0])
    expected = np.mean([0.0, 0.7**2, 0.81, 0.0, 0.8**2])
    assert fs.contrastive_loss(d, same, margin=1.0).item() == pytest.approx(expected)


def _image_episode(n_way=3, k_shot=2, n_query=5, seed=0):
    """A batch-ready episode of tiny images, class-major, with its query labels."""
    g = torch.Generator().manual_seed(seed)
    support = torch.rand(n_way * k_shot, 1, 28, 28, generator=g)
    query = torch.rand(n_way * n_query, 1, 28, 28, generator=g)
    from tlearn.samplers import Episode

    labels = torch.arange(n_way)
    return Episode(
        support,
        labels.repeat_interleave(k_shot),
        query,
        labels.repeat_interleave(n_query),
        labels,
        torch.arange(n_way * k_shot),
        torch.arange(n_way * n_query),
    )


def test_prototypical_training_loss_is_cross_entropy_of_negative_squared_distances():
    """Snell et al.'s J = -log softmax(-||f(x) - c_k||^2)_y, written directly with torch.cdist."""
    model = fs.make_model("protonet", hidden=8, seed=0)
    episode = _image_episode()
    loss, logs = fs.EpisodeLoss(model).loss(episode, 0.0)
    z_s, z_q = model.embed(torch.cat([episode.support, episode.query])).split(
        [len(episode.support), len(episode.query)]
    )
    protos = torch.stack([z_s[episode.support_labels == k].mean(0) for k in range(3)])
    expected = F.cross_entropy(-(torch.cdist(z_q, protos) ** 2), episode.query_labels)
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    assert 0 <= float(logs["train_acc"]) <= 1


def test_matching_training_loss_is_minus_log_of_the_attention_on_the_true_class():
    """Vinyals et al.: P(y | x, S) = sum_i a(x, x_i) [y_i = y], a = softmax_i(s cos(f(x), g(x_i)))."""
    model = fs.make_model("matching", hidden=8, seed=0, scale=4.0)
    episode = _image_episode()
    loss, _ = fs.EpisodeLoss(model).loss(episode, 0.0)
    z = model.embed(torch.cat([episode.support, episode.query]))
    z_s, z_q = z[:6], z[6:]
    attention = torch.softmax(4.0 * F.cosine_similarity(z_q[:, None], z_s[None], dim=-1), dim=1)
    p_true = torch.stack([attention[i, episode.support_labels == y].sum() for i, y in enumerate(episode.query_labels)])
    torch.testing.assert_close(loss, -p_true.log().mean(), rtol=1e-4, atol=1e-5)


def test_siamese_pair_loss_is_binary_cross_entropy_of_the_sigmoid_score():
    model = fs.make_model("siamese", hidden=8, seed=0)
    g = torch.Generator().manual_seed(1)
    x1, x2 = torch.rand(6, 1, 28, 28, generator=g), torch.rand(6, 1, 28, 28, generator=g)
    same = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    loss, logs = fs.PairLoss(model).loss((x1, x2, same), 0.0)
    z1, z2 = F.normalize(model.encoder(torch.cat([x1, x2])).flatten(1), dim=1).split(6)  # one batch: BN statistics
    p = torch.sigmoid(model.bias - (F.softplus(model.l1_weight) * (z1 - z2).abs()).sum(1))
    expected = -(same * p.log() + (1 - same) * (1 - p).log()).mean()
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    assert float(logs["train_acc"]) == ((p > 0.5).float() == same).float().mean().item()


def test_pixel_nearest_neighbour_is_brute_force_one_nn():
    support, labels, query = _episode(dim=12)
    support, query = support.view(-1, 1, 3, 4), query.view(-1, 1, 3, 4)
    predictions = fs.PixelNearestNeighbour()(support, labels, query).argmax(1)
    for i, q in enumerate(query):
        distances = [((q - s) ** 2).sum().item() for s in support]
        assert predictions[i].item() == labels[int(np.argmin(distances))].item()


@pytest.mark.parametrize("method", ["protonet", "matching", "siamese", "pixel-nn"])
def test_a_batch_of_episodes_scores_like_each_episode_alone(method):
    """Evaluation scores hundreds of episodes in one call: it must equal scoring them one by one."""
    torch.manual_seed(0)
    options = {"matching": {"fce": True, "embedding_dim": 5}, "siamese": {"embedding_dim": 5}}.get(method, {})
    model = fs.PixelNearestNeighbour() if method == "pixel-nn" else fs.METHODS[method](nn.Identity(), **options)
    model.eval()
    labels = torch.arange(3).repeat_interleave(2)
    support, query = torch.randn(4, 6, 5), torch.randn(4, 9, 5)
    batched = model.logits_from_embeddings(support, labels, query)
    for e in range(4):
        torch.testing.assert_close(
            batched[e], model.logits_from_embeddings(support[e], labels, query[e]), rtol=1e-5, atol=1e-5
        )


# --- the pair sampler the Siamese network trains on ---------------------------------------------------------
def test_pair_sampler_is_balanced_and_same_means_same_class():
    n = 60
    labels = torch.arange(n) % 7
    # each "image" carries its own index, so the label of every drawn image can be read back
    data = ImageSet(torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1), labels)
    for x1, x2, same in PairSampler(data, batch_size=32, n_batches=20, seed=3):
        assert same.sum().item() == 16 and len(same) == 32
        y1, y2 = labels[x1.flatten().long()], labels[x2.flatten().long()]
        assert torch.equal((y1 == y2).float(), same)
        assert bool((x1 != x2).all())  # a same-class pair is two different drawings


# --- the protocol: interval, evaluation, determinism ---------------------------------------------------------
def test_confidence_interval_is_196_sample_std_over_root_n():
    from scipy.stats import norm

    acc = np.random.default_rng(0).uniform(0.5, 1.0, size=600)
    mean, half = fs.confidence_interval_95(torch.tensor(acc))
    z = norm.ppf(0.975)  # 1.95996...
    assert mean == pytest.approx(acc.mean())
    assert half == pytest.approx(z * acc.std(ddof=1) / math.sqrt(600))
    assert fs.confidence_interval_95([0.0, 1.0]) == pytest.approx((0.5, z * math.sqrt(0.5) / math.sqrt(2)))


def test_an_episode_result_is_an_estimate_with_its_episode_sizes():
    from tlearn.results import Estimate

    result = fs.evaluate_episodes(
        fs.PixelNearestNeighbour(), _tiny_set(), n_way=3, k_shot=2, q_query=4, n_episodes=10, seed=1
    )
    assert isinstance(result, Estimate) and result.n == result.n_episodes == 10
    assert (result.n_way, result.k_shot, result.q_query, result.within_groups) == (3, 2, 4, False)
    assert (result.low, result.high) == pytest.approx((result.mean - result.ci95, result.mean + result.ci95))
    assert str(result) == f"{100 * result.mean:.1f} ± {100 * result.ci95:.1f} %"
    assert "test episodes only" in result.protocol


@pytest.mark.parametrize("method", ["protonet", "matching", "siamese", "pixel-nn"])
def test_evaluate_episodes_equals_a_loop_over_the_fixed_episodes(method):
    data = _tiny_set()
    model = fs.make_model(method, hidden=8) if method != "pixel-nn" else fs.make_model(method)
    result = fs.evaluate_episodes(model, data, n_way=3, k_shot=2, q_query=4, n_episodes=25, seed=5, device="cpu")
    expected = []
    model.eval()
    with torch.no_grad():
        for episode in EpisodeSampler(data, 3, 2, 4, n_episodes=25, seed=5, fixed=True):
            logits = model(episode.support, episode.support_labels, episode.query)
            expected.append((logits.argmax(1) == episode.query_labels).double().mean().item())
    torch.testing.assert_close(result.accuracies, torch.tensor(expected, dtype=torch.float64))
    assert (result.mean, result.ci95) == pytest.approx(fs.confidence_interval_95(expected))
    assert "3-way 2-shot" in result.protocol and "25 fixed episodes" in result.protocol


def test_within_group_episodes_take_their_classes_from_one_group():
    data = _tiny_set()
    pixel = fs.PixelNearestNeighbour()
    within = fs.evaluate_episodes(pixel, data, n_way=4, k_shot=1, q_query=3, n_episodes=10, within_groups=True)
    assert within.within_groups and "within one alphabet" in within.protocol
    for classes, _, _ in EpisodeSampler(data, 4, 1, 3, n_episodes=10, fixed=True, within_groups=True).indices():
        assert len(torch.unique(data.groups[classes])) == 1


def test_one_seed_gives_one_accuracy_and_the_training_is_reproducible():
    data = _tiny_set()
    results = []
    for _ in range(2):
        model = fs.make_model("protonet", hidden=8, seed=11)
        history = fs.train(model, data, steps=6, n_way=4, k_shot=1, q_query=3, seed=11, device="cpu", progress=False)
        results.append(
            (
                history["loss"],
                fs.evaluate_episodes(model, data, n_way=3, n_episodes=20, q_query=4, seed=2, device="cpu").mean,
            )
        )
    assert results[0] == results[1]


def test_distance_override_scores_a_euclidean_model_with_cosine():
    data = _tiny_set()
    model = fs.make_model("protonet", hidden=8)
    cosine = fs.evaluate_episodes(model, data, n_way=3, q_query=4, n_episodes=15, distance="cosine")
    assert model.distance == "euclidean"  # restored
    model.distance = "cosine"
    assert fs.evaluate_episodes(model, data, n_way=3, q_query=4, n_episodes=15).mean == cosine.mean


@pytest.mark.parametrize("method", ["protonet", "siamese"])
def test_training_runs_through_the_one_loop_and_leaves_the_model_in_eval_mode(method, monkeypatch):
    from tlearn.fewshot import training

    calls = []
    real_fit = training.fit
    monkeypatch.setattr(training, "fit", lambda *a, **k: calls.append(type(a[0]).__name__) or real_fit(*a, **k))
    model = fs.make_model(method, hidden=8)
    history = fs.train(model, _tiny_set(), steps=3, n_way=3, k_shot=1, q_query=2, device="cpu", progress=False)
    assert calls == ["PairLoss" if method == "siamese" else "EpisodeLoss"]
    assert not model.training and history.steps == 3 and isinstance(history.seconds, float)
    assert len(history["loss"]) == len(history["train_acc"]) == 3


def test_the_cosine_schedule_anneals_the_rate_to_zero():
    from tlearn.fewshot.training import cosine

    assert cosine(0.0) == 1.0 and cosine(0.5) == pytest.approx(0.5) and cosine(1.0) == pytest.approx(0.0)


@pytest.mark.parametrize("method", ["protonet", "siamese"])
def test_training_lowers_the_loss(method):
    data = _tiny_set()
    model = fs.make_model(method, hidden=8)
    history = fs.train(
        model, data, steps=40, n_way=4, k_shot=1, q_query=3, lr=3e-3, seed=0, device="cpu", progress=False
    )
    assert len(history["loss"]) == 40
    assert np.mean(history["loss"][-10:]) < np.mean(history["loss"][:10])


def test_pixel_nearest_neighbour_has_nothing_to_train():
    history = fs.train(fs.PixelNearestNeighbour(), _tiny_set(), steps=5)
    assert history["loss"] == [] and history["train_acc"] == [] and history.seconds == 0.0


def test_classify_returns_predictions_and_probabilities():
    data = _tiny_set()
    episode = next(iter(EpisodeSampler(data, 3, 1, 2, n_episodes=1, seed=0)))
    predictions, probs = fs.classify(
        fs.make_model("matching", hidden=8), episode.support, episode.support_labels, episode.query, device="cpu"
    )
    assert predictions.shape == (6,) and probs.shape == (6, 3)
    torch.testing.assert_close(probs.sum(1), torch.ones(6))
    assert torch.equal(predictions, probs.argmax(1))


# --- saving and loading ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method,options",
    [
        ("protonet", {"distance": "cosine"}),
        ("matching", {"fce": True}),
        ("siamese", {"loss": "contrastive"}),
        ("pixel-nn", {}),
    ],
)
def test_save_and_load_give_back_the_same_model(tmp_path, method, options):
    data = _tiny_set()
    model = fs.make_model(method, **({"hidden": 8} if method != "pixel-nn" else {}), **options)
    if method != "pixel-nn":
        fs.train(model, data, steps=2, n_way=3, k_shot=1, q_query=2, device="cpu", progress=False)
    path = fs.save_model(model, tmp_path / "m.pt", accuracy=0.5)
    loaded = fs.load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config and loaded.info == {"accuracy": 0.5}
    episode = next(iter(EpisodeSampler(data, 3, 1, 2, n_episodes=1, seed=1)))
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(episode.support, episode.support_labels, episode.query),
            model(episode.support, episode.support_labels, episode.query),
        )


def test_load_model_with_a_custom_encoder(tmp_path):
    model = fs.PrototypicalNet(nn.Sequential(nn.Flatten(), nn.Linear(784, 4)))
    fs.save_model(model, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="custom encoder"):
        fs.load_model(tmp_path / "m.pt")
    loaded = fs.load_model(tmp_path / "m.pt", encoder=nn.Sequential(nn.Flatten(), nn.Linear(784, 4)))
    torch.testing.assert_close(loaded.encoder[1].weight, model.encoder[1].weight)


def test_load_model_rejects_a_corrupt_file(tmp_path):
    path = tmp_path / "m.pt"
    fs.save_model(fs.make_model("protonet", hidden=8), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a readable model file"):
        fs.load_model(path)


def test_load_model_rejects_tampered_weights(tmp_path):
    path = fs.save_model(fs.make_model("protonet", hidden=8), tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["encoder.blocks.0.0.weight"] += 1
    torch.save(payload, path)
    with pytest.raises(ValueError, match="checksum"):
        fs.load_model(path)


def test_load_model_rejects_a_file_of_another_kind(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a tlearn few-shot model"):
        fs.load_model(tmp_path / "other.pt")


def test_load_model_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no model file"):
        fs.load_model(tmp_path / "absent.pt")


def test_a_model_file_saved_before_the_package_split_still_loads():
    """tests/data/protonet-v0.pt was written by the single-module tlearn.fewshot (format 1), with the logits
    it gave on inputs drawn from torch.Generator().manual_seed(0) (recorded in protonet-v0.json)."""
    import json
    from pathlib import Path

    here = Path(__file__).resolve().parent / "data"
    recorded = json.loads((here / "protonet-v0.json").read_text())
    g = torch.Generator().manual_seed(0)
    images = 0.3 * torch.rand(8 * 6, 1, 28, 28, generator=g)
    targets = torch.arange(8).repeat_interleave(6)
    for c in range(8):
        r, col = divmod(c, 4)
        images[targets == c, :, 2 + 6 * r : 8 + 6 * r, 2 + 6 * col : 8 + 6 * col] += 0.7
    model = fs.load_model(here / "protonet-v0.pt")
    assert isinstance(model, fs.PrototypicalNet) and not model.training and model.config["encoder"]["hidden"] == 8
    with torch.no_grad():
        logits = model(images[recorded["support_index"]], torch.tensor([0, 1, 2]), images[recorded["query_index"]])
    torch.testing.assert_close(logits, torch.tensor(recorded["logits"]), rtol=1e-5, atol=1e-7)


def test_load_model_rejects_an_encoder_that_does_not_fit(tmp_path):
    path = fs.save_model(fs.make_model("protonet", hidden=8), tmp_path / "m.pt")
    with pytest.raises(ValueError, match="do not fit"):
        fs.load_model(path, encoder=fs.make_model("protonet", hidden=16).encoder)


# --- data helpers --------------------------------------------------------------------------------------------
def test_rotate_classes_makes_each_rotation_a_new_class():
    data = _tiny_set(n_classes=4, per_class=3)
    rotated = fs.rotate_classes(data)
    assert rotated.n_classes == 16 and len(rotated) == 4 * len(data)
    for r, angle in enumerate((0, 90, 180, 270)):
        i = r * len(data) + 5
        assert torch.equal(rotated.images[i], torch.rot90(data.images[5], angle // 90, dims=(-2, -1)))
        assert rotated.targets[i].item() == data.targets[5].item() + 4 * r
    assert torch.equal(rotated.groups, data.groups.repeat(4))


def test_rotate_classes_wraps_a_lazy_dataset_the_same_way():
    data = _tiny_set(n_classes=4, per_class=3)
    lazy = torch.utils.data.TensorDataset(data.images, data.targets)
    lazy.targets = data.targets
    wrapped, in_memory = fs.rotate_classes(lazy, angles=(0, 180)), fs.rotate_classes(data, angles=(0, 180))
    assert len(wrapped) == len(in_memory)
    for i in (0, 7, len(data) + 3):
        image, label = wrapped[i]
        assert torch.equal(image, in_memory.images[i]) and label == in_memory.targets[i].item()


def _write_folder(root, classes=("a", "b", "c"), per_class=4, size=12):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (size, size), dtype=np.uint8)).save(root / c / f"{i}.png")


def test_image_folder_reads_one_class_per_subfolder(tmp_path):
    _write_folder(tmp_path)
    data = fs.image_folder(tmp_path, image_size=20)
    image, label = data[5]
    assert image.shape == (1, 20, 20) and 0 <= image.min() and image.max() <= 1 and label == 1
    assert data.classes == ["a", "b", "c"]


def test_load_data_picks_background_and_evaluation_subfolders(tmp_path):
    _write_folder(tmp_path / "background", classes=("a", "b"))
    _write_folder(tmp_path / "evaluation", classes=("x", "y", "z"))
    assert fs.has_splits(f"folder:{tmp_path}")
    assert fs.load_data(f"folder:{tmp_path}", "evaluation").classes == ["x", "y", "z"]
    assert fs.load_data(f"folder:{tmp_path}", "background").classes == ["a", "b"]


def test_image_folder_rejects_a_folder_of_loose_images(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "x.png")
    with pytest.raises(ValueError, match="no class subfolders.*x.png"):
        fs.image_folder(tmp_path)


def test_image_folder_rejects_a_class_folder_without_images(tmp_path):
    _write_folder(tmp_path, classes=("a",))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not one-class-per-subfolder.*empty"):
        fs.image_folder(tmp_path)


def test_image_folder_rejects_a_path_that_is_not_a_folder(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        fs.image_folder(tmp_path / "nothing")


def test_load_data_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'.*glyphs"):
        fs.load_data("imagenet")


def test_load_data_rejects_an_unknown_split():
    with pytest.raises(ValueError, match="split must be"):
        fs.load_data("glyphs", split="test")


def test_the_folder_path_trains_and_evaluates_through_the_same_sampler(tmp_path):
    _write_folder(tmp_path, classes=tuple("abcdef"), per_class=6, size=16)
    data = fs.image_folder(tmp_path, image_size=16)
    model = fs.make_model("protonet", hidden=4, image_size=16)
    fs.train(model, data, steps=2, n_way=3, k_shot=1, q_query=2, device="cpu", progress=False)
    result = fs.evaluate_episodes(model, data, n_way=3, k_shot=1, q_query=2, n_episodes=5, device="cpu")
    assert 0 <= result.mean <= 1 and len(result.accuracies) == 5


# --- the command line --------------------------------------------------------------------------------------
def test_command_line_trains_evaluates_saves_and_reloads(tmp_path, capsys):
    from tlearn.fewshot.cli import main

    _write_folder(tmp_path / "train", classes=tuple("abcdef"), per_class=6, size=16)
    _write_folder(tmp_path / "test", classes=tuple("uvwxyz"), per_class=6, size=16)
    out = tmp_path / "model.pt"
    common = [
        "--image-size",
        "16",
        "--device",
        "cpu",
        "--eval-way",
        "3",
        "--eval-shot",
        "1",
        "2",
        "--eval-query",
        "2",
        "--episodes",
        "4",
    ]
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
                "--n-way",
                "3",
                "--q-query",
                "2",
                "--hidden",
                "4",
                "--out",
                str(out),
                "--rotations",
                *common,
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "3-way 1-shot" in printed and "3-way 2-shot" in printed and "saved to" in printed
    assert fs.load_model(out).method == "protonet"
    assert main(["evaluate", "--model", str(out), "--data", f"folder:{tmp_path / 'test'}", "--baseline", *common]) == 0
    assert "pixel-nn" in capsys.readouterr().out


def test_command_line_names_a_folder_that_is_not_one_class_per_subfolder(tmp_path, capsys):
    from PIL import Image

    from tlearn.fewshot.cli import main

    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "loose.png")
    assert main(["train", "--data", f"folder:{tmp_path}", "--test", f"folder:{tmp_path}", "--device", "cpu"]) == 2
    assert "one subfolder per class" in capsys.readouterr().err


def test_command_line_needs_test_classes_for_a_plain_folder(tmp_path, capsys):
    from tlearn.fewshot.cli import main

    _write_folder(tmp_path)
    assert main(["train", "--data", f"folder:{tmp_path}", "--device", "cpu"]) == 2
    assert "--test is needed" in capsys.readouterr().err


def test_python_dash_m_runs_the_command_line():
    import subprocess
    import sys

    # -W error: runpy warns (RuntimeWarning) when the module it runs was already imported, i.e. imported twice
    out = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tlearn.fewshot", "--help"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and "evaluate" in out.stdout and "train" in out.stdout, out.stderr


# --- bad input: one table over the public entry points ------------------------------------------------------
def _proto(*episode):
    return fs.PrototypicalNet(nn.Identity())(*episode)


_EMPTY = ImageSet(torch.zeros(0, 1, 28, 28), torch.zeros(0, dtype=torch.long))

BAD_INPUT = [  # (id, call, exception, message)
    (
        "support-labels-length",
        lambda: _proto(torch.randn(4, 3), torch.tensor([0, 1, 1]), torch.randn(2, 3)),
        ValueError,
        "one label per support example",
    ),
    (
        "support-labels-cover-ways",
        lambda: _proto(torch.randn(3, 3), torch.tensor([0, 2, 2]), torch.randn(2, 3)),
        ValueError,
        "every class id 0..2",
    ),
    (
        "support-labels-integers",
        lambda: _proto(torch.randn(2, 3), torch.tensor([0.0, 1.0]), torch.randn(2, 3)),
        ValueError,
        "integer tensor",
    ),
    (
        "support-labels-negative",
        lambda: _proto(torch.randn(2, 3), torch.tensor([-1, 0]), torch.randn(2, 3)),
        ValueError,
        "minimum of -1",
    ),
    (
        "query-shape",
        lambda: _proto(torch.randn(2, 3), torch.tensor([0, 1]), torch.randn(2, 4)),
        ValueError,
        "same kind of input",
    ),
    (
        "empty-query",
        lambda: _proto(torch.randn(2, 3), torch.tensor([0, 1]), torch.randn(0, 3)),
        ValueError,
        "needs support and query",
    ),
    (
        "query-not-tensor",
        lambda: _proto(torch.randn(2, 3), torch.tensor([0, 1]), [[1.0, 2.0, 3.0]]),
        TypeError,
        "query must be a torch.Tensor",
    ),
    ("encoder-not-module", lambda: fs.PrototypicalNet(lambda x: x), TypeError, "encoder must be a torch.nn.Module"),
    ("distance", lambda: fs.PrototypicalNet(nn.Identity(), distance="manhattan"), ValueError, "distance must be"),
    ("scale", lambda: fs.PrototypicalNet(nn.Identity(), scale=0.0), ValueError, "scale must be > 0"),
    ("matching-scale", lambda: fs.MatchingNet(nn.Identity(), scale=-1.0), ValueError, "scale must be > 0"),
    ("fce-embedding-size", lambda: fs.MatchingNet(nn.Identity(), fce=True), ValueError, "embedding_dim"),
    (
        "fce-steps",
        lambda: fs.MatchingNet(nn.Identity(), fce=True, embedding_dim=4, fce_steps=0),
        ValueError,
        "fce_steps must be a positive integer",
    ),
    ("siamese-loss", lambda: fs.SiameseNet(nn.Identity(), loss="hinge", embedding_dim=3), ValueError, "loss must be"),
    ("siamese-margin", lambda: fs.SiameseNet(nn.Identity(), margin=0.0, embedding_dim=3), ValueError, "margin"),
    ("siamese-embedding-size", lambda: fs.SiameseNet(nn.Identity()), ValueError, "embedding_dim"),
    ("method", lambda: fs.make_model("relationnet"), ValueError, "method must be one of"),
    ("hidden", lambda: fs.make_model("protonet", hidden=0), ValueError, "hidden must be a positive integer"),
    ("pixel-options", lambda: fs.make_model("pixel-nn", distance="cosine"), ValueError, "takes no options"),
    (
        "train-k-shot",
        lambda: fs.train(fs.make_model("protonet", hidden=8), _tiny_set(), steps=2, k_shot=0),
        ValueError,
        "k_shot must be a positive integer",
    ),
    (
        "train-steps",
        lambda: fs.train(fs.PixelNearestNeighbour(), _tiny_set(), steps=0),
        ValueError,
        "steps must be a positive integer",
    ),
    ("train-model", lambda: fs.train(nn.Linear(2, 2), _tiny_set()), TypeError, "FewShotModel"),
    (
        "lr",
        lambda: fs.train(fs.make_model("protonet", hidden=8), _tiny_set(), steps=1, n_way=3, lr=0.0, progress=False),
        ValueError,
        "lr must be > 0",
    ),
    (
        "lr-schedule",
        lambda: fs.train_episodes(
            fs.make_model("protonet", hidden=8),
            _tiny_set(),
            n_way=3,
            n_episodes=1,
            lr_schedule="linear",
            progress=False,
        ),
        ValueError,
        "lr_schedule must be",
    ),
    (
        "pairs-need-siamese",
        lambda: fs.train_pairs(fs.make_model("protonet", hidden=8), _tiny_set()),
        TypeError,
        "SiameseNet",
    ),
    (
        "pairs-batch-size",
        lambda: fs.train_pairs(fs.make_model("siamese", hidden=8), _tiny_set(), batch_size=0),
        ValueError,
        "batch_size must be a positive integer",
    ),
    (
        "interval-two-episodes",
        lambda: fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(), n_way=3, n_episodes=1),
        ValueError,
        "n_episodes must be >= 2",
    ),
    (
        "evaluate-q-query",
        lambda: fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(), q_query=0),
        ValueError,
        "q_query must be a positive integer",
    ),
    (
        "embeddings-fit",
        lambda: fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(), n_way=3, embeddings=torch.zeros(5, 4)),
        ValueError,
        "embeddings must be",
    ),
    (
        "distance-override-model",
        lambda: fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(), n_way=3, n_episodes=4, distance="cosine"),
        ValueError,
        "only be overridden for a PrototypicalNet",
    ),
    (
        "distance-override-name",
        lambda: fs.evaluate_episodes(
            fs.make_model("protonet", hidden=8), _tiny_set(), n_way=3, n_episodes=4, distance="l1"
        ),
        ValueError,
        "distance must be",
    ),
    (
        "empty-dataset-embed",
        lambda: fs.embed_dataset(fs.PixelNearestNeighbour(), _EMPTY),
        ValueError,
        "dataset is empty",
    ),
    (
        "empty-dataset-evaluate",
        lambda: fs.evaluate_episodes(fs.PixelNearestNeighbour(), _EMPTY, n_way=3),
        ValueError,
        "dataset is empty",
    ),
    (
        "embed-batch-size",
        lambda: fs.embed_dataset(fs.PixelNearestNeighbour(), _tiny_set(), batch_size=0),
        ValueError,
        "batch_size must be a positive integer",
    ),
    ("interval-nan", lambda: fs.confidence_interval_95([0.5, float("nan"), 0.7]), ValueError, "NaN"),
    ("interval-one-value", lambda: fs.confidence_interval_95([0.5]), ValueError, "at least 2"),
    ("rotation-angles", lambda: fs.rotate_classes(_tiny_set(), angles=(0, 45)), ValueError, "multiples of 90"),
    ("rotation-repeated", lambda: fs.rotate_classes(_tiny_set(), angles=(0, 360)), ValueError, "distinct"),
    ("rotation-empty", lambda: fs.rotate_classes(_EMPTY), ValueError, "dataset is empty"),
    (
        "drawing-width",
        lambda: fs.classify_drawing(
            fs.PixelNearestNeighbour(),
            "[[(0, 0), (0.5, 0.5)]]",
            torch.zeros(2, 1, 28, 28),
            torch.tensor([0, 1]),
            width=0.0,
        ),
        ValueError,
        "width must be > 0",
    ),
    (
        "drawing-support",
        lambda: fs.classify_drawing(
            fs.PixelNearestNeighbour(), "[[(0, 0), (0.5, 0.5)]]", torch.zeros(2, 784), torch.tensor([0, 1])
        ),
        ValueError,
        "support must be images",
    ),
    ("strokes-not-text", lambda: fs.parse_strokes(3), TypeError, "text must be a string"),
]


@pytest.mark.parametrize("call,error,match", [row[1:] for row in BAD_INPUT], ids=[row[0] for row in BAD_INPUT])
def test_bad_input_is_refused_naming_the_parameter(call, error, match):
    with pytest.raises(error, match=match):
        call()


# the messages at the real user boundaries, where what to do next matters: the sampler's sizes
def test_more_ways_than_the_test_set_holds():
    with pytest.raises(ValueError, match="n_way=20"):
        fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(), n_way=20, n_episodes=10, q_query=2)


# --- episodes shared across models, "draw your own", figures and panels -----------------------------------
def test_a_shared_draw_of_episodes_gives_the_same_result_as_drawing_them_again():
    data = _tiny_set()
    episodes = EpisodeSampler(data, 3, 2, 4, n_episodes=12, seed=4, fixed=True)
    shared = fs.evaluate_episodes(fs.PixelNearestNeighbour(), data, episodes=episodes)
    fresh = fs.evaluate_episodes(fs.PixelNearestNeighbour(), data, n_way=3, k_shot=2, q_query=4, n_episodes=12, seed=4)
    assert torch.equal(shared.accuracies, fresh.accuracies)


def test_shared_episodes_must_be_fixed():
    data = _tiny_set()
    with pytest.raises(TypeError, match="fixed=True"):
        fs.evaluate_episodes(fs.PixelNearestNeighbour(), data, episodes=EpisodeSampler(data, 3, 1, 2, n_episodes=4))


def test_shared_episodes_must_come_from_the_same_dataset():
    episodes = EpisodeSampler(_tiny_set(per_class=12), 3, 1, 2, n_episodes=4, fixed=True)
    with pytest.raises(ValueError, match="same dataset"):
        fs.evaluate_episodes(fs.PixelNearestNeighbour(), _tiny_set(per_class=10), episodes=episodes)


def test_parse_strokes_reads_a_list_of_point_lists():
    assert fs.parse_strokes("[[(-0.5, 0.5), (0.5, 0.5)], [(0, 1), (0, -1)]]") == [
        [(-0.5, 0.5), (0.5, 0.5)],
        [(0.0, 1.0), (0.0, -1.0)],
    ]


@pytest.mark.parametrize(
    "text,match",
    [
        ("[[(0, 0), (1, 2)]]", "outside the canvas"),
        ("[[(0, 0, 1)]]", "stroke 0 must be"),
        ("[]", "non-empty list"),
        ("[[(0, 0)", "could not read"),
    ],
)
def test_parse_strokes_says_what_is_wrong(text, match):
    with pytest.raises(ValueError, match=match):
        fs.parse_strokes(text)


def test_a_drawing_of_a_support_glyph_is_classified_as_that_glyph():
    """Render two shapes with the Glyphs renderer, use them as a 2-way 1-shot support set, then draw one of
    them again, slightly shifted: pixel nearest neighbour must pick it."""
    from tlearn.data import render_points

    shapes = [
        [[(-0.6, 0.6), (0.6, 0.6)], [(0.0, 0.6), (0.0, -0.6)]],  # a T
        [[(-0.6, -0.6), (0.0, 0.6), (0.6, -0.6)]],
    ]  # a caret
    support = torch.stack([render_points(s) for s in shapes])
    redrawn = [[(x + 0.05, y - 0.04) for x, y in stroke] for stroke in shapes[1]]
    image, predicted, scores = fs.classify_drawing(
        fs.PixelNearestNeighbour(), redrawn, support, torch.tensor([0, 1]), device="cpu"
    )
    assert image.shape == (1, 28, 28) and predicted == 1 and scores.shape == (2,)


def test_figures_for_shots_embeddings_and_drawings():
    import matplotlib.figure

    from tlearn import viz

    data = _tiny_set()
    pixel = fs.PixelNearestNeighbour()
    curves = {"pixel": [fs.evaluate_episodes(pixel, data, n_way=3, k_shot=k, q_query=3, n_episodes=5) for k in (1, 3)]}
    episode = next(iter(EpisodeSampler(data, 3, 2, 3, n_episodes=1)))
    z_s, z_q = episode.support.flatten(1), episode.query.flatten(1)
    figures = [
        viz.plot_accuracy_vs_shots(curves, chance=1 / 3),
        viz.plot_episode_embedding(
            z_s, episode.support_labels, z_q, episode.query_labels, fs.class_means(z_s, episode.support_labels)
        ),
        viz.plot_drawing(episode.query[0], episode.support, episode.support_labels, torch.tensor([0.2, 0.5, 0.3])),
    ]
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figures)


def test_fewshot_panel_evaluates_what_the_controls_say():
    from tlearn import widgets

    data = _tiny_set()
    models = {"pixel": fs.PixelNearestNeighbour(), "proto": fs.make_model("protonet", hidden=8)}
    panel = widgets.fewshot_panel(models, data, n_episodes=8, seed=1)
    widgets.drive(panel, click="evaluate", method="proto", distance="cosine", n_way=4, k_shot=3, within=True)
    last = panel.results[-1]
    assert last["method"] == "proto" and last["distance"] == "cosine"
    assert (last["result"].n_way, last["result"].k_shot, last["result"].within_groups) == (4, 3, True)
    expected = fs.evaluate_episodes(
        models["proto"], data, n_way=4, k_shot=3, q_query=5, n_episodes=8, seed=1, within_groups=True, distance="cosine"
    )
    assert last["result"].mean == expected.mean
    assert models["proto"].distance == "euclidean"  # the panel's switch does not change the model


def test_fewshot_panel_shows_an_impossible_episode_as_an_error():
    from tlearn import widgets

    panel = widgets.fewshot_panel({"pixel": fs.PixelNearestNeighbour()}, _tiny_set(), n_episodes=4)
    with pytest.raises(ValueError, match="n_way=20"):
        widgets.drive(panel, click="evaluate", n_way=20)


def test_draw_panel_classifies_typed_strokes_and_reports_bad_ones():
    from tlearn import widgets

    data = _tiny_set()
    episode = next(iter(EpisodeSampler(data, 3, 1, 1, n_episodes=1)))
    pixel = fs.PixelNearestNeighbour()
    panel = widgets.draw_panel(pixel, episode.support, episode.support_labels)
    strokes = "[[(-0.9, 0.9), (-0.5, 0.9)]]"
    widgets.drive(panel, click="classify", strokes=strokes, width=3.0)
    _, expected, _ = fs.classify_drawing(pixel, strokes, episode.support, episode.support_labels, width=3.0)
    assert len(panel.predictions) == 2 and panel.predictions[-1] == expected
    with pytest.raises(ValueError, match="outside the canvas"):
        widgets.drive(panel, click="classify", strokes="[[(0, 0), (3, 3)]]")


def test_omniglot_without_a_network_fails_fast_naming_the_offline_default(monkeypatch, capsys, tmp_path):
    from tlearn.fewshot.cli import main

    monkeypatch.setenv("TLEARN_OFFLINE", "1")
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))  # an empty cache: no Omniglot on disk
    assert main(["train", "--data", "omniglot", "--device", "cpu"]) == 2
    assert "'glyphs'" in capsys.readouterr().err


def test_omniglot_characters_are_grouped_by_alphabet():
    class FakeOmniglot:  # torchvision's Omniglot names its classes "alphabet/character"
        _characters = ["Latin/character01", "Latin/character02", "Greek/character01", "Latin/character03"]

    from tlearn.data.folders import _omniglot_groups

    assert _omniglot_groups(FakeOmniglot()).tolist() == [0, 0, 1, 0]


# --- the README's instructions ------------------------------------------------------------------------------
def _readme_block(language: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split("## Few-shot learning on your own images", 1)[1]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_python_calls_run_as_written(tmp_path, monkeypatch):
    """The documented calls, verbatim but for smaller sizes, on a folder of classes."""
    _write_folder(tmp_path / "my_alphabets" / "train", classes=tuple("abcdefghijklmnopqrstu"), per_class=6)
    _write_folder(tmp_path / "my_alphabets" / "test", classes=tuple("vwxyz"), per_class=16)
    code = _readme_block("python")
    for big, small in [("steps=4000", "steps=2"), ("n_episodes=600", "n_episodes=3")]:
        assert big in code, big
        code = code.replace(big, small)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TLEARN_NO_PROGRESS", "1")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert isinstance(namespace["model"], fs.PrototypicalNet) and namespace["model"].info["accuracy"] >= 0
    assert len(namespace["result"].accuracies) == 3


def test_the_readme_command_lines_use_flags_the_parser_knows():
    import shlex

    from tlearn.fewshot.cli import _parser

    lines = _readme_block("bash").replace("\\\n", " ").strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        argv = shlex.split(line)
        assert argv[:3] == ["python", "-m", "tlearn.fewshot"]
        _parser().parse_args(argv[3:])  # an unknown flag exits with status 2
