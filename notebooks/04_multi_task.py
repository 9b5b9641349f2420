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
# # 04 · Multi-task learning: one network, two tasks
#
# **Teach one network two related tasks and it can learn each of them from fewer examples. Here you measure
# when that holds, and how much to share: everything, nothing, or something in between.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F04_multi_task.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/04_multi_task.ipynb) <!-- badges -->
#
# Runtime: about 55 s on a 2-core laptop CPU. No download, no GPU.
#
# ## What you will learn
# - **Single-task networks**, one per task: the baseline every multi-task model must beat.
# - **Hard parameter sharing**: one trunk, a head per task. Half the parameters, twice the labels per trunk.
# - **Soft parameter sharing**: a network per task, pulled together by an L2 penalty whose strength
#   $\lambda$ dials from independent networks to one shared network; you measure the distance it leaves.
# - **Cross-stitch units**: task networks that *learn* how much to mix, block by block.
# - **Task weighting**: equal weights, and weights learned from each task's uncertainty.
# - The same ideas for a CNN (two digits on one canvas) and an RNN (pen trajectories of glyphs).

# %% tags=["remove-cell"]
try:  # on Colab tlearn is missing: install it from the repository (elsewhere this cell does nothing)
    import tlearn  # noqa: F401
except ModuleNotFoundError:
    import subprocess, sys
    url = "git+https://github.com/tlearn-course/tlearn@main"
    print(f"tlearn is not installed here: installing it from {url} (a minute or two)", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", url], check=True)

# %% tags=["parameters"]
SEED = 0                # one seed gives the same numbers, run after run
DATASET = "syndigits"   # MultiDigits from font digits (offline); "handdigits": scikit-learn's real scans;
                        # "mnist" or "usps": canvases of real digits (downloaded once, needs a network)
SIZE = "quick"          # "quick" for a laptop CPU; "full" for wider networks, more data and epochs on a GPU
DEVICE = "auto"         # cuda, then mps, then cpu

# %%
import time

import torch
import torch.nn.functional as F

from tlearn import backbones, data, viz, widgets
from tlearn.multitask import (CrossStitch, HardSharing, SoftSharing, UncertaintyWeighting, evaluate_multitask,
                              fit_multitask, lambda_sweep)
from tlearn.train import count_parameters, get_device, seed_everything

seed_everything(SEED)
device = get_device(DEVICE)
notebook_start = time.perf_counter()
QUICK = SIZE == "quick"
# CNN on MultiDigits: canvas size, Conv4 width, training-set sizes (small, larger), epochs at each, test canvases
CNN_IMAGE, CNN_HIDDEN = ((16, 32), 16) if QUICK else ((28, 56), 64)
CNN_SIZES, CNN_EPOCHS, CNN_TEST = ((300, 900), (25, 8), 600) if QUICK else ((300, 3000), (50, 20), 2000)
CNN_LR, CNN_BATCH, CNN_LAMBDA = 0.02, 32, 0.05
# RNN on Glyphs trajectories: GRU width, drawings per character for training (small, larger), epochs at each
RNN_HIDDEN, RNN_SHOTS, RNN_EPOCHS = (64, (3, 12), (20, 5)) if QUICK else (128, (3, 14), (60, 30))
RNN_LR, RNN_BATCH, RNN_LAMBDA = 1e-2, 32, 0.01
LAMBDAS = (0.0, 1e-3, 1e-2, 1e-1)   # the soft-sharing dial, swept on the RNN (the panel also offers 1)
print(f"device: {device}; CNN sizes {CNN_SIZES}, RNN drawings per character {RNN_SHOTS}")

# %% [markdown]
# ## 1. Two tasks, one input
#
# **MultiDigits** puts two digits side by side on a 28x56 canvas. Task `left` names the left digit, task
# `right` the right one. In the quick setting the canvases are shrunk to 16x32 (each digit at the 16x16
# resolution of the USPS scans) so that seven networks train in well under a minute. The tasks are different (a network for `left` must ignore the right half) but they
# need the same knowledge: what a 3 looks like is the same on either side. That shared knowledge is what
# multi-task learning hopes to exploit.

# %%
def digit_canvases(digits, n, seed):
    """MultiDigits from any labelled digit set: two random digits side by side."""
    from tlearn.samplers import labels_of

    labels = labels_of(digits)
    pick = torch.randint(len(labels), (2, n), generator=torch.Generator().manual_seed(seed))
    image = lambda i: digits[int(i)][0][:1]  # noqa: E731  (grey: first channel)
    canvases = torch.stack([torch.cat([image(a), image(b)], dim=2) for a, b in zip(*pick)])
    return data.MultiDigits(canvases, {"left": labels[pick[0]], "right": labels[pick[1]]})


n_canvases = max(CNN_SIZES) + CNN_TEST
start = time.perf_counter()
if DATASET in ("syndigits", "handdigits"):
    multi = data.multi_digits(n_canvases, seed=SEED, source="syn" if DATASET == "syndigits" else "hand")
else:
    multi = digit_canvases(data.load(DATASET), n_canvases, SEED)
if multi.images.shape[2:] != CNN_IMAGE:  # smaller canvases train faster; digits stay legible at 16 x 16
    small_images = F.interpolate(multi.images, size=CNN_IMAGE, mode="bilinear", antialias=True, align_corners=False)
    multi = data.MultiDigits(small_images, multi.tasks)
digit_pool, digit_test = multi.subset(range(max(CNN_SIZES))), multi.subset(range(max(CNN_SIZES), n_canvases))
print(f"{multi}, built in {time.perf_counter() - start:.1f} s; "
      f"training sets are the first {CNN_SIZES} canvases, the last {len(digit_test)} are the test set")
viz.image_grid(multi.images[:10], nrow=5,
               titles=[f"left {int(a)}, right {int(b)}" for a, b in zip(multi.tasks["left"][:10], multi.tasks["right"][:10])]);

# %% [markdown]
# ## 2. How much to share
#
# Write $f_\theta$ for a *trunk* (here Conv4: four blocks of conv, batch norm, ReLU and pooling) and $g_t$
# for a linear *head* that maps the trunk's features to task $t$'s class scores. Three ways to arrange them:
#
# - **Single-task networks**: one trunk per task, $\hat y_t = g_t(f_{\theta_t}(x))$, each trained on its own
#   task. No sharing.
# - **Hard sharing** (Caruana, 1997): one trunk for all, $\hat y_t = g_t(f_\theta(x))$. The trunk's gradient is
#   the sum of every task's gradient: each canvas brings two labels to one set of filters.
# - **Soft sharing** (Duong et al., 2015): one trunk per task, as in the single-task case, but trained
#   together with a penalty on how far their parameters drift apart, layer by layer:
#
# $$\mathcal L = \sum_t w_t\, \mathcal L_t \;+\; \lambda \sum_{s<t}\ \sum_{\ell} \big\lVert \theta^{(\ell)}_s - \theta^{(\ell)}_t \big\rVert_2^2 .$$
#
#   At $\lambda = 0$ this *is* the pair of single-task networks; as $\lambda \to \infty$ the trunks are forced
#   to be equal, which is hard sharing. $\lambda$ is a dial between the two.
# - **Cross-stitch units** (Misra et al., 2016): one trunk per task, and after every block the task
#   activations are mixed, $\tilde h_s = \sum_t \alpha_{st} h_t$, with $\alpha$ learned. $\alpha = I$ is
#   independent networks; the network finds its own degree of sharing, block by block.
#
# Each model's `forward` returns a dict `{task: logits}`, so one loop (`fit_multitask`) trains them all with
# a cross-entropy per task, summed with weights $w_t$ (equal here; section 4 learns them), plus the
# penalty for soft sharing. A single-task network is just `HardSharing` with one task.

# %%
DIGIT_TASKS = {"left": 10, "right": 10}


def conv4():
    return backbones.Conv4(hidden=CNN_HIDDEN, image_size=CNN_IMAGE)


def sgd(model):
    """SGD with momentum for the CNNs (with `cosine=True`, its rate decays to zero over the run)."""
    return torch.optim.SGD(model.parameters(), lr=CNN_LR, momentum=0.9)


def train_and_score(method, models, train, test, size, optimizer=None, **fit_kwargs):
    """Train each model (one multi-task model, or one single-task model per task), score it on `test`."""
    accuracy, parameters, seconds = {}, 0, 0.0
    for model in models:
        history = fit_multitask(model, train, optimizer=optimizer(model) if optimizer else None, seed=SEED,
                                device=device, progress=False, **fit_kwargs)
        scores = evaluate_multitask(model, test, device=device)
        accuracy.update({task: scores[task] for task in model.tasks})
        parameters += count_parameters(model)
        seconds += history.total_seconds
    row = {"method": method, "train size": size, **accuracy, "mean": sum(accuracy.values()) / len(accuracy),
           "parameters": parameters, "seconds": seconds}
    return row, history


seed_everything(SEED)
shapes = {
    "single-task networks": [HardSharing(conv4(), {t: n}) for t, n in DIGIT_TASKS.items()],
    "hard sharing": [HardSharing(conv4(), DIGIT_TASKS)],
    "soft sharing": [SoftSharing(conv4, DIGIT_TASKS)],
    "cross-stitch": [CrossStitch(conv4, DIGIT_TASKS)],
}
for name, models in shapes.items():
    print(f"{name:22s} {sum(count_parameters(m) for m in models):7,d} parameters")

# %% [markdown]
# ## 3. CNNs on MultiDigits, at a small and a larger training set
#
# Every model is trained on the same canvases with the same optimiser (SGD with momentum, its learning rate
# annealed to zero along a half cosine so that each run ends settled) and the same epochs, and tested on
# the same held-out canvases. Soft sharing uses $\lambda$ = `CNN_LAMBDA` from the configuration cell; soft
# sharing and cross-stitch start their task networks from one initialisation, so that layer $\ell$ of one
# network and layer $\ell$ of the other hold corresponding units.

# %%
cnn_rows, cnn_models = [], {}
for size, epochs in zip(CNN_SIZES, CNN_EPOCHS):
    train = digit_pool.subset(range(size))
    fit = dict(epochs=epochs, batch_size=CNN_BATCH, optimizer=sgd, cosine=True)
    seed_everything(SEED)
    row, _ = train_and_score("single-task networks", [HardSharing(conv4(), {t: n}) for t, n in DIGIT_TASKS.items()],
                             train, digit_test, size, **fit)
    cnn_rows.append(row)
    seed_everything(SEED)
    cnn_models["hard", size] = HardSharing(conv4(), DIGIT_TASKS)
    cnn_rows.append(train_and_score("hard sharing", [cnn_models["hard", size]], train, digit_test, size, **fit)[0])
    seed_everything(SEED)
    cnn_models["soft", size] = SoftSharing(conv4, DIGIT_TASKS, lam=CNN_LAMBDA)
    cnn_rows.append(train_and_score("soft sharing", [cnn_models["soft", size]], train, digit_test, size, **fit)[0])
    seed_everything(SEED)
    cnn_models["stitch", size] = CrossStitch(conv4, DIGIT_TASKS)
    cnn_rows.append(train_and_score("cross-stitch", [cnn_models["stitch", size]], train, digit_test, size, **fit)[0])
for row in cnn_rows:
    row["data"] = "MultiDigits (CNN)"
viz.results_table([{k: r[k] for k in ("method", "train size", "left", "right", "mean", "parameters", "seconds")}
                   for r in cnn_rows], title="MultiDigits: test accuracy per task")

# %% [markdown]
# The same numbers as a picture: mean test accuracy against the number of training canvases. Compare the
# gaps between the methods at the two sizes.

# %%
viz.plot_accuracy_vs_size(cnn_rows, title="MultiDigits: mean test accuracy of the two tasks");

# %% [markdown]
# What did soft sharing and cross-stitch do with their freedom? For soft sharing, the distance between the
# two trunks' parameter vectors after training (they started equal); for cross-stitch, the learned mixing matrix
# $\alpha$ of each block (rows: the column that receives, entries: how much it takes from `left`, `right`).

# %%
small, larger = CNN_SIZES
for size in CNN_SIZES:
    soft = cnn_models["soft", size]
    print(f"soft sharing, {size} canvases: trunk distance {soft.parameter_distance():.3f} after training")
stitch_alpha = cnn_models["stitch", small].alpha.detach().cpu()
for block, a in enumerate(stitch_alpha):
    print(f"cross-stitch block {block + 1}: left <- {a[0].numpy().round(2)}, right <- {a[1].numpy().round(2)}")

# %% [markdown]
# ## 4. RNNs on pen trajectories, and learned task weights
#
# A Glyphs drawing is also a pen trajectory: a sequence of points $(x, y, \text{pen up})$. A GRU reads it
# and two heads answer two questions: **which character** is it (a 50-way task here), and **how many
# strokes** does it have (1 to 4, labels 0 to 3). The stroke count can be read off the pen-up marks, so
# the second task is much easier than the first. The trunk is `backbones.GRUEncoder`; the models are the
# same classes as above (cross-stitch needs a trunk made of blocks, so it sits this one out), trained with
# Adam, its learning rate also annealed along a half cosine.
#
# **Uncertainty weighting** (Kendall, Gal & Cipolla, 2018). With tasks this unequal, equal loss weights
# are a guess. Give each task a learned log-variance $s_t = \log \sigma_t^2$ and minimise
# $\sum_t e^{-s_t} \mathcal L_t + \tfrac12 s_t$: a task whose loss stays high gets a large $\sigma_t$ and a
# small weight $e^{-s_t}$; the $\tfrac12 s_t$ term keeps the weights from all collapsing to zero. For a fixed
# loss the best weight is $e^{-s_t} = 1/(2\mathcal L_t)$.
#
# Does sharing help the 50-way character task here, and does it cost the easy stroke task anything? Compare
# the rows of the table below with the single-task networks.

# %%
start = time.perf_counter()
glyph_set = data.glyphs("background", n_alphabets=5, chars_per_alphabet=10, seed=SEED)
glyph_pool, glyph_test = glyph_set.take_per_class(max(RNN_SHOTS), seed=SEED)  # the other drawings are the test set
print(f"{glyph_set.n_classes} characters x 20 drawers, built or loaded in {time.perf_counter() - start:.1f} s; "
      f"test: {len(glyph_test)} drawings")


def trajectory_tasks(glyphs):
    """Inputs (trajectories, lengths) and targets {character, strokes} for the multi-task models."""
    return (glyphs.trajectories, glyphs.lengths), {"character": glyphs.targets,
                                                   "strokes": glyphs.n_strokes[glyphs.targets] - 1}


GLYPH_TASKS = {"character": glyph_set.n_classes, "strokes": 4}
glyph_test_tasks = trajectory_tasks(glyph_test)


def gru():
    return backbones.GRUEncoder(hidden_size=RNN_HIDDEN)


rnn_rows, sweeps, uw_weighting = [], {}, {}
for shots, epochs in zip(RNN_SHOTS, RNN_EPOCHS):
    train = trajectory_tasks(glyph_pool.take_per_class(shots, seed=SEED)[0])
    size = len(train[0][0])
    fit = dict(epochs=epochs, batch_size=RNN_BATCH, lr=RNN_LR, cosine=True)  # Adam, annealed
    seed_everything(SEED)
    rnn_rows.append(train_and_score("single-task networks", [HardSharing(gru(), {t: n}) for t, n in GLYPH_TASKS.items()],
                                    train, glyph_test_tasks, size, **fit)[0])
    seed_everything(SEED)
    rnn_rows.append(train_and_score("hard sharing", [HardSharing(gru(), GLYPH_TASKS)], train, glyph_test_tasks, size,
                                    **fit)[0])
    seed_everything(SEED)
    uw_weighting[size] = UncertaintyWeighting(list(GLYPH_TASKS))
    row, uw_history = train_and_score("hard sharing, uncertainty weights", [HardSharing(gru(), GLYPH_TASKS)], train,
                                      glyph_test_tasks, size, weighting=uw_weighting[size], **fit)
    rnn_rows.append(row)
    # soft sharing at every lambda of the dial (section 5) for the small set; the table shows RNN_LAMBDA
    lams = LAMBDAS if shots == RNN_SHOTS[0] else (RNN_LAMBDA,)
    sweeps[size] = lambda_sweep(gru, GLYPH_TASKS, train, glyph_test_tasks, lams, epochs=epochs, lr=RNN_LR,
                                batch_size=RNN_BATCH, cosine=True, seed=SEED, device=device)
    soft_row = next(r for r in sweeps[size] if r["lam"] == RNN_LAMBDA)
    rnn_rows.append({"method": "soft sharing", "train size": size, **{t: soft_row[t] for t in GLYPH_TASKS},
                     "mean": soft_row["mean"], "parameters": count_parameters(SoftSharing(gru, GLYPH_TASKS)),
                     "seconds": soft_row["seconds"]})
for row in rnn_rows:
    row["data"] = "Glyphs trajectories (RNN)"
viz.results_table([{k: r[k] for k in ("method", "train size", "character", "strokes", "mean", "parameters", "seconds")}
                   for r in rnn_rows], title="Glyph trajectories: test accuracy per task")

# %% [markdown]
# How the uncertainty weights moved during training on the larger set: the effective weight $e^{-s_t}$ of
# each task after every epoch. Both start at 1; each is pulled toward $1/(2\mathcal L_t)$ of its task's
# current loss, and the losses fall as training goes on.

# %%
learned = uw_weighting[max(uw_weighting)].weights()
print("learned weights: " + ", ".join(f"{t} {w:.2f}" for t, w in learned.items()))
viz.plot_history(uw_history, keys=[f"weight_{t}" for t in GLYPH_TASKS], title="uncertainty weights per epoch");

# %%
viz.plot_accuracy_vs_size(rnn_rows, title="Glyph trajectories: mean test accuracy of the two tasks");

# %% [markdown]
# ## 5. The soft-sharing dial
#
# Soft sharing was trained at every $\lambda$ in `LAMBDAS` on the small trajectory set, each time from the
# same initial networks (the two trunks start equal). Left: the distance $\lVert\theta_1 - \theta_2\rVert$
# between the two task trunks after training: how far each task pulled its own network away. Right: test
# accuracy, with the single-task networks and hard sharing, trained on the same set, as dotted reference
# lines. Small $\lambda$ lets the two networks drift apart as independent networks would; large $\lambda$
# holds them together as one.

# %%
small_rnn = min(sweeps)
sweep = sweeps[small_rnn]
reference = {r["method"]: r["mean"] for r in rnn_rows if r["train size"] == small_rnn and r["method"] in
             ("single-task networks", "hard sharing")}
for r in sweep:
    print(f"lambda {r['lam']:<6g} distance {r['distance']:7.3f}   mean accuracy {r['mean']:.3f}")
viz.plot_lambda_sweep(sweep, list(GLYPH_TASKS), references=reference,
                      title=f"soft sharing on {small_rnn} trajectories");

# %% [markdown]
# Now turn the dial yourself: pick $\lambda$ and the two task weights, press **train**, and the panel trains
# one soft-sharing pair (a few seconds) and adds it to the plot as a numbered star, with its measured
# parameter distance and accuracy below. Try weight 0 for one task: what happens to the distance?

# %%
small_train = trajectory_tasks(glyph_pool.take_per_class(RNN_SHOTS[0], seed=SEED)[0])
panel = widgets.soft_sharing_panel(gru, GLYPH_TASKS, small_train, glyph_test_tasks, lams=LAMBDAS + (1.0,), rows=sweep,
                                   references=reference, epochs=RNN_EPOCHS[0], lr=RNN_LR, batch_size=RNN_BATCH,
                                   cosine=True, seed=SEED, device=device)
widgets.drive(panel, click="train", lam=0.1, weight_character=1.0, weight_strokes=0.5)  # as a user would
panel

# %% [markdown]
# ## 6. Results
#
# Every model, both data sets, both training-set sizes: per-task test accuracy, their mean, the number of
# parameters and the training time (seconds on this machine; the single-task row adds both networks).

# %% tags=["results"]
columns = ("data", "method", "train size", "left", "right", "character", "strokes", "mean", "parameters", "seconds")
results = viz.results_table([{k: r.get(k) for k in columns} for r in cnn_rows + rnn_rows],
                            title="Multi-task learning: test accuracy, size and training time")
results

# %% [markdown]
# ## 7. What the text claimed, checked

# %%
def row_of(rows, method, size):
    return next(r for r in rows if r["method"] == method and r["train size"] == size)


# hard sharing beats the mean of the single-task networks on MultiDigits at the small training size
hard_small, single_small = row_of(cnn_rows, "hard sharing", small), row_of(cnn_rows, "single-task networks", small)
assert hard_small["mean"] > single_small["mean"], (hard_small, single_small)
# the parameter distance between soft-shared networks falls as lambda grows
distances = [r["distance"] for r in sweep]
assert all(a > b for a, b in zip(distances, distances[1:])), distances
# hard sharing has one trunk: fewer parameters than two single-task networks; soft sharing has as many as
# they do; cross-stitch adds only its K x K mixing matrices (one per block)
assert hard_small["parameters"] < single_small["parameters"] == row_of(cnn_rows, "soft sharing", small)["parameters"]
assert row_of(cnn_rows, "cross-stitch", small)["parameters"] == single_small["parameters"] + stitch_alpha.numel()
# the stroke count is the easier trajectory task
assert all(r["strokes"] > r["character"] for r in rnn_rows if r["method"] == "single-task networks"), rnn_rows
# the panel trained one soft-sharing pair and measured its distance
assert len(panel.runs) == 1 and panel.runs[0]["distance"] > 0
print(f"all claims hold; notebook ran in {time.perf_counter() - notebook_start:.0f} s")

# %% [markdown]
# ## Summary
# - A single-task network per task is the baseline. **Hard sharing** keeps one trunk for all tasks: half
#   the trunk parameters, and every example trains the trunk once per task. On MultiDigits, where both tasks
#   need the same digit features, it beat the single-task networks at the small training size (see the table).
# - **Soft sharing** keeps a network per task and ties them with $\lambda \sum \lVert\theta_s-\theta_t\rVert^2$;
#   the measured parameter distance falls as $\lambda$ grows, from independent networks toward one network.
# - **Cross-stitch units** learn the mixing $\alpha$ between task networks block by block, for a handful of
#   extra parameters.
# - **Uncertainty weighting** learns the task weights from the losses themselves, with no weight to tune by
#   hand: each weight $e^{-s_t}$ is pulled toward $1/(2\mathcal L_t)$.
#
# ## Exercises
# 1. Train the CNNs with Adam (`optimizer=None`, `lr=1e-3`) instead of SGD. Does hard sharing still beat the
#    single-task networks at the small size? Adam's step has about the same size whatever the gradient's;
#    what does that mean for a trunk whose gradient is the *sum* of two tasks'?
# 2. Add the uncertainty-weighted hard-sharing model to the MultiDigits comparison. The two tasks there are
#    equally hard: what weights do you expect it to learn, and does it?
# 3. Change `CNN_SIZES` to `(100, 200, 400, 800)`. Where does the advantage of hard sharing vanish?
# 4. Make the tasks conflict: replace the `right` targets by random labels (`torch.randint(10, (n,))`). What
#    happens to hard sharing's `left` accuracy, and to the cross-stitch $\alpha$?
# 5. In the panel, train at $\lambda = 1$. The two networks end up almost identical, so you might expect hard
#    sharing's accuracy; what do you get? Adam divides each step by the running size of the gradient: what
#    does a large penalty gradient, flipping sign as the networks overshoot each other, do to the step the
#    task losses get? Try `SoftSharing` with `torch.optim.SGD` instead.
# 6. Train the uncertainty-weighted model for more epochs and compare each learned weight with
#    $1/(2\mathcal L_t)$ for its task's final training loss.
