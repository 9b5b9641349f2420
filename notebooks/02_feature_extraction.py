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
# # 02 · Feature extraction: a frozen network as a fixed feature map
#
# **Run the pretrained network once, keep what each block computes, and train only a small classifier on
# top: most of fine-tuning's accuracy for a fraction of its cost.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F02_feature_extraction.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/02_feature_extraction.ipynb) <!-- badges -->
#
# Runtime: about 60 s on a 2-core laptop CPU (once the Glyphs sets are cached, see notebook 00). No
# download, no GPU.
#
# ## What you will learn
# - How to read what every block of a network computes with **forward hooks**, and why to **cache**
#   those features once.
# - **Linear probes** and **small MLP probes** on frozen features, and which **layer** transfers best to a
#   near target (new characters) and to a far one (real handwritten digits).
# - What the features look like in 2-D (**PCA** and **t-SNE**).
# - **Feature extraction vs fine-tuning**: accuracy and training time side by side.
# - For a recurrent encoder: the **final hidden state vs the mean over time** as the feature.

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
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: more label draws and classes
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display

from tlearn import checks, compare, features, finetune, pretrain, viz, widgets
from tlearn.backbones import Classifier
from tlearn.data import glyphs, hand_digits
from tlearn.exercises_transfer import check_nearest_class_mean
from tlearn.results import over_seeds
from tlearn.train import get_device, seed_everything

run_start = time.perf_counter()
checks.choice("DATASET", DATASET, ["glyphs", "cifar10"])  # "omniglot" has no same-label target here: notebook 05
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {
    "quick": {"draws": 5, "near_classes": 20, "steps": 60, "tsne_points": 300},
    "full": {"draws": 20, "near_classes": 50, "steps": 400, "tsne_points": 2000},
}
cfg = SIZES[SIZE]
K = 5  # labelled examples per class
SEEDS = [SEED, SEED + 1, SEED + 2]  # label draws (and fine-tuning initialisations) behind every ranking stated
print(f"device: {device}; probes averaged over {cfg['draws']} draws of {K} labels per class")

# %% [markdown]
# ## 1. The backbone and two targets
#
# The Conv4 backbone pretrained on the 600 background characters (`make pretrain`; see notebook 01),
# frozen. The targets are those of notebook 01: **near**, characters of unseen alphabets (labels from
# drawers 0-9, test on drawers 10-19), and **far**, HandDigits, real handwritten digits (70% pool, 30%
# test). HandDigits is 1,797 scans by 13 writers, and the random split shares writers between pool and test:
# a test of new digits by known hands, not of new writers. With `DATASET = "cifar10"` the backbone is an
# ImageNet ResNet-18 and the target a CIFAR-10 subset; `"omniglot"` is refused (its evaluation characters
# are new classes: notebook 05 is where it runs).

# %%
if DATASET == "glyphs":
    backbone = pretrain.load_pretrained("conv4-glyphs", train_if_missing=True)
    evaluation = glyphs("evaluation", seed=SEED)
    g = torch.Generator().manual_seed(SEED)
    near = evaluation.select_classes(torch.randperm(evaluation.n_classes, generator=g)[: cfg["near_classes"]].tolist())
    near_pool = near.subset(torch.nonzero(near.drawers < 10).flatten())
    near_test = near.subset(torch.nonzero(near.drawers >= 10).flatten())
    far_pool, far_test = hand_digits().split(0.3, seed=0)
    targets = {"near": (near_pool, near_test), "far": (far_pool, far_test)}
else:
    backbone = pretrain.ImageNetBackbone("resnet18")  # offline: fails within seconds, naming the default
    far_pool, far_test = pretrain.real_target(DATASET, per_class=100, test_per_class=100, seed=SEED)
    targets = {"far": (far_pool, far_test)}
backbone = backbone.to(device).eval()
for name, (pool, test) in targets.items():
    print(f"{name}: {pool.name}, {pool.n_classes} classes, pool {len(pool)}, test {len(test)}")

