# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Fine-tuning: a pretrained network, a new head, gentle learning rates
#
# **Start from a network trained on 600 glyph characters, give it a new head, and teach it new
# characters and real handwritten digits from a handful of labels.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F01_fine_tuning.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/01_fine_tuning.ipynb) <!-- badges -->
#
# Runtime: about 60 s on a 2-core laptop CPU (once the Glyphs sets are cached, see notebook 00). No
# download, no GPU: the pretrained backbones ship with the package.
#
# ## What you will learn
# - The four moves of fine-tuning: **replace the head**, train with a **smaller learning rate**, give each
#   layer its **own rate** (the new head 10x the backbone), and **unfreeze gradually** from the top.
# - How these compare with **training from scratch** on the same labels and seeds, on a **near** target
#   (new characters from unseen alphabets) and a **far** one (real handwritten digits).
# - How the benefit of pretraining depends on the **label budget**: a learning curve from 1 label per
#   class to all of them.
# - The same for a **recurrent network**: a GRU pretrained on pen trajectories, fine-tuned on new
#   characters.

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
DATASET = "glyphs"  # offline default (Glyphs + HandDigits); "cifar10": ImageNet ResNet-18 on a CIFAR-10 subset
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: more steps, more labels in the pool
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import json
import time

import torch

from tlearn import finetune, pretrain, viz, widgets
from tlearn.backbones import Classifier, GRUEncoder, Conv4
from tlearn.data import glyphs, hand_digits
from tlearn.train import count_parameters, get_device, seed_everything

run_start = time.perf_counter()
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {  # optimizer steps per run (batch 25): the quick size trains each run for 1-2 s on a 2-core CPU
    "quick": {"steps": 60, "near_classes": 20, "budgets": [1, 5, 20, None]},
    "full": {"steps": 400, "near_classes": 50, "budgets": [1, 2, 5, 10, 20, 50, None]},
}
cfg = SIZES[SIZE]
STEPS, BATCH = cfg["steps"], 25
MIN_EPOCHS = 4           # ... but at least 4 passes over the labelled data, so large budgets are learned too
LR_SCRATCH = 3e-3        # tuned for training from scratch
LR_BACKBONE = 3e-4       # pretrained layers: ten times smaller
print(f"device: {device}, {STEPS} steps of {BATCH} examples per run")

# %% [markdown]
# ## 1. The pretrained backbones
#
# `make pretrain` trained two backbones on the Glyphs **background** alphabets as 600-way classifiers (the
# ImageNet of this world) and saved them inside the package with their config, the accuracy reached on
# drawers held out from training, and a SHA-256 checksum. `load_pretrained` verifies the checksum, loads
# with `torch.load(weights_only=True)` and checks the config; if the files are missing it trains them here,
# with a progress bar (a few minutes).

# %%
for name in pretrain.SPECS:
    pretrain.load_pretrained(name, train_if_missing=True)  # verified, or trained now if missing
    meta = pretrain.read_metadata(name)
    print(f"{name}: {meta['architecture']} {meta['config']}, {meta['parameters']:,} parameters, "
          f"{meta['bytes'] / 1e6:.2f} MB; held-out-drawer accuracy on the 600 source classes "
          f"{meta['accuracy']['held_out_drawers']:.3f} (chance {meta['accuracy']['chance']:.4f}); "
          f"sha256 {meta['sha256'][:12]}...")

# %% [markdown]
# ## 2. Two targets
#
# - **Near**: characters of the *evaluation* alphabets, which the backbone never saw. Same kind of
#   drawing, new classes. Labels come from drawers 0-9, the test from drawers 10-19.
# - **Far**: **HandDigits**, 1,797 real handwritten digit scans (scikit-learn's), 8x8 pixels blown up to
#   28x28: blurry, thick, and not glyphs at all. 70% is the pool labels are drawn from, 30% the test.
#
# With `DATASET = "cifar10"` the backbone is torchvision's ResNet-18 with ImageNet weights and the
# target a CIFAR-10 subset (this downloads once; offline it fails within seconds, naming this default).

# %%
def scratch_imagenet_backbone():
    return pretrain.ImageNetBackbone("resnet18", pretrained=False)


if DATASET == "glyphs":
    evaluation = glyphs("evaluation", seed=SEED)
    g = torch.Generator().manual_seed(SEED)
    near_classes = torch.randperm(evaluation.n_classes, generator=g)[: cfg["near_classes"]].tolist()
    near = evaluation.select_classes(near_classes)
    near_pool = near.subset(torch.nonzero(near.drawers < 10).flatten())   # labels come from here
    near_test = near.subset(torch.nonzero(near.drawers >= 10).flatten())  # other drawers, for testing
    far_pool, far_test = hand_digits().split(0.3, seed=0)
    targets = {"near": (near_pool, near_test), "far": (far_pool, far_test)}
    make_backbone = lambda: pretrain.load_pretrained("conv4-glyphs")  # noqa: E731
    make_scratch = Conv4  # the same architecture, randomly initialised
