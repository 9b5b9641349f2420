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
# # 01 · Fine-tuning: a pretrained network, a new head, gentle learning rates
#
# **Start from a network trained on 600 glyph characters, give it a new head, and teach it new
# characters and real handwritten digits from a handful of labels.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F01_fine_tuning.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/01_fine_tuning.ipynb) <!-- badges -->
#
# Runtime: about 1.5 minutes on a 2-core laptop CPU (once the Glyphs sets are cached, see notebook 00). No
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
DATASET = "glyphs"  # "glyphs" (offline: Glyphs + HandDigits) or "cifar10" (ImageNet ResNet-18, CIFAR-10 subset)
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: more steps, more labels in the pool
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import copy
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from tlearn import checks, compare, finetune, pretrain, viz, widgets
from tlearn.backbones import Classifier, Conv4, GRUEncoder
from tlearn.data import glyphs, hand_digits, textured
from tlearn.exercises_transfer import check_layerwise_groups
from tlearn.results import over_seeds
from tlearn.train import get_device, seed_everything

run_start = time.perf_counter()
checks.choice("DATASET", DATASET, ["glyphs", "cifar10"])  # "omniglot" has no same-label target here: notebook 05
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {  # optimizer steps per run (batch 25): the quick size trains each run for 1-2 s on a 2-core CPU
    "quick": {"steps": 60, "near_classes": 20, "budgets": [1, 5, None]},
    "full": {"steps": 400, "near_classes": 50, "budgets": [1, 2, 5, 10, 20, 50, None]},
}
cfg = SIZES[SIZE]
STEPS, BATCH = cfg["steps"], 25
MIN_EPOCHS = 4           # ... but at least 4 passes over the labelled data, so large budgets are learned too
LR_SCRATCH = 3e-3        # tuned for training from scratch
LR_BACKBONE = 3e-4       # pretrained layers: ten times smaller
SEEDS = [SEED, SEED + 1, SEED + 2]  # label draws and initialisations, for every ranking the text states
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
    print(f"{name}: {meta['architecture']}, {meta['parameters']:,} parameters, {meta['bytes'] / 1e6:.2f} MB; accuracy on "
          f"held-out drawers of the 600 source classes {meta['accuracy']['held_out_drawers']:.3f}")

# %% [markdown]
# ## 2. Two targets
#
# - **Near**: characters of the *evaluation* alphabets, which the backbone never saw. Same kind of
#   drawing, new classes. Labels come from drawers 0-9, the test from drawers 10-19.
# - **Far**: **HandDigits**, 1,797 real handwritten digit scans (scikit-learn's), 8x8 pixels blown up to
#   28x28: blurry, thick, and not glyphs at all. 70% is the pool labels are drawn from, 30% the test.
#   What it is not: a writer-independent test. The 1,797 digits come from 13 writers and the random split
#   puts the same writers on both sides, so the far accuracies are somewhat optimistic.
#
# With `DATASET = "cifar10"` the backbone is torchvision's ResNet-18 with ImageNet weights and the
# target a CIFAR-10 subset (this downloads once; offline it fails within seconds, naming this default).
# `"omniglot"` is refused: its evaluation characters are new classes, so a head trained on background
# labels means nothing there; notebook 05 is where Omniglot runs.

# %%
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
    make_scratch = lambda: pretrain.ImageNetBackbone("resnet18", pretrained=False)  # noqa: E731
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
#
# The update tlearn actually runs is not plain gradient descent but **Adam** (Kingma & Ba, 2015), with the
# group's rate $\eta_l$ in place of $\alpha$. With $g_t$ the gradient at step $t$:
#
# $$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
# \theta_t = \theta_{t-1} - \eta_l\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}$$
#
# ($\beta_1 = 0.9$, $\beta_2 = 0.999$, $\epsilon = 10^{-8}$). Dividing by $\sqrt{v_t}$ makes each step move a
# weight by about $\eta_l$ whatever its gradient's scale, so $\eta_l$ reads directly as "how far this group
# may travel per step". Freezing sets `requires_grad = False`; batch-norm **running statistics** are buffers,
# not parameters, so a frozen block in training mode still re-estimates them on the target batches, unless
# `freeze_bn=True` keeps it in eval mode.
#
# ## The method in plain PyTorch
#
# The new head, two parameter groups (backbone at $\eta$, head at $10\eta$) and one Adam step, written with
# torch alone on 5 labelled far-target images per class (in float64, so that the sums agree to the last
# digits with tlearn's):