# %% [markdown]
# ## 2. Reading every block with forward hooks
#
# A forward hook is a function PyTorch calls with a module's output each time the module runs. Registering
# one on each block (`features.LayerTaps`) gives all the intermediate results of **one** forward pass.
# Write the backbone as blocks $f = f_4 \circ f_3 \circ f_2 \circ f_1$; the feature at depth $l$ is
#
# $$h_l(x) = \mathrm{pool}\big(f_l \circ \dots \circ f_1(x)\big),$$
#
# where the pooling averages each channel's map over a 2x2 grid, keeping a coarse layout at a size that
# is comparable across blocks. (torchvision's `create_feature_extractor` returns the same maps by tracing
# the model; hooks work on any module without tracing.)

# %%
layers = list(features.tap_points(backbone))
x = next(iter(targets.values()))[0].images[:8].to(device)
with features.LayerTaps(backbone, layers) as taps, torch.no_grad():
    backbone(x)
for name in layers:
    out = taps.outputs[name]
    print(f"{name:10s} output {list(out.shape[1:])} -> feature of length {features.pool_features(out).shape[1]}")

# %% [markdown]
# The features of every pool and test image, at every block, are computed **once** and cached
# (`features.FeatureCache`, keyed by a hash of the weights and the inputs, so a changed weight can never
# return stale features). Every probe below reads from this cache; asking again costs nothing.

# %%
cache = features.FeatureCache()
start = time.perf_counter()
feats = {name: {split: features.extract_features(backbone, data, layers, cache=cache, device=device)
                for split, data in zip(["pool", "test"], sets)} for name, sets in targets.items()}
extract_seconds = time.perf_counter() - start
start = time.perf_counter()
again = features.extract_features(backbone, targets[next(iter(targets))][0], layers, cache=cache, device=device)
cached_seconds = time.perf_counter() - start
print(f"extracted {sum(len(p) + len(t) for p, t in targets.values())} images at {len(layers) + 1} taps in "
      f"{extract_seconds:.2f} s; asking again took {cached_seconds * 1000:.1f} ms "
      f"(cache hits {cache.hits}, misses {cache.misses})")

# %% tags=["remove-cell"]
# cached: each set was extracted once, and asking again returned the very same stored tensors
assert again is feats[next(iter(targets))]["pool"] and (cache.hits, cache.misses) == (1, 2 * len(targets))

# %%
for name, (pool, test) in targets.items():
    for split, data in [("pool", pool), ("test", test)]:
        tapped = dict(feats[name][split])
        if torch.equal(tapped["output"], tapped[layers[-1]]):  # Conv4's last block is its 1x1 output
            del tapped["output"]
        feats[name][split] = {"pixels": data.images.flatten(1), **tapped}  # raw pixels: a baseline "layer"

# %% [markdown]
# ## 3. Probes: which layer transfers best?
#
# A **linear probe** is multinomial logistic regression on the frozen features, solved exactly (it is
# convex: L-BFGS on the mean cross-entropy plus a small L2 penalty). An **MLP probe** adds one hidden layer
# of 256 ReLU units, so it can bend the boundary. Each is trained on 5 labels per class and tested on the
# test images; the accuracy is averaged over several random draws of the labelled examples. `pixels` is
# the probe on the raw image: what the backbone adds is the difference.

# %%
probe_acc = {}
for name in targets:
    pool_labels, test_labels = targets[name][0].targets, targets[name][1].targets
    for kind in ["linear", "mlp"]:
        probe_acc[name, kind] = features.probe_budget(feats[name]["pool"], pool_labels, feats[name]["test"],
                                                      test_labels, K, draws=cfg["draws"], kind=kind, seed=SEED)