else:
    far_pool, far_test = pretrain.real_target(DATASET, per_class=100, test_per_class=100, seed=SEED)
    targets = {"far": (far_pool, far_test)}
    make_backbone = lambda: pretrain.ImageNetBackbone("resnet18")  # noqa: E731
    make_scratch = scratch_imagenet_backbone
for name, (pool, test) in targets.items():
    print(f"{name}: {pool.name}, {pool.n_classes} classes, a pool of {len(pool)} to draw labels from, "
          f"{len(test)} test images")
viz.image_grid(torch.cat([pool.images[:10].expand(-1, 3, -1, -1) for pool, _ in targets.values()]), nrow=10,
               suptitle="top: " + " · bottom: ".join(f"{k} target" for k in targets));

# %% [markdown]
# ## 3. The idea: a new head, small steps, and more freedom where it is needed
#
# The pretrained network ends in a 600-way layer for the source characters. That layer is thrown away and
# a fresh `nn.Linear(64, n_target_classes)` takes its place (`finetune.replace_head`). Then everything
# trains on the target by gradient descent, $\theta \leftarrow \theta - \eta_l \nabla_\theta L$, with a
# learning rate $\eta_l$ that depends on where parameter group $l$ sits:
#
# $$\eta_{\text{head}} = m\,\eta, \qquad \eta_{\text{block } l} = \eta\, d^{\,L-1-l}$$
#
# The new head starts from nothing and needs large steps ($m = 10$); the pretrained blocks are already
# good and should move little ($\eta$ about a tenth of the from-scratch rate; $d \le 1$ shrinks the rate of
# lower, more generic blocks further). **Gradual unfreezing** (Howard & Ruder, 2018) trains the head alone
# first and unfreezes one block per stage from the top, so the random head's first, large gradients never
# reach the lower blocks.

# %%
source_model = Classifier(make_backbone(), 600)        # the shape of the source task: 600 characters
new_head = finetune.replace_head(source_model, 10, seed=SEED)  # a fresh head for a 10-class target
groups = finetune.param_groups(source_model, LR_BACKBONE, head_mult=10)
viz.results_table([{"group": g["name"], "parameters": sum(p.numel() for p in g["params"]), "learning rate": g["lr"]}
                   for g in groups], title="Layer-wise learning rates (head 10x the backbone)", digits=5)

# %%
n_blocks = len(groups) - 1
schedule = finetune.unfreezing_schedule(n_blocks, 10)
print("gradual unfreezing over 10 epochs, blocks unfrozen per epoch:", schedule)
for stage in sorted(set(schedule)):
    finetune.unfreeze_top(source_model, stage)
    print(f"  stage {stage}: {finetune.trainable_fraction(source_model):6.1%} of the parameters train")
finetune.unfreeze(source_model)

# %% [markdown]
# ## 4. Four ways to learn from 5 labels per class
#
# Every method below gets the same labelled examples (5 per class, drawn with `SEED`), the same number of
# optimizer steps (and at least 4 passes over the labels) and batch size, and is tested on the same
# held-out images:
#
# - **scratch**: the same architecture, randomly initialised, at the rate tuned for it;
# - **fine-tune, one small lr**: everything, head included, at the backbone's small rate;
# - **layer-wise lr**: the backbone at the small rate, the head at 10x;
# - **gradual unfreezing**: layer-wise rates, the head alone first, then one more block per stage.
#
# A **pixel nearest-neighbour** classifier (each test image takes the label of the closest labelled image)
# shows what the labels alone give.

# %%
METHODS = {  # name -> (pretrained?, arguments of finetune.fine_tune)
    "scratch": (False, {"method": "scratch", "lr": LR_SCRATCH}),
    "fine-tune, one small lr": (True, {"method": "full", "lr": LR_BACKBONE}),
    "layer-wise lr (head 10x)": (True, {"method": "layerwise", "lr": LR_BACKBONE, "head_mult": 10}),
    "gradual unfreezing": (True, {"method": "gradual", "lr": LR_BACKBONE, "head_mult": 10}),
}


def model_maker(pretrained: bool, n_classes: int):
    return lambda: Classifier(make_backbone() if pretrained else make_scratch(), n_classes)