# %%
pretrained_net = Classifier(make_backbone(), 600).double()  # the source model: 600-way head
batch = targets[list(targets)[-1]][0].take_per_class(5, seed=SEED)[0]
x, y = batch.images.double(), batch.targets

# %% tags=["from-scratch"]
import torch.nn.functional as F

net = copy.deepcopy(pretrained_net)
torch.manual_seed(SEED)
net.head = torch.nn.Linear(net.head.in_features, int(y.max()) + 1).double()  # 1. a fresh head for the target
head = list(net.head.parameters())
body = [p for p in net.parameters() if all(p is not q for q in head)]
groups_by_hand = [{"params": body, "lr": LR_BACKBONE}, {"params": head, "lr": 10 * LR_BACKBONE}]  # 2. eta, m*eta
beta1, beta2, eps, t = 0.9, 0.999, 1e-8, 1  # 3. one Adam step (t = 1, moments start at 0)
net.train()
loss = F.cross_entropy(net(x), y)                     # L = mean_i -log softmax(f(x_i))_{y_i}
pairs = [(p, group["lr"]) for group in groups_by_hand for p in group["params"]]
grads = torch.autograd.grad(loss, [p for p, _ in pairs])  # g_t
with torch.no_grad():
    for (p, lr), g_t in zip(pairs, grads):
        m = beta1 * 0 + (1 - beta1) * g_t             # m_t = b1 m_{t-1} + (1 - b1) g_t
        v = beta2 * 0 + (1 - beta2) * g_t ** 2        # v_t = b2 v_{t-1} + (1 - b2) g_t^2
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)  # bias correction
        p -= lr * m_hat / (v_hat.sqrt() + eps)        # theta_t = theta_{t-1} - eta_l m_hat / (sqrt(v_hat) + eps)

# %%
ours = copy.deepcopy(pretrained_net)  # the same step through tlearn: replace_head, param_groups inside fine_tune
finetune.replace_head(ours, int(y.max()) + 1, seed=SEED)
finetune.fine_tune(ours, (x, y), method="layerwise", lr=LR_BACKBONE, head_mult=10, epochs=1, batch_size=len(x),
                   seed=SEED, device="cpu", progress=False)
step_gap = max((a - b).abs().max().item() for a, b in zip(net.parameters(), ours.parameters()))
moved = max((a - b).abs().max().item() for a, b in zip(net.parameters(), pretrained_net.backbone.parameters()))
print(f"largest difference from tlearn's step: {step_gap:.1e}; the backbone moved by up to {moved:.1e} (about eta)")
assert step_gap < 1e-5 and moved > LR_BACKBONE / 3, (step_gap, moved)

# %%
source_model = Classifier(make_backbone(), 600)        # the shape of the source task: 600 characters
new_head = finetune.replace_head(source_model, 10, seed=SEED)  # a fresh head for a 10-class target
groups = finetune.param_groups(source_model, LR_BACKBONE, head_mult=10)
viz.results_table([{"group": g["name"], "parameters": sum(p.numel() for p in g["params"]), "learning rate": g["lr"]}
                   for g in groups], title="Layer-wise learning rates (head 10x the backbone)", digits=5)

# %%
n_blocks = len(groups) - 1
print("gradual unfreezing over 10 epochs, blocks unfrozen per epoch:", finetune.unfreezing_schedule(n_blocks, 10))
for stage in range(n_blocks + 1):
    finetune.unfreeze_top(source_model, stage)
    print(f"  stage {stage}: {finetune.trainable_fraction(source_model):6.1%} of the parameters train")

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
    "frozen, head only": (True, {"method": "head", "lr": LR_SCRATCH, "freeze_bn": True}),
}
runs = {}  # (target, method, labels per class, seed) -> result of fine_tune_run