best_layer = {name: max(probe_acc[name, "linear"], key=probe_acc[name, "linear"].get) for name in targets}
for (name, kind), accs in probe_acc.items():
    print(f"{name:5s} {kind:6s} " + "  ".join(f"{layer} {a:.3f}" for layer, a in accs.items()))
print("best layer for a linear probe:", best_layer)
viz.plot_layer_accuracy(list(feats[next(iter(targets))]["pool"]), {f"{name}, {kind}": list(accs.values()) for (name, kind), accs in probe_acc.items()},
                        title=f"probe accuracy per layer, {K} labels per class (star = best)");

# %% [markdown]
# ## The method in plain PyTorch
#
# The linear probe's objective with torch alone: standardise the frozen features with the training mean and
# standard deviation, a linear map, the mean cross-entropy and tlearn's L2 penalty on the weights
# ($\lambda = 10^{-3}$, biases unpenalised). The next cell evaluates it at tlearn's fitted probe.

# %% tags=["from-scratch"]
def linear_probe(W, b, h, h_train):  # z = (h - mean) / std with the training statistics; logits W z + b
    mean, std = h_train.mean(0), h_train.std(0, unbiased=False).clamp_min(1e-6)
    return ((h - mean) / std) @ W.T + b


def probe_objective(W, b, h, y, weight_decay=1e-3):  # (1/N) sum_i -log softmax(W z_i + b)_{y_i} + (lambda/2) ||W||^2
    return F.cross_entropy(linear_probe(W, b, h, h), y) + weight_decay / 2 * (W ** 2).sum()


# %%
compare_target = "near" if "near" in targets else "far"
idx = features.per_class_indices(targets[compare_target][0].targets, K, seed=SEED)
h, y = feats[compare_target]["pool"][layers[-1]][idx], targets[compare_target][0].targets[idx]
fitted = features.fit_probe(h, y, kind="linear")  # L-BFGS on tlearn's objective
W, b = (p.detach().clone().requires_grad_() for p in (fitted.net.weight, fitted.net.bias))
ours, theirs = probe_objective(W, b, h, y), features.ProbeTraining(fitted, 1e-3).penalised_loss(h, y)
grads_ours, grads_theirs = torch.autograd.grad(ours, [W, b]), torch.autograd.grad(theirs, list(fitted.net.parameters()))
test_h = feats[compare_target]["test"][layers[-1]]
same_predictions = torch.equal(linear_probe(W, b, test_h, h).argmax(1), fitted(test_h).argmax(1))
print(f"objective {ours.item():.6f} (tlearn {theirs.item():.6f}); gradient norm at tlearn's solution "
      f"{torch.cat([g.flatten() for g in grads_ours]).norm():.1e}: the minimum of a convex problem")
assert abs(ours - theirs) < 1e-5 and same_predictions  # same objective, same predictions ...
assert all(torch.allclose(a, c, atol=1e-5) for a, c in zip(grads_ours, grads_theirs))  # ... and same gradients

# %% [markdown]
# **Reading the curves.** The first block sees strokes and edges: generic, but not yet arranged into
# anything a linear classifier can separate with 5 labels. Higher blocks combine them into parts of
# characters, and the last block was shaped by the 600 *source* classes: it is the most specific to them
# (Yosinski et al., 2014, found the same in ImageNet networks). So how much the upper blocks add depends on
# how close the target is to the source. Measure it as the gain from the second block to the best one:

# %%
second = layers[1]
depth_gain = {name: probe_acc[name, "linear"][best_layer[name]] - probe_acc[name, "linear"][second] for name in targets}
for name in targets:
    print(f"{name}: best layer {best_layer[name]} ({probe_acc[name, 'linear'][best_layer[name]]:.3f}); "
          f"gain over {second}: {depth_gain[name]:+.3f}")

# %% [markdown]
# New characters (near) keep gaining with depth: they are glyphs like the source's, and the upper blocks
# were built to tell glyphs apart. Real digits (far) share the strokes but not the glyph-specific
# combinations above them, so their curve flattens early: the upper blocks add little, and on a target
# further still they would add nothing or hurt. That is why the best layer moves down as the target moves
# away from the source, and why, for a far target, one can keep the lower blocks and retrain the top.

