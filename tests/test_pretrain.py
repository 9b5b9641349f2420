"""The shipped pretrained weights: present, small, verified; corrupt, tampered or mismatched files refused."""

import hashlib
import json
import shutil

import pytest
import torch

from tlearn import pretrain as P
from tlearn.backbones import Conv4, GRUEncoder

NAMES = list(P.SPECS)


@pytest.fixture()
def copy_of_weights(tmp_path):
    """The shipped files copied to a scratch folder, to be damaged there."""
    for name in NAMES:
        for path in P.weight_paths(name):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_shipped_weights_total_at_most_5_mb():
    sizes = {p.name: p.stat().st_size for p in P.WEIGHTS_DIR.glob("*.pt")}
    assert set(sizes) == {f"{n}.pt" for n in NAMES}
    assert sum(sizes.values()) <= 5 * 1024 * 1024, sizes
    assert P.weights_size() == sum(sizes.values())


@pytest.mark.parametrize("name", NAMES)
def test_shipped_metadata_matches_the_file_and_the_code(name):
    pt_path, meta_path = P.weight_paths(name)
    meta = json.loads(meta_path.read_text())
    assert meta["sha256"] == hashlib.sha256(pt_path.read_bytes()).hexdigest()
    assert meta["bytes"] == pt_path.stat().st_size
    assert meta["config"] == P.SPECS[name]["config"] and meta["architecture"] == P.SPECS[name]["architecture"]
    acc = meta["accuracy"]
    assert 0.0 <= acc["held_out_drawers"] <= 1.0 and acc["held_out_drawers"] > 10 * acc["chance"]
    assert meta["source_task"]["train_drawers"] == P.DATA["train_drawers"]
    assert not set(meta["source_task"]["train_drawers"]) & set(meta["source_task"]["test_drawers"])


@pytest.mark.parametrize("name", NAMES)
def test_load_pretrained_returns_the_saved_tensors(name):
    backbone = P.load_pretrained(name)
    assert isinstance(backbone, (Conv4, GRUEncoder))
    state = torch.load(P.weight_paths(name)[0], weights_only=True)
    loaded = backbone.state_dict()
    assert set(state) == set(loaded) and all(torch.equal(state[k], loaded[k]) for k in state)
    assert (
        sum(p.numel() for p in backbone.parameters()) == json.loads(P.weight_paths(name)[1].read_text())["parameters"]
    )


def test_a_flipped_byte_is_refused_naming_the_file_and_the_fix(copy_of_weights):
    pt = copy_of_weights / "conv4-glyphs.pt"
    data = bytearray(pt.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pt.write_bytes(bytes(data))
    with pytest.raises(P.WeightFileError, match=r"conv4-glyphs\.pt.*SHA-256.*make pretrain"):
        P.load_pretrained("conv4-glyphs", directory=copy_of_weights)


def test_a_truncated_file_is_refused(copy_of_weights):
    pt = copy_of_weights / "gru-glyphs.pt"
    pt.write_bytes(pt.read_bytes()[:1000])
    with pytest.raises(P.WeightFileError, match="make pretrain"):
        P.load_pretrained("gru-glyphs", directory=copy_of_weights)


def test_changed_weights_are_refused_even_when_saved_properly(copy_of_weights):
    pt = copy_of_weights / "conv4-glyphs.pt"
    state = torch.load(pt, weights_only=True)
    state["blocks.0.0.weight"] += 0.01
    torch.save(state, pt)
    with pytest.raises(P.WeightFileError, match="corrupt or was modified"):
        P.load_pretrained("conv4-glyphs", directory=copy_of_weights)


def _rehash(directory, name, **changes):
    pt, meta_path = P.weight_paths(name, directory)
    meta = json.loads(meta_path.read_text())
    meta.update(changes, sha256=hashlib.sha256(pt.read_bytes()).hexdigest())
    meta_path.write_text(json.dumps(meta))


def test_a_pickle_with_code_is_refused_even_with_a_matching_checksum(copy_of_weights):
    pt = copy_of_weights / "conv4-glyphs.pt"
    torch.save({"blocks.0.0.weight": torch.zeros(1), "payload": print}, pt)  # a function: not plain data
    _rehash(copy_of_weights, "conv4-glyphs")
    with pytest.raises(P.WeightFileError, match="could not be loaded as plain tensors"):
        P.load_pretrained("conv4-glyphs", directory=copy_of_weights)


def test_weights_of_another_shape_are_refused_even_with_a_matching_checksum(copy_of_weights):
    torch.save(Conv4(hidden=32).state_dict(), copy_of_weights / "conv4-glyphs.pt")
    _rehash(copy_of_weights, "conv4-glyphs")
    with pytest.raises(P.WeightFileError, match="does not fit a Conv4"):
        P.load_pretrained("conv4-glyphs", directory=copy_of_weights)


def test_metadata_describing_another_config_is_refused(copy_of_weights):
    _rehash(copy_of_weights, "gru-glyphs", config={**P.SPECS["gru-glyphs"]["config"], "hidden_size": 64})
    with pytest.raises(P.WeightFileError, match="config.*make pretrain"):
        P.load_pretrained("gru-glyphs", directory=copy_of_weights)


def test_unreadable_metadata_is_refused(copy_of_weights):
    (copy_of_weights / "gru-glyphs.json").write_text("{not json")
    with pytest.raises(P.WeightFileError, match="not valid JSON"):
        P.load_pretrained("gru-glyphs", directory=copy_of_weights)


def test_a_missing_file_names_make_pretrain(tmp_path):
    with pytest.raises(FileNotFoundError, match="make pretrain"):
        P.load_pretrained("conv4-glyphs", directory=tmp_path)


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="available: conv4-glyphs, gru-glyphs"):
        P.load_pretrained("resnet50-imagenet")


