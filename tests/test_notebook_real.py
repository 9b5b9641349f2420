"""Each notebook's real-data path, end to end, on a small stand-in written to disk in the real layout.

No test downloads: a stand-in is written under a temporary ``$TLEARN_CACHE`` in the layout the real files
have there, ``$TLEARN_OFFLINE`` is set (any attempt to download fails at once), and the notebook is executed
with its parameters cell changed as a user would change it. :func:`run_notebook_with` is the harness; a
notebook's real-path test writes its stand-in, then calls it with the parameters of that path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from standins import (  # noqa: E402
    cifar10_batches,
    write_cifar10,
    write_mnist,
    write_omniglot,
    write_resnet_weights,
    write_usps,
)

from tools.notebooks import output_text, run_notebook_with, set_parameters  # noqa: E402

__all__ = ["output_text", "run_notebook_with"]  # the harness, also for other tests


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    """A fresh ``$TLEARN_CACHE`` (with the generated Glyphs sets linked in, so they are not drawn again),
    ``$TLEARN_OFFLINE`` set; the kernel a notebook runs in inherits both."""
    from tlearn.data import cache_dir

    for cached in cache_dir().glob("*glyphs*.pt"):
        (tmp_path / cached.name).symlink_to(cached)
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))
    monkeypatch.setenv("TLEARN_OFFLINE", "1")
    monkeypatch.setenv("TLEARN_NO_PROGRESS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def test_set_parameters_replaces_one_assignment_and_refuses_unknown_names():
    cell = 'SEED = 0  # a seed\nDATASET = "glyphs"  # offline\n                    # more comment\nSIZE = "quick"'
    changed = set_parameters(cell, DATASET="omniglot", SEED=2)
    assert changed.splitlines()[:2] == ["SEED = 2", "DATASET = 'omniglot'"] and changed.endswith('SIZE = "quick"')
    compile(changed, "<parameters>", "exec")
    with pytest.raises(KeyError, match="STEPS"):
        set_parameters(cell, STEPS=3)


def test_failures_name_the_cell_line_and_message_and_seeds_reports_each_run(tmp_path, capsys):
    import nbformat

    from tools import seeds
    from tools.notebooks import failure_of

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("SEED = 0\nSIZE = 'quick'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import math\nratio = 10 / (SEED + 1)"),
        nbformat.v4.new_code_cell("print(f'ratio {ratio:.1f} {SIZE}')", metadata={"tags": ["results"]}),
        nbformat.v4.new_code_cell("x = 1\nassert ratio > 4, f'ratio {ratio:.2f}'\nprint('held')"),
    ]
    path = tmp_path / "claims.ipynb"
    nbformat.write(nb, path)
    executed = run_notebook_with(path, SEED=1)
    assert failure_of(executed) is None and "held" in output_text(executed)
    assert seeds.main([str(path), "--seeds", "1", "2", "--out", str(tmp_path / "out"), "--tables"]) == 1
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert any(line.startswith("claims") and "seed 1  pass" in line for line in lines), printed
    assert any(line.startswith("claims") and "seed 2  FAIL" in line for line in lines), printed
    assert "cell 3, AssertionError: ratio 3.33 at `assert ratio > 4, f'ratio {ratio:.2f}'`" in printed
    assert "ratio 5.0" in printed and "ratio 3.3" in printed  # each run's results table
    assert "1 of 2 runs passed" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["claims-seed1.ipynb", "claims-seed2.ipynb"]
    # --set changes another parameter in every run: a literal, or else the string as written
    assert seeds.main([str(path), "--seeds", "1", "--out", "", "--tables", "--set", "SIZE=full"]) == 0
    assert "ratio 5.0 full" in capsys.readouterr().out
    assert seeds.parameter("STEPS=3") == ("STEPS", 3) and seeds.parameter("SIZE='full'") == ("SIZE", "full")
    with pytest.raises(argparse.ArgumentTypeError, match="NAME=VALUE"):
        seeds.parameter("cifar10")


def test_tour_reruns_the_calibration_on_omniglot_folders(offline_cache, evaluation_glyphs):
    n_files = write_omniglot(offline_cache / "real", "evaluation", evaluation_glyphs, characters_per_alphabet=5)
    nb = run_notebook_with("00_tour.ipynb", DATASET="omniglot", SIZE="quick", SEED=0)
    text = output_text(nb)
    assert f"{n_files} images" in text  # the real set, read from the folders
    assert "Omniglot (your copy), this run" in text  # the calibration table's column for the real set
    assert "Omniglot (your copy), pixel nearest neighbour 5-way 1-shot" in text


# --- the real paths of 03a, 03b, 04 and 05 on stand-ins made from the generated worlds ----------------------
def _held_out(labels: torch.Tensor, fraction: float) -> int:
    """How many samples ImageSet.split(fraction) holds out: round(fraction x count) per class, at least one."""
    return sum(max(1, round(fraction * int(n))) for n in torch.bincount(labels) if n > 1)


def test_domain_adaptation_mnist_to_usps(offline_cache):
    """03a, DATASET = "real": MNIST -> USPS. The stand-in repeats the offline shift in the real files' layout:
    SynDigits as MNIST (the labelled source), HandDigits' scans as USPS (the target, 70% train, 30% test), so
    that the notebook's claims (a real shift, MMD and DANN each recovering part of it) can hold."""
    from tlearn import data

    mnist = write_mnist(offline_cache / "real", data.syn_digits(2000, seed=101), data.syn_digits(100, seed=102))
    usps_train, usps_test = data.hand_digits(16).split(test_fraction=0.3, seed=0)
    usps = write_usps(offline_cache / "real", usps_train, usps_test)
    nb = run_notebook_with("03a_domain_adaptation.ipynb", DATASET="real", SIZE="quick", SEED=0)
    text = output_text(nb)
    held_out = _held_out(data.syn_digits(2000, seed=101).targets, 0.1)  # the notebook holds out a tenth
    # every MNIST training image (2000 of the 2000 it asks for) and every USPS image was read from the files
    assert (
        f"mnist → usps: source {mnist['train'] - held_out} (+{held_out} held out), "
        f"target {usps['train']} (unlabelled), target test {usps['test']}"
    ) in text, text[:2000]
    assert "mnist → usps (target test set) and two moons" in text  # the results table is the real pair's