# %% [markdown]
# ## 4. The features in 2-D
#
# PCA keeps the directions of largest variance; t-SNE keeps neighbourhoods. Colours are classes. Classes
# that form separate clouds in the features are easy for a linear probe.

# %%
fig, axes = plt.subplots(len(targets), 2, figsize=(9, 4.2 * len(targets)), squeeze=False)
for row, (name, (pool, test)) in enumerate(targets.items()):
    n = min(cfg["tsne_points"], len(test))
    for col, method in enumerate(["pca", "tsne"]):
        viz.plot_embedding(feats[name]["test"][best_layer[name]][:n], test.targets[:n], method=method,
                           ax=axes[row, col], seed=SEED, title=f"{name}: {best_layer[name]} ({method.upper()})")
fig.tight_layout()

# %% [markdown]
# ## 5. Feature extraction vs fine-tuning
#
# The same 5 labels per class: a linear probe on the frozen backbone's last block against fine-tuning the
# whole network with layer-wise learning rates (notebook 01's recipe, the same number of steps), on both
# targets and over three label draws. The probe's time includes running the backbone over its labelled
# images; both times are training only (first draw, on the near target). With `DATASET = "cifar10"` the
# check at the end allows the probe to trail by up to 10 points rather than 5, and says why.

# %%
pool, test = targets[compare_target]
picked, _ = pool.take_per_class(K, seed=SEED)
start = time.perf_counter()
train_features = features.extract_features(backbone, picked, [], device=device)["output"]
probe = features.fit_probe(train_features, picked.targets, kind="linear")
probe_seconds = time.perf_counter() - start
test_features = features.extract_features(backbone, test, [], device=device)["output"]

draws = {}  # (target, method, seed) -> run: the fine-tuning run, or the probe's accuracy on the same labels
make_backbone = {"glyphs": lambda: pretrain.load_pretrained("conv4-glyphs")}.get(DATASET, pretrain.ImageNetBackbone)
for name, s in [(name, s) for name in targets for s in SEEDS]:
    (tpool, ttest), n = targets[name], targets[name][0].n_classes
    draws[name, "fine-tuning", s] = finetune.fine_tune_run(
        lambda: Classifier(make_backbone(), n), tpool, ttest, labels_per_class=K, method="layerwise", lr=3e-4,
        head_mult=10, steps=cfg["steps"], batch_size=25, seed=s, device=device)
    i = features.per_class_indices(tpool.targets, K, seed=s)  # the same examples fine_tune_run drew
    top = features.fit_probe(feats[name]["pool"][layers[-1]][i], tpool.targets[i], n_classes=n)
    draws[name, "linear probe", s] = {"accuracy": features.probe_accuracy(top, feats[name]["test"][layers[-1]], ttest.targets)}
mean = {(r["target"], r["method"]): r["accuracy"] for r in over_seeds(draws, ["target", "method"])}
fine_tuned = draws[compare_target, "fine-tuning", SEED]
comparison = [{"method": "linear probe (frozen)", "seconds": probe_seconds,
               "accuracy": features.probe_accuracy(probe, test_features, test.targets)},
              {"method": "fine-tuning (layer-wise lr)", "accuracy": fine_tuned["accuracy"], "seconds": fine_tuned["seconds"]}]
viz.plot_accuracy_and_time(comparison, title=f"{compare_target} target, {K} labels per class (first draw)");

# %%
lead = {name: mean[name, "linear probe"] - mean[name, "fine-tuning"] for name in targets}
for name in targets:
    print(f"{name}: linear probe {mean[name, 'linear probe']:.3f} vs fine-tuning {mean[name, 'fine-tuning']:.3f} "
          f"({lead[name]:+.3f}; mean of {len(SEEDS)} draws, ranges in the table)")