def test_pretrain_writes_files_that_load_back(tmp_path):
    """A one-epoch run on two alphabets: the files it writes pass every check of load_pretrained."""
    meta = P.pretrain("gru-glyphs", directory=tmp_path, epochs=1, n_alphabets=2, progress=False, device="cpu")
    assert meta["source_task"]["n_classes"] == 40 and meta["training"]["epochs"] == 1
    backbone = P.load_pretrained("gru-glyphs", directory=tmp_path)
    assert backbone.out_features == P.SPECS["gru-glyphs"]["config"]["hidden_size"]


def test_trajectory_lengths_are_one_past_the_last_pen_up():
    x = torch.zeros(3, 6, 3)
    x[0, [1, 3], 2] = 1  # two strokes ending at points 1 and 3
    x[1, 5, 2] = 1
    x[2, 0, 2] = 1
    x[:, :, :2] = 0.3  # coordinates do not matter
    assert P.trajectory_lengths(x).tolist() == [4, 6, 1]
    with pytest.raises(ValueError, match="pen-up"):
        P.trajectory_lengths(torch.zeros(1, 4, 3))


def test_trajectory_lengths_match_the_glyph_lengths(small_glyphs):
    assert torch.equal(P.trajectory_lengths(small_glyphs.trajectories), small_glyphs.lengths)


def test_augmentation_keeps_shape_range_and_is_deterministic():
    x = torch.rand(16, 1, 28, 28)
    a = P.augment_images(x, torch.Generator().manual_seed(0))
    b = P.augment_images(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b) and a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, x)