def model_maker(pretrained: bool, n_classes: int):
    return lambda: Classifier(make_backbone() if pretrained else make_scratch(), n_classes)


def run(target: str, method: str, labels_per_class, seed=SEED):
    if (target, method, labels_per_class, seed) not in runs:
        (pool, test), (pretrained, kwargs) = targets[target], METHODS[method]
        runs[target, method, labels_per_class, seed] = finetune.fine_tune_run(
            model_maker(pretrained, pool.n_classes), pool, test, labels_per_class=labels_per_class, steps=STEPS,
            min_epochs=MIN_EPOCHS, batch_size=BATCH, seed=seed, device=device, **kwargs)
    return runs[target, method, labels_per_class, seed]


def acc(target, method, k=5, seeds=(SEED,)):  # mean test accuracy over seeds (label draw + initialisation)
    return sum(run(target, method, k, s)["accuracy"] for s in seeds) / len(seeds)


for t, m in [(t, m) for t in targets for m in list(METHODS)[:4]]:
    print(f"{t:5s} {m:26s} test accuracy {acc(t, m):.3f} ({run(t, m, 5)['seconds']:.1f} s)")
picked = {t: targets[t][0].take_per_class(5, seed=SEED)[0] for t in targets}  # pixel 1-NN: the closest labelled image
pixel_nn = {t: (picked[t].targets[torch.cdist(test.images.flatten(1), picked[t].images.flatten(1)).argmin(1)]
                == test.targets).float().mean().item() for t, (_, test) in targets.items()}
print("pixel nearest neighbour:", {t: round(a, 3) for t, a in pixel_nn.items()})

# %%
viz.plot_accuracy_and_time([{"method": f"{t} · {m}", "accuracy": acc(t, m), "seconds": run(t, m, 5)["seconds"]}
                            for t in targets for m in list(METHODS)[:4]],
                           title="5 labels per class: the same labels, steps and test images for every method");

# %% [markdown]
# One run ranks nothing. Layer-wise rates against one small rate, over three seeds (each a new label draw
# and a new head), mean and range:

# %%
one, lw = "fine-tune, one small lr", "layer-wise lr (head 10x)"
lw_margin = {t: acc(t, lw, seeds=SEEDS) - acc(t, one, seeds=SEEDS) for t in targets}  # runs seeds 1 and 2 too
viz.results_table([r for r in over_seeds(runs, ["target", "method", "labels/class"]) if r["method"] in (one, lw)],
                  title=f"5 labels per class, mean and range over seeds {SEEDS}")

# %% [markdown]
# ## 5. How many labels does pretraining save? A learning curve on the far target
#
# The same comparison, scratch against layer-wise fine-tuning, from 1 label per class to the whole pool
# ("all"), with the same step budget (large budgets get their 4 passes over the data). The shaded band is
# the gap between the two.
#
# Each point is **one run**: one label draw, one initialisation. At 1 label per class the gap swings with
# which ten images were drawn (run this notebook with `SEED = 1` and `2` to see by how much), so the curve's
# left end ranks nothing. What holds over three seeds is checked at the end: at 5 labels per class
# fine-tuning leads (section 4), the lead is smaller at 10 (section 6), and with all labels the two end
# within a few points of each other. (That is HandDigits. CIFAR-10's pool holds 100 labels per class, and
# there the check is only that fine-tuning still leads at its end.)

# %%
far = list(targets)[-1]
budgets = cfg["budgets"]
budget_sizes = [k if k is not None else round(len(targets[far][0]) / targets[far][0].n_classes) for k in budgets]
curves = {method: [acc(far, method, k) for k in budgets] for method in ["scratch", lw]}
gaps = [ft - sc for ft, sc in zip(curves[lw], curves["scratch"])]
tick_labels = [str(k) if k is not None else f"all (~{n})" for k, n in zip(budgets, budget_sizes)]
print("fine-tuned minus scratch, per budget:", dict(zip(tick_labels, [round(g, 3) for g in gaps])))
viz.plot_learning_curve(budget_sizes, curves, tick_labels=tick_labels,
                        title=f"{far} target: fine-tuned vs scratch ({STEPS} steps each)");