print(f"training time: the probe takes {probe_seconds / fine_tuned['seconds']:.1%} of fine-tuning's")
if "near" in targets:  # the source text's claim about feature extraction, against these numbers
    claim = compare.source_text_claims(lambda t, m, k: mean.get((t, m), 0.0), "near", "far", [K])[1]  # 01: the other
    display(Markdown(compare.claims_markdown([claim])))

# %% [markdown]
# ## 6. A recurrent encoder: last hidden state or mean over time?
#
# The GRU pretrained on background trajectories (notebook 01) reads a drawing point by point. Its feature
# can be the hidden state after the last point, $h_T$, which has seen everything but weighs the end most,
# or the mean over time, $\frac{1}{T}\sum_t h_t$, which weighs every point alike. The weights are the same;
# only the read-out changes (`GRUEncoder(pool=...)`). Linear probes at 5 labels per class on the near
# target's trajectories:

# %%
if DATASET == "glyphs":
    gru = pretrain.load_pretrained("gru-glyphs", train_if_missing=True)
    rnn_feats = {}
    for pool_mode in ["last", "mean"]:
        gru.pool = pool_mode  # the last hidden state, or the mean over time steps
        rnn_feats[pool_mode] = {split: features.extract_features(pretrain.TrajectoryEncoder(gru), data.trajectories,
                                                                 [], cache=cache, device=device)["output"]
                                for split, data in [("pool", near_pool), ("test", near_test)]}
    rnn_acc = features.probe_budget({m: f["pool"] for m, f in rnn_feats.items()}, near_pool.targets,
                                    {m: f["test"] for m, f in rnn_feats.items()}, near_test.targets, K,
                                    draws=cfg["draws"], seed=SEED)
    print({f"GRU {m}": round(a, 3) for m, a in rnn_acc.items()})
else:
    rnn_acc = {}
    print("trajectories exist only in Glyphs: this section runs with DATASET = 'glyphs'")

# %% [markdown]
# ## 7. Try it yourself
#
# Pick a layer, a probe and a label budget: the probe is fitted on that many labelled examples per class of
# the cached near-target features (the near pool has 10 per class), and the test features of that layer are
# drawn in 2-D with the probe's accuracy in the title. Where does the MLP probe catch up with the linear one?

# %%
panel = widgets.probe_panel(feats[compare_target]["pool"], pool.targets, feats[compare_target]["test"], test.targets,
                            seed=SEED, budgets=(1, K, 10))  # pool, test: the compare target's, from section 5
panel

# %% tags=["remove-cell"]
widgets.drive(panel, layer=layers[1], probe="mlp", labels=1)  # what a user would do; any callback error fails the run

# %% [markdown]
# ## 8. Results

# %% tags=["results"]
rows = []
for name in targets:
    for kind in ["linear", "mlp"]:
        for layer in dict.fromkeys(["pixels", second, best_layer[name], layers[-1]]):  # in order, without repeats
            rows.append({"target": name, "features": f"{layer}" + (" (best)" if layer == best_layer[name] else ""),
                         "probe": kind, "labels/class": K, "accuracy": probe_acc[name, kind][layer], "seconds": None})
rows += [{"target": compare_target, "features": "output (first draw)", "probe": r["method"], "labels/class": K,
          "accuracy": r["accuracy"], "seconds": r["seconds"]} for r in comparison]
rows += [{"target": r["target"], "features": f"output (mean of {r['seeds']} draws, range {r['range']})",
          "probe": r["method"], "labels/class": K, "accuracy": r["accuracy"], "seconds": None}
         for r in over_seeds(draws, ["target", "method"], keep=())]
rows += [{"target": "near (trajectories)", "features": f"GRU {m}", "probe": "linear", "labels/class": K,
          "accuracy": a, "seconds": None} for m, a in rnn_acc.items()]