def test_domain_adaptation_mnist_to_textured_mnist(offline_cache):
    """03b, DATASET = "real": MNIST -> textured MNIST (the MNIST-M recipe). HandDigits' scans as MNIST (70%
    in the training file, 30% in the test file): the offline path's digits, read through the real loader."""
    from tlearn import data

    train, test = data.hand_digits(28).split(test_fraction=0.3, seed=0)
    mnist = write_mnist(offline_cache / "real", train, test)
    nb = run_notebook_with("03b_domain_adaptation_textured.ipynb", DATASET="real", SIZE="quick", SEED=0)
    text = output_text(nb)
    held_out = _held_out(train.targets, 0.1)
    n = mnist["train"] - held_out
    assert f"MNIST → textured: source {n}, target {n} (unlabelled), target test {mnist['test']}" in text, text[:2000]
    assert "MNIST → textured: target test accuracy and domain distances" in text


def test_multi_task_on_mnist_canvases(offline_cache):
    """04, DATASET = "mnist": the two-digit canvases made of MNIST's training digits. HandDigits' scans as MNIST;
    the canvases' left labels printed by the notebook must be those of the digits in the files."""
    from tlearn import data
    from tlearn.multitask import digit_canvases

    hand = data.hand_digits(28)
    write_mnist(offline_cache / "real", hand, hand.subset(range(100)))
    nb = run_notebook_with("04_multi_task.ipynb", DATASET="mnist", SIZE="quick", SEED=0)
    text = output_text(nb)
    # the same canvases, built here from the files the test wrote: 900 training + 600 test canvases
    canvases = digit_canvases("mnist", 1500, seed=0, size=(16, 32))
    counts = canvases.tasks["left"].bincount(minlength=10).tolist()
    assert "MultiDigits: 1500 images of shape [1, 16, 32], tasks ['left', 'right'] from 'mnist'" in text, text[:1500]
    assert f"left digits per class {counts}" in text, text[:1500]
    assert counts != digit_canvases("syndigits", 1500, seed=0, size=(16, 32)).tasks["left"].bincount().tolist()
    assert "all claims hold" in text


def test_few_shot_on_omniglot_folders(offline_cache):
    """05, DATASET = "omniglot": Omniglot's background and evaluation folders, written from Glyphs' background
    alphabets (10 of 30) and evaluation alphabets (8 of 20), every character and drawer of each: 20
    characters an alphabet, enough for the 20-way episodes within one alphabet."""
    from tlearn.data import glyphs

    n_background = write_omniglot(offline_cache / "real", "background", glyphs("background"), alphabets=10)
    n_evaluation = write_omniglot(offline_cache / "real", "evaluation", glyphs("evaluation"), alphabets=8)
    assert (n_background, n_evaluation) == (10 * 20 * 20, 8 * 20 * 20)
    nb = run_notebook_with("05_few_shot.ipynb", DATASET="omniglot", SIZE="quick", SEED=0)
    text = output_text(nb)
    assert "training classes: 200, test classes: 160" in text, text[:1500]  # the folders' characters
    assert "omniglot: evaluation alphabets, 600 fixed episodes per cell" in text
    assert "within one alphabet, 5-way 1-shot: " in text  # the folders' alphabets give within-alphabet episodes