# %% [markdown]
# ## 6. Similarity × data size: frozen, fine-tuned or from scratch?
#
# The classic guide (CS231n's rule; Yosinski et al. 2014; Kornblith et al. 2019) crosses how similar the
# target is to the source with how many labels it has. Each cell below: the pretrained backbone **frozen**
# (head only, `freeze_bn=True` so that not even the batch-norm statistics move), **fine-tuned** with
# layer-wise rates, and **scratch**, each over the three seeds. Few = 5 labels per class; more =
# 10 per class, all the near pool has (its test images are the other 10 drawers). This is a reduced grid (two
# close budgets; the learning curve above covers the far target's size axis); its cost is printed below.
#
# HandDigits is a mild far target: scratch already does well at 5 labels per class (printed below). So the
# grid adds a **textured** far target where scratch is weak: the same digits blended into patches of real
# photographs (MNIST-M's recipe, notebook 03b), averaged to grey because the Conv4 reads grey glyphs, at 5
# labels per class only (to stay within the time budget). Nothing in the pretrained backbone has seen
# texture. The box after the grid confronts the source text with the numbers of the near target and HandDigits.

# %%
grid_start = time.perf_counter()
if "near" in targets:  # a far target on which scratch is weak: HandDigits on photographs, grey for the Conv4
    targets["textured"] = textured(hand_digits(), grey=True).split(0.3, seed=0)
GRID, GRID_BUDGETS = ["frozen, head only", lw, "scratch"], [5, 10]
grid = {(t, k, m): acc(t, m, k, seeds=SEEDS) for t in targets for k in GRID_BUDGETS[: 1 if t == "textured" else 2] for m in GRID}
print(f"the grid took {time.perf_counter() - grid_start:.0f} s; scratch, 5 labels/class: " + ", ".join(f"{t} {grid[t, 5, 'scratch']:.3f}" for t in targets))
fig, axes = plt.subplots(1, len(targets), figsize=(4.5 * len(targets), 3.2), squeeze=False, sharey=True)
for ax, t in zip(axes[0], targets):
    ks = [k for k in GRID_BUDGETS if (t, k, lw) in grid]
    viz.plot_learning_curve(ks, {m: [grid[t, k, m] for k in ks] for m in GRID}, shade=False, ax=ax,
                            title=f"{t} target, mean of {len(SEEDS)} seeds")

# %%
frozen_minus_ft = {t: grid[t, 5, GRID[0]] - grid[t, 5, lw] for t in targets}
ft_minus_scratch = {t: grid[t, 5, lw] - grid[t, 5, "scratch"] for t in targets}
if "near" in targets:  # the box needs a near and a far target
    box = compare.source_text_claims(lambda t, m, k: grid[t, k, m], "near", far, GRID_BUDGETS, probe=GRID[0],
                                     fine_tuning=lw, scratch="scratch")
    display(Markdown(compare.claims_markdown(box)))

# %% [markdown]
# ## 7. The same for a recurrent network: pen trajectories
#
# The GRU encoder was pretrained on the trajectories of the background characters (the pen's $(x, y)$ and
# pen-up marks, point by point). Here it gets a new head for the near target's characters, read as
# trajectories, and is compared with a GRU trained from scratch and with the pretrained GRU kept frozen
# (head only). The trajectory model takes the same `fine_tune_run` as the CNN: only the input field
# changes.

# %%
if DATASET == "glyphs":
    def gru_maker(pretrained: bool):  # a GRU classifier of trajectories, its encoder pretrained or fresh
        return lambda: Classifier(pretrain.TrajectoryEncoder(pretrain.load_pretrained("gru-glyphs") if pretrained
                                                             else GRUEncoder()), near_pool.n_classes)

    GRU_METHODS = {"GRU scratch": METHODS["scratch"], "GRU pretrained, head only": (True, {"method": "head", "lr": LR_SCRATCH}),
                   "GRU pretrained, layer-wise lr": METHODS[lw]}  # the CNN's recipes (a GRU has no batch norm to freeze)
    for method, (pretrained, kwargs) in GRU_METHODS.items():
        runs["near", method, 5, SEED] = finetune.fine_tune_run(
            gru_maker(pretrained), near_pool, near_test, labels_per_class=5, steps=STEPS, min_epochs=MIN_EPOCHS,
            batch_size=BATCH, seed=SEED, device=device, inputs="trajectories", **kwargs)
        print(f"{method:30s} test accuracy {acc('near', method):.3f}")