results = viz.results_table(rows, title=f"Feature extraction ({DATASET}, seed {SEED}; probe accuracies without "
                                        f"seconds are means over {cfg['draws']} label draws)")
results

# %% [markdown]
# ## 9. What the text claimed, checked

# %%
# the hooked features are exactly what a manual pass through the blocks computes
with torch.no_grad():
    h = x
    for name, block in features.tap_points(backbone).items():
        h = block(h)
        assert torch.allclose(taps.outputs[name], h, atol=1e-6), name
# the backbone adds something: the best layer beats a linear probe on raw pixels by >= 3 points on every target
for name in targets:
    assert probe_acc[name, "linear"][best_layer[name]] > probe_acc[name, "linear"]["pixels"] + 0.03, name
if "near" in targets:
    # depth pays more on the near target than on the far one, by >= 1 point
    assert depth_gain["near"] > depth_gain["far"] + 0.01, depth_gain
    # both read-outs of the pretrained GRU carry the characters: at least 5x chance (1 in 20)
    assert min(rnn_acc.values()) > 5 / near_pool.n_classes, rnn_acc
# feature extraction vs fine-tuning (mean of 3 draws): the probe within 5 points of fine-tuning or ahead of
# it on every target, in under a third of its training time. On CIFAR-10 relaxed to 10 points: at 32x32 the
# ImageNet features are read far below the 224x224 they were trained at, and fine-tuning can adapt them
# (with all labels, Kornblith et al. 2019 find fine-tuning ahead of a logistic-regression probe there)
assert min(lead.values()) > (-0.05 if DATASET == "glyphs" else -0.10), lead
assert probe_seconds < fine_tuned["seconds"] / 3, (probe_seconds, fine_tuned["seconds"])
print(f"notebook ran in {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - A frozen pretrained network is a **feature map**: run it once over the data (hooks give every block's
#   output in one pass), cache the result, and train only a **probe**, a convex problem when it is linear.
# - With 5 labels per class the **linear probe** on the last block is level with, ahead of or behind
#   fine-tuning depending on the target (section 5 gives the direction and the spread over three draws), at
#   a small fraction of its training time; an **MLP probe** can bend the boundary but has more to fit from
#   few labels.
# - **How much depth pays** depends on the target: the top blocks are specialised to the source classes,
#   so the near target keeps gaining with depth while the far one flattens early (section 3's numbers).
# - For a recurrent encoder the **read-out** is a choice too: the last hidden state or the mean over time.
#
# ## Exercises
# 1. **Implement** a nearest-class-mean probe, the simplest probe there is: no training, each class is the
#    mean of its labelled features and a test feature takes the class of the closest mean. Write
#    `my_ncm(train_features, train_labels, test_features)` returning predicted labels; the next cell checks
#    it. Then run it on `feats["near"]` at each layer: does it beat the linear probe at 1 label per class?

# %%
def my_ncm(train_features, train_labels, test_features):
    return torch.zeros(len(test_features), dtype=torch.long)  # replace with the nearest class mean


check_nearest_class_mean(my_ncm);

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def my_ncm(train_features, train_labels, test_features):
#     means = torch.stack([train_features[train_labels == c].mean(0) for c in range(int(train_labels.max()) + 1)])
#     return torch.cdist(test_features, means).argmin(1)
# ```
# </details>
#
# 2. Pool every block to a single value per channel (`pool=1` in `extract_features`). Which layers lose
#    most, and why does the layout matter more for early blocks?
# 3. Fit the linear probe with `weight_decay=1e-1` and `1e-5`. Which works better at 1 label per class,
#    which at 10? Use the panel's label budget to guess first.
# 4. Concatenate the features of the last two blocks (`torch.cat`) and probe them. Does it beat both?
# 5. Use `torchvision.models.feature_extraction.create_feature_extractor(backbone, return_nodes=...)` instead
#    of hooks and check that the features agree.