# --- the real path, without a network ------------------------------------------------------------------
class FakeTorchvisionSet(torch.utils.data.Dataset):
    """Stands in for torchvision's CIFAR10: .targets, .classes, (image, label) items."""

    def __init__(self, n_per_class=7, n_classes=3, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.targets = torch.arange(n_classes).repeat(n_per_class).tolist()
        self.images = torch.rand(len(self.targets), 3, 8, 8, generator=g)
        self.classes = [f"class {c}" for c in range(n_classes)]

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return self.images[i], self.targets[i]


def test_real_target_draws_a_stratified_subset(monkeypatch):
    import tlearn.data

    made = {}

    def fake_load_real(name, train=True, image_size=28, **kwargs):
        made[train] = FakeTorchvisionSet(seed=int(train))
        return made[train]

    monkeypatch.setattr(tlearn.data, "load_real", fake_load_real)
    pool, test = P.real_target("cifar10", per_class=4, test_per_class=2, seed=3)
    assert torch.equal(torch.bincount(pool.targets), torch.full((3,), 4))
    assert torch.equal(torch.bincount(test.targets), torch.full((3,), 2))
    for subset, source in [(pool, made[True]), (test, made[False])]:
        for image, label in zip(subset.images, subset.targets):  # every picked image is the source's own
            matches = [i for i in range(len(source)) if torch.equal(source.images[i], image)]
            assert len(matches) == 1 and source.targets[matches[0]] == int(label)
    assert pool.classes == made[True].classes
    with pytest.raises(ValueError, match="per_class"):
        P.real_target("cifar10", per_class=0)


def test_real_target_repeats_grey_to_rgb_unless_asked_not_to(monkeypatch):
    import tlearn.data

    def grey_load_real(name, train=True, image_size=28, **kwargs):
        fake = FakeTorchvisionSet(seed=int(train))
        fake.images = fake.images[:, :1]
        return fake

    monkeypatch.setattr(tlearn.data, "load_real", grey_load_real)
    rgb, _ = P.real_target("usps", per_class=2, test_per_class=1)
    grey, _ = P.real_target("usps", per_class=2, test_per_class=1, rgb=False)
    assert rgb.images.shape[1] == 3 and grey.images.shape[1] == 1
    assert torch.equal(rgb.images, grey.images.repeat(1, 3, 1, 1))


def test_imagenet_backbone_fails_fast_offline(monkeypatch, tmp_path):
    import time

    from tlearn.data import OfflineError

    monkeypatch.setenv("TLEARN_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # no cached weights either
    start = time.perf_counter()
    with pytest.raises(OfflineError, match="offline default"):
        P.ImageNetBackbone("resnet18")
    assert time.perf_counter() - start < 10


def test_imagenet_backbone_normalises_then_runs_the_resnet_and_exposes_its_stages():
    import torchvision

    from tlearn import features
    from tlearn.backbones import Classifier
    from tlearn.finetune import layer_groups

    torch.manual_seed(0)
    net = P.ImageNetBackbone("resnet18", pretrained=False).eval()
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None).eval()  # the same initialisation, torchvision's forward
    reference.fc = torch.nn.Identity()
    x = torch.rand(2, 3, 32, 32)
    mean, std = torch.tensor(P.IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(P.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(net(x), reference((x - mean) / std))
        # the hooks record what chaining the stages by hand computes
        with features.LayerTaps(net, features.tap_points(net)) as taps:
            net(x)
        h = x
        for name, stage in features.tap_points(net).items():
            h = stage(h)
            torch.testing.assert_close(taps.outputs[name], h)
    names = [n for n, _ in layer_groups(Classifier(net, 4))]
    assert names == [f"stages.{i}" for i in range(5)] + ["head"]
    shared = torchvision.models.resnet18(weights=None)
    assert P.ImageNetBackbone(resnet=shared).stages[1] is shared.layer1  # wraps, does not copy
    with pytest.raises(ValueError, match="name must be one of"):
        P.ImageNetBackbone("vgg11", pretrained=False)
    with pytest.raises(ValueError, match="to_rgb"):
        net(torch.rand(2, 1, 32, 32))


# --- training through train.fit, the command line, bad arguments ---------------------------------------
def test_pretraining_through_fit_equals_adam_with_cosine_annealing_by_hand():
    """Oracle: without augmentation, _train is the loop the shipped weights were made with: Adam, a
    cosine-annealed rate stepped once per batch, one shuffle per epoch from a generator seeded by ``seed``."""
    import torch.nn.functional as F

    from tlearn.backbones import Classifier
    from tlearn.train import batches

    X, y = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(1)), torch.arange(20) % 4
    training = {"epochs": 2, "lr": 3e-3, "batch_size": 8, "weight_decay": 1e-4, "seed": 3}
    torch.manual_seed(0)
    a = Classifier(Conv4(hidden=4), 4)
    torch.manual_seed(0)
    b = Classifier(Conv4(hidden=4), 4)
    acc = P._train(a, X, y, training, augment=False, device="cpu", progress=False, desc="")
    g = torch.Generator().manual_seed(3)
    optimizer = torch.optim.Adam(b.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    b.train()
    for _ in range(2):
        correct = 0
        for idx in batches(20, 8, shuffle=True, generator=g):
            logits = b(X[idx])
            loss = F.cross_entropy(logits, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            correct += int((logits.argmax(1) == y[idx]).sum())
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    assert acc == correct / 20 and not a.training


def test_pretraining_augments_inside_its_loss_with_its_own_generator():
    from tlearn.backbones import Classifier

    torch.manual_seed(0)
    model = Classifier(Conv4(hidden=4), 3).eval()
    batch = (torch.rand(6, 1, 28, 28), torch.arange(6) % 3)
    with torch.no_grad():
        losses = [float(P.Pretraining(model, augment=True, seed=s).loss(batch, 0.0)[0]) for s in (0, 0, 1)]
        plain = float(P.Pretraining(model, augment=False).loss(batch, 0.0)[0])
    assert losses[0] == losses[1] and losses[0] != losses[2] and plain not in losses
    assert P.cosine(0.0) == 1.0 and P.cosine(1.0) == pytest.approx(0.0) and P.cosine(0.5) == pytest.approx(0.5)


def test_imagenet_names_keep_their_old_home():
    from tlearn import imagenet

    assert P.ImageNetBackbone is imagenet.ImageNetBackbone and P.real_target is imagenet.real_target
    assert P.IMAGENET_MEAN == imagenet.IMAGENET_MEAN


def test_command_line_checks_a_folder_and_shows_help(copy_of_weights, capsys):
    assert P.main(["--check", "--directory", str(copy_of_weights)]) == 0
    assert capsys.readouterr().out.count(": ok, sha256") == len(NAMES)
    with pytest.raises(SystemExit) as exit_:
        P.main(["--help"])
    assert exit_.value.code == 0 and "--directory" in capsys.readouterr().out


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda tmp: P.pretrain("resnet50", directory=tmp), ValueError, "available"),
        (lambda tmp: P.pretrain("gru-glyphs", directory=tmp, epochs=0), ValueError, "epochs"),
        (lambda tmp: P.main(["resnet50"]), ValueError, "available"),
        (lambda tmp: P.build_backbone("conv4"), ValueError, "available"),
        (lambda tmp: P.real_target("cifar10", test_per_class=0), ValueError, "test_per_class"),
        (lambda tmp: P.trajectory_lengths(torch.zeros(2, 5)), ValueError, r"\[B, T, 3\]"),
        (lambda tmp: P.TrajectoryEncoder(Conv4(hidden=4)), TypeError, "GRUEncoder"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path)