else:
    print("trajectories exist only in Glyphs: this section runs with DATASET = 'glyphs'")

# %% [markdown]
# ## 8. Try it yourself
#
# The panel trains one fine-tuning run on the far target with the learning rate, the number of unfrozen
# blocks (counted from the top; the head always trains, at 10x the rate) and the label budget you choose,
# and puts the result on the learning curve above. Try a learning rate of 1e-2 with every block unfrozen,
# or 0 unfrozen blocks: a linear classifier on frozen weights, though not on frozen *features*, since the
# panel leaves `freeze_bn` off and the batch-norm statistics still follow the target batches.

# %%
panel = widgets.fine_tune_panel(model_maker(True, targets[far][0].n_classes), *targets[far], n_blocks=n_blocks,
                                budgets=[k for k in budgets if k is not None][:3], lr=LR_BACKBONE, steps=STEPS,
                                min_epochs=MIN_EPOCHS, batch_size=BATCH, seed=SEED, device=device,
                                curve=(budget_sizes, curves, tick_labels))
panel

# %% tags=["remove-cell"]
widgets.drive(panel, click="train", lr=1e-3, blocks=2, labels=5)  # what a user would do; errors fail the run

# %% [markdown]
# ## 9. Results
#
# All numbers from this run; where a method ran with several seeds the accuracy is their mean and the
# range is shown. The seconds are training time on this machine (first seed).

# %% tags=["results"]
rows = [{"target": t, "method": "pixel nearest neighbour", "labels/class": 5, "seeds": 1, "accuracy": pixel_nn[t],
         "range": None, "seconds": None} for t in pixel_nn]
rows += [r | {"labels/class": r["labels/class"] or "all"} for r in over_seeds(runs, ["target", "method", "labels/class"])]
results = viz.results_table(rows, title=f"Fine-tuning vs scratch ({DATASET}, seed {SEED}, {STEPS} steps per run)")
results

# %% [markdown]
# ## 10. What the text claimed, checked
#
# On the far target, averaged over the three seeds. With `DATASET = "cifar10"` two claims change, as the
# text says: CIFAR-10's whole pool is 100 labels per class, still few for a network learning from scratch,
# so the check is that fine-tuning leads at every budget from 5 up (ImageNet pretraining helps CIFAR-10
# most with few labels: Kornblith et al. 2019); and for the learning rates the check is that both
# pretrained starts lead scratch, without claiming which of the two rates wins there. The near-target
# checks have no near target to run on.

# %%
# far target: fine-tuning beats scratch at 5 labels per class by >= 2 points (mean of 3 seeds) ...
assert ft_minus_scratch[far] > 0.02, ft_minus_scratch
if DATASET == "glyphs":
    # ... on HandDigits the lead shrinks with labels: smaller at 10 per class than at 5 (means of 3 seeds), and
    # with all labels the two end within 4 points (one run)
    assert abs(gaps[-1]) < 0.04 and grid[far, 10, lw] - grid[far, 10, "scratch"] < ft_minus_scratch[far], gaps
    # one small rate for everything starves the new head: layer-wise rates ahead on the mean of 3 seeds on every
    # target (by >= 10 points on the near one; on the far one the ranges overlap, see the table)
    assert min(lw_margin.values()) > 0.01 and lw_margin["near"] > 0.10, lw_margin
else:
    # ... on CIFAR-10 the lead holds at every budget from 5 labels per class to the whole pool (one run each),
    # and one small rate for everything leads scratch too, as layer-wise rates do (means of 3 seeds)
    assert min(gaps[budgets.index(5):]) > 0 and acc(far, one, seeds=SEEDS) > acc(far, "scratch", seeds=SEEDS), gaps