def test_zero_shot_digits_from_mnist_files(offline_cache):
    """06, DIGITS = "mnist": the hand-described digits read from MNIST's test file. HandDigits' scans as MNIST
    (1,500 in the test file); the run says how many images it read, and its claims hold on them."""
    from tlearn import data

    hand = data.hand_digits(28)
    write_mnist(offline_cache / "real", hand.subset(range(100)), hand.subset(range(1500)))
    nb = run_notebook_with("06_zero_shot.ipynb", DIGITS="mnist", SEED=0)
    assert "mnist, 1500 images: mean over all 120 splits" in output_text(nb)


def test_which_technique_with_usps_as_target_b(offline_cache):
    """07, DIGITS = "usps": target B from USPS's files (HandDigits at 16x16 in the LIBSVM layout, 70% in the
    training file and 30% in the test file), 130 and 55 images per class asked for: all there are."""
    from tlearn import data

    train, test = data.hand_digits(16).split(test_fraction=0.3, seed=0)
    write_usps(offline_cache / "real", train, test)
    nb = run_notebook_with("07_which_technique.ipynb", DIGITS="usps", SEED=0)
    per_class = lambda ds, k: sum(min(k, int(n)) for n in torch.bincount(ds.targets))  # noqa: E731
    expected = f"B: handwritten digits: 10 classes, a pool of {per_class(train, 130)} to draw labels from, "
    assert expected + f"{per_class(test, 55)} test images" in output_text(nb)


# --- the ImageNet paths of 01 and 02 (DATASET = "cifar10") on stand-ins ----------------------------------------
@pytest.fixture(scope="module")
def resnet_weights(tmp_path_factory):
    """A ``$TORCH_HOME`` whose torch.hub cache holds "ImageNet" ResNet-18 weights: a ResNet-18 pretrained on
    4,000 coloured SynDigits (fonts on random colours, with clutter). Like ImageNet for CIFAR-10, a large
    labelled source related to the target; unlike it, a small and easy one."""
    from tlearn import data

    home = tmp_path_factory.mktemp("torch-home")
    write_resnet_weights(home, data.syn_digits(4000, image_size=32, seed=7, color=True, clutter=0.3))
    return home


def _cifar10_standin(real: Path, per_class: int = 40) -> dict[str, int]:
    """CIFAR-10's batches holding HandDigits on coloured photo patches (MNIST-M's recipe) at 32x32: per_class
    training and per_class test images of each digit, from disjoint halves of the scans."""
    from tlearn import data

    train, test = data.textured(data.hand_digits(32), seed=0).split(0.5, seed=0)
    train, test = train.take_per_class(per_class, seed=0)[0], test.take_per_class(per_class, seed=0)[0]
    write_cifar10(real, cifar10_batches(train.images, train.targets, test.images, test.targets))
    return {"train": len(train), "test": len(test)}


@pytest.mark.parametrize("notebook", ["01_fine_tuning", "02_feature_extraction"])
def test_imagenet_path_on_cifar10(offline_cache, resnet_weights, monkeypatch, notebook):
    """01 and 02 with DATASET = "cifar10": the ResNet-18 is built by torchvision from the hub file (the
    stand-in weights), the target read from CIFAR-10's batches, and every claim the notebook makes on that
    path is asserted in the run (none is skipped); the run fails if one does not hold."""
    monkeypatch.setenv("TORCH_HOME", str(resnet_weights))
    counts = _cifar10_standin(offline_cache / "real")
    nb = run_notebook_with(f"{notebook}.ipynb", DATASET="cifar10", SIZE="quick", SEED=0)
    text = output_text(nb)
    # the pool and the test set are every image of the batches the test wrote
    read = {
        "01_fine_tuning": f"a pool of {counts['train']} to draw labels from, {counts['test']} test images",
        "02_feature_extraction": f"pool {counts['train']}, test {counts['test']}",
    }
    assert f"far: cifar10 (train subset), 10 classes, {read[notebook]}" in text, text[:2000]
    assert "(cifar10, seed 0" in text  # the results table is the CIFAR-10 run's
    assert "notebook ran in" in text  # the claims cell ran to its end


def test_channel_reads_poll_every_second_until_their_timeout():
    """The harness's kernel client asks its sockets again each second (a single long wait can miss a message
    that has arrived): a message that shows up on the third poll is returned, and an empty channel still
    raises Empty once the caller's timeout has passed, not before."""
    import asyncio
    import time
    from queue import Empty

    from tools.notebooks import _poll_every_second

    asked = []

    async def get_msg(timeout=None):
        asked.append(timeout)
        if len(asked) < 3:
            raise Empty
        return {"msg_type": "execute_reply"}

    assert asyncio.run(_poll_every_second(get_msg)(timeout=None)) == {"msg_type": "execute_reply"}
    assert asked == [1.0, 1.0, 1.0]

    async def never(timeout=None):
        await asyncio.sleep(timeout)
        raise Empty

    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(_poll_every_second(never)(timeout=2.5))
    assert 2.4 < time.monotonic() - start < 3.5