def run(target: str, method: str, labels_per_class):
    pool, test = targets[target]
    pretrained, kwargs = METHODS[method]
    return finetune.fine_tune_run(model_maker(pretrained, pool.n_classes), pool, test,
                                  labels_per_class=labels_per_class, steps=STEPS, min_epochs=MIN_EPOCHS,
                                  batch_size=BATCH, seed=SEED, device=device, **kwargs)


def pixel_nearest_neighbour(target: str, labels_per_class: int) -> float:
    pool, test = targets[target]
    picked, _ = pool.take_per_class(labels_per_class, seed=SEED)
    nearest = torch.cdist(test.images.flatten(1), picked.images.flatten(1)).argmin(1)
    return (picked.targets[nearest] == test.targets).float().mean().item()


runs = {}
for target in targets:
    for method in METHODS:
        runs[target, method, 5] = run(target, method, 5)
        print(f"{target:5s} {method:26s} test accuracy {runs[target, method, 5]['accuracy']:.3f} "
              f"({runs[target, method, 5]['seconds']:.1f} s)")
pixel_nn = {target: pixel_nearest_neighbour(target, 5) for target in targets}
print("pixel nearest neighbour:", {t: round(a, 3) for t, a in pixel_nn.items()})

# %%
viz.plot_accuracy_and_time([{"method": f"{t} · {m}", "accuracy": runs[t, m, 5]["accuracy"],
                             "seconds": runs[t, m, 5]["seconds"]} for t in targets for m in METHODS],
                           title="5 labels per class: the same labels, steps and test images for every method");

# %% [markdown]
# ## 5. How many labels does pretraining save? A learning curve on the far target
#
# The same comparison, scratch against layer-wise fine-tuning, from 1 label per class to the whole pool
# ("all"), with the same step budget (large budgets get their 4 passes over the data). The shaded band is
# the gap between the two.

# %%
far = "far"
budgets = cfg["budgets"]
curve_methods = ["scratch", "layer-wise lr (head 10x)"]
for k in budgets:
    for method in curve_methods:
        if (far, method, k) not in runs:
            runs[far, method, k] = run(far, method, k)
budget_sizes = [k if k is not None else round(len(targets[far][0]) / targets[far][0].n_classes) for k in budgets]
curves = {method: [runs[far, method, k]["accuracy"] for k in budgets] for method in curve_methods}
gaps = [ft - sc for ft, sc in zip(curves[curve_methods[1]], curves[curve_methods[0]])]
tick_labels = [str(k) if k is not None else f"all (~{n})" for k, n in zip(budgets, budget_sizes)]
print("fine-tuned minus scratch, per budget:", dict(zip(tick_labels, [round(g, 3) for g in gaps])))
viz.plot_learning_curve(budget_sizes, curves, tick_labels=tick_labels,
                        title=f"{far} target: fine-tuned vs scratch ({STEPS} steps each)");

# %% [markdown]
# ## 6. The same for a recurrent network: pen trajectories
#
# The GRU encoder was pretrained on the trajectories of the background characters (the pen's $(x, y)$ and
# pen-up marks, point by point). Here it gets a new head for the near target's characters, read as
# trajectories, and is compared with a GRU trained from scratch and with the pretrained GRU kept frozen
# (head only). The trajectory model takes the same `fine_tune_run` as the CNN: only the input field
# changes.

# %%
if DATASET == "glyphs":
    def gru_maker(pretrained: bool):
        def make():
            encoder = pretrain.load_pretrained("gru-glyphs") if pretrained else GRUEncoder()
            return Classifier(pretrain.TrajectoryEncoder(encoder), near_pool.n_classes)
        return make

    GRU_METHODS = {
        "GRU scratch": (False, {"method": "scratch", "lr": LR_SCRATCH}),
        "GRU pretrained, head only": (True, {"method": "head", "lr": LR_SCRATCH}),
        "GRU pretrained, layer-wise lr": (True, {"method": "layerwise", "lr": LR_BACKBONE, "head_mult": 10}),
    }
    for method, (pretrained, kwargs) in GRU_METHODS.items():
        runs["near", method, 5] = finetune.fine_tune_run(
            gru_maker(pretrained), near_pool, near_test, labels_per_class=5, steps=STEPS, min_epochs=MIN_EPOCHS,
            batch_size=BATCH, seed=SEED, device=device, inputs="trajectories", **kwargs)
        print(f"{method:30s} test accuracy {runs['near', method, 5]['accuracy']:.3f}")
    gru_model = runs["near", "GRU pretrained, layer-wise lr", 5]["model"]
    print(f"the GRU classifier has {count_parameters(gru_model):,} parameters")