# learning beats looking up the nearest labelled image (mean of 3 seeds): by >= 30 points on new characters, by
# >= 1 point on HandDigits, whose pixels alone already do well
assert all(acc(t, lw, seeds=SEEDS) - pixel_nn[t] > (0.30 if t == "near" else 0.01) for t in pixel_nn), pixel_nn
if "near" in targets:
    # near target: fine-tuning beats scratch by >= 10 points, and freezing stays within 3 points of it
    assert ft_minus_scratch["near"] > 0.10, ft_minus_scratch
    # textured far target: scratch under 80% at 5 labels, and there pretraining on glyphs *hurts* (mean of 3 seeds):
    # scratch ahead of fine-tuning by >= 5 points, and the frozen backbone behind both
    assert grid["textured", 5, "scratch"] < 0.8 and -ft_minus_scratch["textured"] > 0.05 and frozen_minus_ft["textured"] < 0
    assert frozen_minus_ft["near"] > -0.03, frozen_minus_ft
    # the pretrained GRU beats a GRU from scratch on new characters at 5 examples per class by >= 10 points
    assert acc("near", "GRU pretrained, layer-wise lr") - acc("near", "GRU scratch") > 0.10
print(f"notebook ran in {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - Fine-tuning = **new head** + **small steps** for what was learned: the pretrained blocks at a tenth of
#   the from-scratch rate, the head at 10x that, applied through Adam's per-weight step. One small rate for
#   everything leaves the new head half-trained in the same number of steps: far behind on the near target
#   over three seeds, a little behind on the far one, where the seeds' ranges overlap.
# - **Gradual unfreezing** trains the head first and opens the network from the top down; with few steps it
#   lands next to plain layer-wise rates (one run: see the table).
# - Pretraining is worth most when labels are **scarce**: on real handwritten digits fine-tuning leads
#   scratch at 5 labels per class, leads by less at 10 (both on the mean of three seeds), and the two end
#   level with all labels. HandDigits is an easy far target, so the lead is a few points, not tens.
# - **Negative transfer**: on a target unlike anything the backbone saw, digits on grey photographs,
#   pretraining on glyphs *hurts*. Scratch beats fine-tuning at 5 labels per class and the frozen backbone
#   is worst of the three (section 6, means of three seeds): a pretrained start is a prior, and a wrong
#   prior costs labels to unlearn.
# - **Freeze or fine-tune** depends on similarity and data size: section 6 measures the four cells.
# - Everything carries over to **recurrent networks**: a GRU pretrained on pen trajectories of the
#   background characters learns new characters from 5 examples better than one from scratch.
#
# ## Exercises
# 1. **Implement** discriminative learning rates that decay by a factor per block: write
#    `my_param_groups(model, lr, head_mult, decay)` returning optimizer groups `{"params": [...], "lr": ...}`,
#    the head at `head_mult * lr`, the top block of `model.backbone.blocks` at `lr`, each block below at
#    `decay` times the one above. The next cell checks it against `finetune.param_groups`.

# %%
def my_param_groups(model, lr, head_mult, decay):
    return [{"params": list(model.parameters()), "lr": lr}]  # replace with your groups


check_layerwise_groups(my_param_groups);

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_param_groups(model, lr, head_mult, decay):
#     blocks = list(model.backbone.blocks)
#     groups = [{"params": list(b.parameters()), "lr": lr * decay ** (len(blocks) - 1 - i)}
#               for i, b in enumerate(blocks)]
#     return groups + [{"params": list(model.head.parameters()), "lr": head_mult * lr}]
# ```
# </details>
#
# 2. Pass `decay=0.5` to the layer-wise method (`METHODS[lw][1]["decay"] = 0.5`), so each lower block
#    moves half as fast as the one above. Does the far target, whose low-level statistics differ most,
#    prefer that or the opposite? Use three seeds before you answer.
# 3. Set `LR_BACKBONE = LR_SCRATCH` (no smaller rate for the pretrained blocks). What happens at 1 and 5
#    labels per class, and why?
# 4. Run the frozen method without `freeze_bn` on the far target. Do the batch-norm statistics of the
#    target alone help, as Li et al. (2016) found for domain shift?
# 5. With a GPU, run `SIZE = "full"` and `DATASET = "cifar10"`: an ImageNet ResNet-18 on CIFAR-10. Is the
#    gap at few labels larger or smaller than here, and why?
