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
# # 02 · Feature extraction: a frozen network as a fixed feature map
#
# **Run the pretrained network once, keep what each block computes, and train only a small classifier on
# top: most of fine-tuning's accuracy for a fraction of its cost.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F02_feature_extraction.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/02_feature_extraction.ipynb) <!-- badges -->
#
# Runtime: about 50 s on a 2-core laptop CPU (once the Glyphs sets are cached, see notebook 00). No
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
DATASET = "glyphs"  # offline default (Glyphs + HandDigits); "cifar10": ImageNet ResNet-18 on a CIFAR-10 subset
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: more label draws and classes
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import time

import matplotlib.pyplot as plt
import torch

from tlearn import features, finetune, pretrain, viz, widgets
from tlearn.backbones import Classifier
from tlearn.data import glyphs, hand_digits
from tlearn.train import get_device, seed_everything

run_start = time.perf_counter()
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {
    "quick": {"draws": 5, "near_classes": 20, "steps": 60, "tsne_points": 300},
    "full": {"draws": 20, "near_classes": 50, "steps": 400, "tsne_points": 2000},
}
cfg = SIZES[SIZE]
K = 5  # labelled examples per class
print(f"device: {device}; probes averaged over {cfg['draws']} draws of {K} labels per class")

# %% [markdown]
# ## 1. The backbone and two targets
#
# The Conv4 backbone pretrained on the 600 background characters (`make pretrain`; see notebook 01),
# frozen. The targets are those of notebook 01: **near**, characters of unseen alphabets (labels from
# drawers 0-9, test on drawers 10-19), and **far**, HandDigits, real handwritten digits (70% pool, 30%
# test). With `DATASET = "cifar10"` the backbone is an ImageNet ResNet-18 and the target a CIFAR-10 subset.

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
served_from_cache = again is feats[next(iter(targets))]["pool"]  # the very same stored tensors
cache_counts = (cache.hits, cache.misses)
print(f"extracted {sum(len(p) + len(t) for p, t in targets.values())} images at {len(layers) + 1} taps in "
      f"{extract_seconds:.2f} s; asking again took {cached_seconds * 1000:.1f} ms "
      f"(cache hits {cache.hits}, misses {cache.misses})")
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
taps_and_pixels = list(feats[next(iter(targets))]["pool"])
best_layer = {name: max(probe_acc[name, "linear"], key=probe_acc[name, "linear"].get) for name in targets}
for (name, kind), accs in probe_acc.items():
    print(f"{name:5s} {kind:6s} " + "  ".join(f"{layer} {a:.3f}" for layer, a in accs.items()))
print("best layer for a linear probe:", best_layer)
viz.plot_layer_accuracy(taps_and_pixels, {f"{name}, {kind}": list(accs.values()) for (name, kind), accs in probe_acc.items()},
                        title=f"probe accuracy per layer, {K} labels per class (star = best)");

# %% [markdown]
# **Reading the curves.** The first block sees strokes and edges: generic, but not yet arranged into
# anything a linear classifier can separate with 5 labels. Higher blocks combine them into parts of
# characters, and the last block was shaped by the 600 *source* classes: it is the most specific to them
# (Yosinski et al., 2014, found the same in ImageNet networks). So how much the upper blocks add depends on
# how close the target is to the source. Measure it as the gain from the second block to the best one:

# %%
second = layers[1]
depth_gain = {name: probe_acc[name, "linear"][best_layer[name]] - probe_acc[name, "linear"][second]
              for name in targets}
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
# On the near target with the same 5 labels per class: a linear probe on the frozen backbone's last block
# against fine-tuning the whole network with layer-wise learning rates (notebook 01's recipe, the same
# number of steps). The probe's time includes running the backbone over its labelled images; both times
# are training only.

# %%
compare_target = "near" if "near" in targets else "far"
pool, test = targets[compare_target]
picked, _ = pool.take_per_class(K, seed=SEED)
start = time.perf_counter()
train_features = features.extract_features(backbone, picked, [], device=device)["output"]
probe = features.fit_probe(train_features, picked.targets, kind="linear")
probe_seconds = time.perf_counter() - start
test_features = features.extract_features(backbone, test, [], device=device)["output"]
probe_accuracy = features.probe_accuracy(probe, test_features, test.targets)

start = time.perf_counter()
mlp = features.fit_probe(train_features, picked.targets, kind="mlp", seed=SEED)
mlp_seconds = probe_seconds + time.perf_counter() - start
mlp_accuracy = features.probe_accuracy(mlp, test_features, test.targets)

make_model = (lambda: Classifier(pretrain.load_pretrained("conv4-glyphs"), pool.n_classes)) if DATASET == "glyphs" \
    else (lambda: Classifier(pretrain.ImageNetBackbone("resnet18"), pool.n_classes))
fine_tuned = finetune.fine_tune_run(make_model, pool, test, labels_per_class=K, method="layerwise", lr=3e-4,
                                    head_mult=10, steps=cfg["steps"], batch_size=25, seed=SEED, device=device)
