# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Your own data: a folder of images, a drawing, a saved model, the command line
#
# **Take the few-shot models of notebook 05 to images of your own: load a folder, train with the papers'
# recipe, test on classes the model has never seen, classify your own drawing, save the model and run it
# from the command line.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F08_your_own_data.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/08_your_own_data.ipynb) <!-- badges -->
#
# Runtime: about 60 s on a 2-core laptop CPU. No download, no GPU.
#
# ## What you will learn
# - The **folder layout** a few-shot set needs (training classes and other test classes, one subfolder per
#   class) and how tlearn reads it: **decoded once into memory** when it fits, so training runs as fast as
#   on tensors.
# - The **papers' recipe** for Omniglot-like data (Snell et al. 2017): 60-way 1-shot episodes with 5
#   queries per class, rotations as new classes, Adam at $10^{-3}$ halved every 2,000 episodes; here at a
#   quick size.
# - How to **classify a drawing** of your own against a support set, **save and load** a model with its
#   checksum, and run long trainings from the **command line**.

# %% tags=["remove-cell"]
try:  # on Colab tlearn is missing: install it from the repository (elsewhere this cell does nothing)
    import tlearn  # noqa: F401
except ModuleNotFoundError:
    import subprocess, sys
    url = "git+https://github.com/tlearn-course/tlearn@main"
    print(f"tlearn is not installed here: installing it from {url} (a minute or two)", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

# %% tags=["parameters"]
SEED = 0            # one seed gives the same numbers, run after run
FOLDER = None       # None: write a stand-in folder from Glyphs; or "/path/to/images" holding background/ and
                    # evaluation/, each with one subfolder per class (your own scans: set INVERT = True)
INVERT = False      # dark strokes on a light background (scans, Omniglot's files) -> light on dark
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: the recipe's 4,000 episodes, a wider Conv4
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from tlearn import exercises, fewshot, samplers, viz, widgets
from tlearn.data.glyphs import trajectory_to_strokes
from tlearn.train import get_device, seed_everything
from torchvision.utils import save_image

run_start = time.perf_counter()
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {"quick": {"hidden": 32, "steps": 40, "n_way": 60, "test_episodes": 600},
         "full": {"hidden": 64, "steps": 4000, "n_way": 60, "test_episodes": 1000}}
cfg = SIZES[SIZE]
glyphs_evaluation = fewshot.load_data("glyphs", "evaluation", seed=SEED)  # for the stand-in and the drawing

# %% [markdown]
# ## 1. The folder
#
# A few-shot set needs two groups of classes: **training** classes to learn a way of comparing on, and
# **other** classes to test it on. tlearn reads them from one folder:
#
# ```
# my_images/background/<class name>/<image file>    # training classes
# my_images/evaluation/<class name>/<image file>    # test classes, none of them in background/
# ```
#
# Any image files work (PNG, JPEG, ...); they are resized to 28x28 and made grey. With `FOLDER = None`
# this notebook writes a stand-in: PNG files of Glyphs characters, the training classes from the
# background alphabets and the test classes from the evaluation alphabets, 20 drawings each.

# %%
def write_folder(dataset, root, n_classes):
    labels = samplers.labels_of(dataset)
    for c in sorted(set(labels.tolist()))[:: max(1, len(set(labels.tolist())) // n_classes)][:n_classes]:
        (root / f"char{c:03d}").mkdir(parents=True)
        for j, i in enumerate(torch.nonzero(labels == c).flatten().tolist()):
            save_image(samplers.fetch(dataset, torch.tensor([i]))[0], root / f"char{c:03d}" / f"{j}.png")


if FOLDER is None:
    FOLDER = Path(tempfile.mkdtemp(prefix="tlearn-own-data-"))
    write_folder(fewshot.load_data("glyphs", "background", seed=SEED), FOLDER / "background", n_classes=150)
    write_folder(glyphs_evaluation, FOLDER / "evaluation", n_classes=50)
n_files = sum(1 for _ in Path(FOLDER).rglob("*.png"))
print(f"{FOLDER}: {n_files} PNG files")

# %% [markdown]
# ## 2. Loading it: once, into memory
#
# `fewshot.load_data("folder:<path>", split)` picks `background/` or `evaluation/` and calls
# `fewshot.image_folder`, which opens every file once and keeps the decoded images in one tensor whenever
# they fit its `memory_budget` (1 GB by default: about 300,000 grey 28x28 images). Episodes are then drawn
# by indexing that tensor. A larger folder stays on disk, and each episode's files are decoded as it is
# drawn. `fewshot.rotate_classes` then adds each character rotated by 90°, 180° and 270° as three new
# classes, as the Omniglot papers do.

# %%
load_start = time.perf_counter()
background = fewshot.load_data(f"folder:{FOLDER}", "background", invert=INVERT, progress=False)
evaluation = fewshot.load_data(f"folder:{FOLDER}", "evaluation", invert=INVERT, progress=False)
load_seconds = time.perf_counter() - load_start
train_set = fewshot.rotate_classes(background)
n_train_classes = len(set(samplers.labels_of(train_set).tolist()))
print(f"decoded {len(background) + len(evaluation)} files in {load_seconds:.1f} s into {type(background).__name__}s; "
      f"training classes with rotations: {n_train_classes}, test classes: {len(evaluation.classes)}")

# %% tags=["remove-cell"]
assert type(background).__name__ == "ImageSet" and len(background.classes) > 0  # held in memory

# %% [markdown]
# ## 3. The papers' recipe, at a quick size
#
# Snell et al. (2017) train their Omniglot Prototypical network on **60-way** 1-shot episodes with 5
# queries per class (more ways in training than in the test), with rotations as new classes and Adam at
# $10^{-3}$, "cut in half every 2000 episodes" (`lr_schedule="step"`). The full recipe is 4,000 and more
# episodes, a job for a GPU or the command line (section 6); the quick size runs a few dozen.

# %%
n_way = min(cfg["n_way"], n_train_classes)  # a 60-way episode needs 60 training classes
model = fewshot.make_model("protonet", in_channels=1, hidden=cfg["hidden"], seed=SEED)
history = fewshot.train(model, train_set, steps=cfg["steps"], n_way=n_way, k_shot=1, q_query=5, lr=1e-3,
                        lr_schedule="step", seed=SEED, device=device)
print(f"{cfg['steps']} episodes of {n_way}-way 1-shot in {history.seconds:.1f} s "
      f"({cfg['steps'] * n_way * 6 / history.seconds:.0f} images/s), "
      f"last 10 episodes' query accuracy {history.mean('train_acc', last=10):.2f}")

# %% [markdown]
# ## 4. Testing on the classes it has never seen
#
# The Omniglot protocol of notebook 05 on the evaluation folder: 5-way episodes, 1 and 5 shots, 15
# queries per class, fixed episodes, a 95% interval over them (it covers the test episodes only, not
# another training run), next to nearest neighbour in pixel space.

# %%
pixel_nn = fewshot.PixelNearestNeighbour()
results = {}
for k_shot in (1, 5):
    protocol = dict(n_way=5, k_shot=k_shot, q_query=15, n_episodes=cfg["test_episodes"], seed=SEED)
    results["Prototypical, papers' recipe", k_shot] = fewshot.evaluate_episodes(model, evaluation, **protocol)
    results["pixel nearest neighbour", k_shot] = fewshot.evaluate_episodes(pixel_nn, evaluation, **protocol)
for (name, k_shot), result in results.items():
    print(f"{name:30s} 5-way {k_shot}-shot: {result}")

# %% [markdown]
# ## 5. Draw your own
#
# A glyph can be written as a list of strokes, each a list of $(x, y)$ points in $[-1, 1]$, and rendered
# by the same renderer that draws Glyphs. Below, one Glyphs evaluation character's pen trajectory is
# redrawn with a shaky hand (every point moved a little) and classified against a 5-way 1-shot support set
# drawn by other drawers.

# %%
draw_episode = next(iter(samplers.EpisodeSampler(glyphs_evaluation, 5, 1, 1, n_episodes=1, seed=SEED + 2)))
target = 2  # the class we redraw
i = int(draw_episode.query_index[target])
strokes = trajectory_to_strokes(glyphs_evaluation.trajectories[i], glyphs_evaluation.lengths[i])
shaky = torch.Generator().manual_seed(SEED)
strokes = [(torch.as_tensor(s) + 0.03 * torch.randn(len(s), 2, generator=shaky)).clamp(-1, 1).tolist()
           for s in strokes]
image, predicted, scores = fewshot.classify_drawing(model, strokes, draw_episode.support,
                                                    draw_episode.support_labels)
names = [f"class {c}" + (" (redrawn)" if c == target else "") for c in range(5)]
viz.plot_drawing(image, draw_episode.support, draw_episode.support_labels, scores, names);

# %% [markdown]
# Your turn: edit the strokes (a list of strokes, each a list of `(x, y)` points) and click *classify*.

# %%
draw = widgets.draw_panel(model, draw_episode.support, draw_episode.support_labels, names)
draw

# %% tags=["remove-cell"]
widgets.drive(draw, click="classify", strokes="[[(-0.6, 0.6), (0.6, 0.6)], [(0, 0.6), (0, -0.7)]]", width=2.0)
assert draw.predictions

# %% [markdown]
# ## 6. Save, load, and the command line
#
# `fewshot.save_model` writes the weights with the model's config, its accuracy and a checksum;
# `fewshot.load_model` rebuilds the model from them (a `weights_only` load that verifies the checksum).
# The command line trains and evaluates the same way, with a progress bar, for runs too long for a
# notebook; its `train` defaults are the recipe of section 3 at full length:
#
# ```bash
# python -m tlearn.fewshot train --data folder:my_images/background --test folder:my_images/evaluation \
#     --method protonet --rotations --device auto --out protonet.pt
# ```
#
# Below, the model trained here is saved, loaded back, and evaluated by the command line on the
# evaluation folder.

# %%
path = fewshot.save_model(model, Path(FOLDER) / "protonet.pt", accuracy=results["Prototypical, papers' recipe", 1].mean)
reloaded = fewshot.load_model(path, device=device)
print(f"saved {path.stat().st_size / 1024:.0f} kB; reloaded: {reloaded.config['method']}, "
      f"accuracy {reloaded.info['accuracy']:.3f}")
command = [sys.executable, "-m", "tlearn.fewshot", "evaluate", "--model", str(path), "--data",
           f"folder:{Path(FOLDER) / 'evaluation'}", "--eval-way", "5", "--eval-shot", "1", "--episodes", "100"]
print("$ python -m tlearn.fewshot " + " ".join(command[3:]))
print(subprocess.run(command + (["--invert"] if INVERT else []), capture_output=True, text=True,
                     check=True).stdout)

# %% tags=["remove-cell"]
protocol = dict(n_way=5, k_shot=1, q_query=15, n_episodes=100, seed=SEED)
assert abs(fewshot.evaluate_episodes(reloaded, evaluation, **protocol).mean
           - fewshot.evaluate_episodes(model, evaluation, **protocol).mean) < 1e-6  # the round trip

# %% [markdown]
# ## 7. Results
#
# Mean accuracy (%) ± 95% interval over fixed 5-way test episodes of the evaluation folder's classes, 15
# queries per class; the Prototypical network trained in this run with the recipe of section 3.

# %% tags=["results"]
rows = [{"method": name, "training episodes": cfg["steps"] if name.startswith("Proto") else 0,
         **{f"5-way {k}-shot": f"{100 * results[name, k].mean:.1f} ± {100 * results[name, k].ci95:.1f}"
            for k in (1, 5)}}
        for name in ("Prototypical, papers' recipe", "pixel nearest neighbour")]
table = viz.results_table(rows, title=f"{len(evaluation.classes)} test classes from {FOLDER}, "
                                      f"{cfg['test_episodes']} fixed episodes per cell")
table

# %% [markdown]
# ## 8. What the text claimed, checked

# %%
gain = {k: results["Prototypical, papers' recipe", k].mean - results["pixel nearest neighbour", k].mean
        for k in (1, 5)}
print(f"the recipe over pixel nearest neighbour: 1-shot +{100 * gain[1]:.1f}, 5-shot +{100 * gain[5]:.1f} points")
# even a few dozen episodes of the recipe beat pixel nearest neighbour by 15 points, 1-shot and 5-shot
assert min(gain.values()) >= 0.15, gain
# a prototype of 5 shots beats one of 1 shot by at least 5 points
assert results["Prototypical, papers' recipe", 5].mean - results["Prototypical, papers' recipe", 1].mean >= 0.05
print(f"whole notebook: {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - A few-shot set is two groups of classes, for training and for testing, one subfolder per class;
#   `fewshot.load_data("folder:...")` reads each file once into memory when it fits, so episodes are drawn
#   as fast as from tensors.
# - The papers' recipe (60-way episodes, rotations as new classes, a halving learning rate) beats pixel
#   nearest neighbour by at least 15 points on classes never seen, even after a few dozen episodes (section 8
#   prints by how much); the full recipe is thousands of episodes, for the command line and a GPU.
# - A drawing is one more image: render it and score it against a support set.
# - `save_model` and `load_model` keep a model with its config and a checksum; `python -m tlearn.fewshot`
#   trains and evaluates the same models from a terminal.
#
# ## Exercises
# 1. **Implement** rotations as new classes: given images `[N, C, H, W]` and labels `[N]` with $C$ classes,
#    return the images rotated by 0°, 90°, 180° and 270° (`torch.rot90`) and labels $y + rC$ for rotation
#    $r$. The next cell checks your function against `fewshot.rotate_classes`.
# 2. Point `FOLDER` at a folder of your own (photos of objects, scans of a script you know; `INVERT =
#    True` for dark ink on white paper). How far above pixel nearest neighbour does the quick recipe get?
# 3. Train without rotations (`train_set = background`). Do rotations help at this short budget? Are there
#    classes in your data for which a rotated copy is *not* a different class?
# 4. Run the full recipe from the command line (`python -m tlearn.fewshot train ...`, section 6) and
#    evaluate the saved model with `--eval-shot 1 5 --baseline`.

# %%
def rotate_as_new_classes(images, labels):
    ...  # your code: return (rotated images [4N, C, H, W], their labels [4N])


exercises.check_rotated_classes(rotate_as_new_classes);

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def rotate_as_new_classes(images, labels):
#     n_classes = int(labels.max()) + 1
#     rotated = [torch.rot90(images, r, dims=(-2, -1)) for r in range(4)]  # 0, 90, 180, 270 degrees
#     return torch.cat(rotated), torch.cat([labels + r * n_classes for r in range(4)])  # class y + r C
# ```
# </details>