else:
    GRU_METHODS = {}
    print("trajectories exist only in Glyphs: this section runs with DATASET = 'glyphs'")

# %% [markdown]
# ## 7. Try it yourself
#
# The panel trains one fine-tuning run on the far target with the learning rate, the number of unfrozen
# blocks (counted from the top; the head always trains, at 10x the rate) and the label budget you choose,
# and puts the result on the learning curve above. Try a learning rate of 1e-2 with every block unfrozen,
# or 0 unfrozen blocks (a linear classifier on frozen features).

# %%
panel = widgets.fine_tune_panel(model_maker(True, targets[far][0].n_classes), *targets[far], n_blocks=n_blocks,
                                budgets=[k for k in budgets if k is not None][:3], lr=LR_BACKBONE, steps=STEPS,
                                min_epochs=MIN_EPOCHS, batch_size=BATCH, seed=SEED, device=device,
                                curve=(budget_sizes, curves, tick_labels))
widgets.drive(panel, click="train", lr=1e-3, blocks=2, labels=5)  # what a user would do; errors fail the run
panel

# %% [markdown]
# ## 8. Results
#
# All numbers from this run; the seconds are training time on this machine.

# %% tags=["results"]
rows = [{"target": t, "method": "pixel nearest neighbour", "labels/class": 5, "accuracy": pixel_nn[t],
         "seconds": None} for t in targets]
rows += [{"target": t, "method": m, "labels/class": "all" if k is None else k, "accuracy": r["accuracy"],
          "seconds": r["seconds"]} for (t, m, k), r in runs.items()]
results = viz.results_table(rows, title=f"Fine-tuning vs scratch ({DATASET}, seed {SEED}, {STEPS} steps per run)")
results

# %% [markdown]
# ## 9. What the text claimed, checked

# %%
acc = lambda t, m, k=5: runs[t, m, k]["accuracy"]  # noqa: E731
if DATASET == "glyphs":
    # far target (real digits): fine-tuning beats scratch when labels are few (1 and 5 per class, on average)
    few = (gaps[budgets.index(1)] + gaps[budgets.index(5)]) / 2
    assert few > 0.01, gaps
    # ... and the gap narrows as labels grow: with all of them the two end within 4 points of each other
    assert few > gaps[-1] and abs(gaps[-1]) < 0.04, gaps
    # near target: every pretrained variant with a fast head beats scratch
    for m in ["layer-wise lr (head 10x)", "gradual unfreezing"]:
        assert acc("near", m) > acc("near", "scratch"), (m, acc("near", m), acc("near", "scratch"))
    # one small rate for everything starves the new head: layer-wise rates do better on both targets
    for t in targets:
        assert acc(t, "layer-wise lr (head 10x)") > acc(t, "fine-tune, one small lr"), t
    # the pretrained GRU beats a GRU from scratch on new characters at 5 examples per class
    assert acc("near", "GRU pretrained, layer-wise lr") > acc("near", "GRU scratch")
    # learning beats looking up the nearest labelled image
    assert min(acc(t, "layer-wise lr (head 10x)") - pixel_nn[t] for t in targets) > 0
print(f"notebook ran in {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - Fine-tuning = **new head** + **small steps** for what was learned: the pretrained blocks at a tenth of
#   the from-scratch rate, the head at 10x that. One small rate for everything leaves the new head
#   half-trained in the same number of steps.
# - **Gradual unfreezing** trains the head first and opens the network from the top down; with few steps it
#   lands next to plain layer-wise rates (see the table).
# - Pretraining is worth most when labels are **scarce**: on real handwritten digits the gap to scratch is
#   largest at a few labels per class and closes as labels grow (the learning curve).
# - Everything carries over to **recurrent networks**: a GRU pretrained on pen trajectories of the
#   background characters learns new characters from 5 examples better than one from scratch.
#
# ## Exercises
# 1. Set `LR_BACKBONE = LR_SCRATCH` (no smaller rate for the pretrained blocks). What happens at 1 and 5
#    labels per class, and why?
# 2. Pass `decay=0.5` to the layer-wise method (`METHODS[...][1]["decay"] = 0.5`), so each lower block
#    moves half as fast as the one above. Does the far target, whose low-level statistics differ most,
#    prefer that or the opposite?
# 3. Fine-tune with `trainable_blocks=0` (a linear head on frozen features) at 1, 5 and 20 labels per
#    class. Where does freezing win? Notebook 02 follows this idea.
# 4. With a GPU, run `SIZE = "full"` and `DATASET = "cifar10"`: an ImageNet ResNet-18 on CIFAR-10. Is the
#    gap at few labels larger or smaller than here, and why?