comparison = [
    {"method": "linear probe (frozen)", "accuracy": probe_accuracy, "seconds": probe_seconds},
    {"method": "MLP probe (frozen)", "accuracy": mlp_accuracy, "seconds": mlp_seconds},
    {"method": "fine-tuning (layer-wise lr)", "accuracy": fine_tuned["accuracy"], "seconds": fine_tuned["seconds"]},
]
viz.plot_accuracy_and_time(comparison, title=f"{compare_target} target, {K} labels per class");

# %%
print(f"the linear probe reaches {probe_accuracy / fine_tuned['accuracy']:.0%} of fine-tuning's accuracy in "
      f"{probe_seconds / fine_tuned['seconds']:.1%} of its training time")

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
        gru.pool = pool_mode
        encoder = pretrain.TrajectoryEncoder(gru)
        rnn_feats[pool_mode] = {split: features.extract_features(encoder, data.trajectories, [], cache=cache,
                                                                 device=device)["output"]
                                for split, data in [("pool", near_pool), ("test", near_test)]}
    gru.pool = "last"
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
# Pick a layer and a probe: the probe is fitted on 5 labelled examples per class of the cached near-target
# features, and the test features of that layer are drawn in 2-D with the probe's accuracy in the title.

# %%
idx = features.per_class_indices(targets[compare_target][0].targets, K, seed=SEED)
panel = widgets.probe_panel({n: f[idx] for n, f in feats[compare_target]["pool"].items()},
                            targets[compare_target][0].targets[idx], feats[compare_target]["test"],
                            targets[compare_target][1].targets, seed=SEED)
widgets.drive(panel, layer=layers[1], probe="mlp")  # what a user would do; any callback error fails the run
panel

# %% [markdown]
# ## 8. Results

# %% tags=["results"]
rows = []
for name in targets:
    rows.append({"target": name, "features": "pixels", "probe": "linear", "labels/class": K,
                 "accuracy": probe_acc[name, "linear"]["pixels"], "seconds": None})
    for kind in ["linear", "mlp"]:
        for layer in dict.fromkeys([second, best_layer[name], layers[-1]]):  # in order, without repeats
            rows.append({"target": name, "features": f"{layer}" + (" (best)" if layer == best_layer[name] else ""),
                         "probe": kind, "labels/class": K, "accuracy": probe_acc[name, kind][layer], "seconds": None})
rows += [{"target": compare_target, "features": "output (one draw)", "probe": r["method"], "labels/class": K,
          "accuracy": r["accuracy"], "seconds": r["seconds"]} for r in comparison]
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
# cached: each set was extracted once, and asking again returned the stored features
assert served_from_cache and cache_counts == (1, 2 * len(targets)), cache_counts
# the backbone adds something: the best layer beats a linear probe on raw pixels on every target
for name in targets:
    assert probe_acc[name, "linear"][best_layer[name]] > probe_acc[name, "linear"]["pixels"] + 0.03, name
if DATASET == "glyphs":
    # depth pays more on the near target than on the far one
    assert depth_gain["near"] > depth_gain["far"], depth_gain
# feature extraction vs fine-tuning: >= 80% of fine-tuning's accuracy in under a third of its time
assert probe_accuracy >= 0.8 * fine_tuned["accuracy"], (probe_accuracy, fine_tuned["accuracy"])
assert probe_seconds < fine_tuned["seconds"] / 3, (probe_seconds, fine_tuned["seconds"])
if DATASET == "glyphs":
    # both read-outs of the pretrained GRU carry the characters: far above chance (1 in 20)
    assert min(rnn_acc.values()) > 5 / near_pool.n_classes, rnn_acc
print(f"notebook ran in {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - A frozen pretrained network is a **feature map**: run it once over the data (hooks give every block's
#   output in one pass), cache the result, and train only a **probe**.
# - A **linear probe** on the right layer gets close to fine-tuning at a fraction of its cost (see the
#   table and the last comparison); an **MLP probe** can bend the boundary but has more to fit from few
#   labels.
# - **How much depth pays** depends on the target: the top blocks are specialised to the source classes,
#   so the near target keeps gaining with depth while the far one flattens early (section 3's numbers).
# - For a recurrent encoder the **read-out** is a choice too: the last hidden state or the mean over time.
#
# ## Exercises
# 1. Pool every block to a single value per channel (`pool=1` in `extract_features`). Which layers lose
#    most, and why does the layout matter more for early blocks?
# 2. Fit the linear probe with `weight_decay=1e-1` and `1e-5`. Which works better at 1 label per class,
#    which at 20?
# 3. Concatenate the features of the last two blocks (`torch.cat`) and probe them. Does it beat both?
# 4. Use `torchvision.models.feature_extraction.create_feature_extractor(backbone, return_nodes=...)` instead
#    of hooks and check that the features agree.
