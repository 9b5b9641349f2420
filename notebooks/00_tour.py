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
# # 00 · A tour of tlearn
#
# **The worlds this course runs in, the networks it trains, and how every notebook is laid out, in one
# look.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F00_tour.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/00_tour.ipynb) <!-- badges -->
#
# Runtime: about 15 s on a 2-core laptop CPU (plus about 20 s the very first time, to draw the Glyphs
# sets and cache them). No download, no GPU.
#
# ## What you will learn
# - The three offline data worlds: **Glyphs** (a procedural Omniglot), **digits** (synthetic, real,
#   textured, two at a time) and **two moons** (2-D domain shift).
# - Why Glyphs is a fair stand-in for Omniglot: a nearest-neighbour baseline measured on it.
# - What an **episode** is, and the **backbones** every later notebook uses.
# - How each notebook is laid out, and how to switch one to real data on a GPU.

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
DATASET = "glyphs"  # the offline default; "omniglot" uses torchvision's real Omniglot (needs a network)
SIZE = "quick"      # "quick" for a laptop CPU; "full" for more test episodes on a GPU
DEVICE = "auto"     # cuda, then mps, then cpu

# %%
import time

import matplotlib.pyplot as plt
import torch

import tlearn
from tlearn import backbones, data, samplers, viz, widgets
from tlearn.fewshot import PixelNearestNeighbour, evaluate_episodes
from tlearn.train import count_parameters, get_device, seed_everything

seed_everything(SEED)
device = get_device(DEVICE)
N_EPISODES = 600 if SIZE == "quick" else 2000
print(f"tlearn {tlearn.__version__}, torch {torch.__version__}, device: {device}")

# %% [markdown]
# ## 1. Glyphs: a procedural Omniglot
#
# Omniglot (Lake et al., 2015) is *the* few-shot benchmark: 1,623 characters from 50 alphabets, each
# drawn by 20 people. What makes it work is its structure: characters of one alphabet share strokes and
# style, and every class has only 20 examples. Glyphs rebuilds that structure from a small program, so
# nothing has to be downloaded:
#
# - an **alphabet** picks a few stroke primitives (lines, arcs, loops, hooks, zigzags, waves, corners),
#   its own way of bending them, preferred orientations and a typical number of strokes;
# - a **character** is 1–4 such strokes, placed and sometimes joined;
# - a **drawer** redraws a character with motor noise: each stroke $s_j(t)$ is drawn as
#   $\tilde s_j(t) = A\,(R_j \sigma_j (s_j(t) - m_j) + m_j + b_j + \epsilon_j(t))$, a small rotation, scale
#   and shift per stroke, a smooth wobble $\epsilon_j(t)$, and the drawer's own slant and size $A$.
#
# The background alphabets are for (pre)training, the evaluation alphabets for testing transfer to
# characters never seen.

# %%
start = time.perf_counter()
background = data.glyphs("background", seed=SEED)
evaluation = data.glyphs("evaluation", seed=SEED)
glyph_seconds = time.perf_counter() - start
print(background)
print(evaluation)
print(f"built or loaded from the cache in {glyph_seconds:.1f} s")

# %% [markdown]
# Six characters from each of three evaluation alphabets, each drawn by five drawers (one column per
# character). Characters of one alphabet look alike, which is what makes telling them apart hard.

# %%
cols = []
for a in range(3):
    cols += evaluation.characters_of(a)[:6].tolist()
idx = torch.stack([torch.nonzero(evaluation.targets == c).flatten()[:5] for c in cols], 1).flatten()
viz.image_grid(evaluation.images[idx], nrow=len(cols),
               suptitle="columns: characters of 3 alphabets (6 each); rows: 5 drawers");

# %% [markdown]
# Every drawing is also a **pen trajectory**: points $(x, y)$ with a pen-up mark at the end of each stroke,
# the input of the sequence models (GRUs) in notebooks 01 and 04. Here one character is drawn stroke by
# stroke, the newest stroke in red with its starting point marked.

# %%
i = int(torch.nonzero(evaluation.n_strokes[evaluation.targets] == 3)[0])
viz.plot_trajectory(evaluation.trajectories[i], evaluation.lengths[i], steps=3,
                    title=f"{evaluation.classes[evaluation.targets[i]]}, drawn stroke by stroke");

# %% [markdown]
# Each character also has a **description**: an attribute vector saying what a person could say about it
# without drawing it (how many strokes, which kinds, loops, extent). Notebook 06 recognises characters
# from these descriptions alone (zero-shot learning).

# %%
c = int(evaluation.targets[i])
description = {name: round(float(v), 2) for name, v in zip(evaluation.attribute_names, evaluation.attributes[c])}
print(evaluation.classes[c], description)

# %% [markdown]
# ## 2. Is Glyphs as hard as Omniglot? A nearest-neighbour check
#
# A **5-way 1-shot episode** shows one drawing of each of 5 new characters (the *support* set) and asks
# which of them each further drawing (a *query*) shows. The simplest answer compares raw pixels: predict
# the support image at the smallest Euclidean distance. On real Omniglot at 28x28 this gets about 40%
# when the five characters come from one alphabet. If it were near 100% the drawers would be too tidy
# and every method would look good; near 20% (chance) the task would be noise.
#
# Every test below uses the same 600 fixed episodes per protocol, and reports a 95% interval over them.

# %%
nn_baseline = PixelNearestNeighbour()
nn_within = evaluate_episodes(nn_baseline, evaluation, n_way=5, k_shot=1, q_query=5, n_episodes=N_EPISODES,
                              seed=SEED, within_groups=True)
nn_across = evaluate_episodes(nn_baseline, evaluation, n_way=5, k_shot=1, q_query=5, n_episodes=N_EPISODES,
                              seed=SEED)
print(f"pixel nearest neighbour, {nn_within.protocol}: {nn_within}")
print(f"pixel nearest neighbour, {nn_across.protocol}: {nn_across}")

# %% [markdown]
# One of those episodes, with the nearest-neighbour prediction above each query (green right, red wrong):

# %%
sampler = samplers.EpisodeSampler(evaluation, n_way=5, k_shot=1, q_query=3, n_episodes=1, seed=SEED,
                                   within_groups=True)
episode = next(iter(sampler))
pred = nn_baseline.logits_from_embeddings(episode.support.flatten(1), episode.support_labels,
                                          episode.query.flatten(1)).argmax(1)
viz.plot_episode(episode, pred);

# %% [markdown]
# ## 3. Digits and moons: worlds for domain adaptation and multi-task learning
#
# Rows, top to bottom: **SynDigits** (digits rendered from the fonts matplotlib ships, random size,
# rotation, position and thickness), the same with colour and clutter, **HandDigits** (scikit-learn's
# 1,797 real handwritten scans), and HandDigits **textured** with photo patches after MNIST-M. Training on
# one row and testing on another is a domain shift; notebook 03 closes the gap.

# %%
start = time.perf_counter()
syn = data.syn_digits(1000, seed=SEED)
syn_colour = data.syn_digits(10, seed=SEED, color=True, clutter=0.5)
hand = data.hand_digits()
hand_textured = data.textured(hand, seed=SEED)
multi = data.multi_digits(200, seed=SEED)
digit_seconds = time.perf_counter() - start
first_of_each = lambda ds: torch.stack([torch.nonzero(ds.targets == d).flatten()[0] for d in range(10)])  # noqa: E731
rows = [syn.images[first_of_each(syn)].repeat(1, 3, 1, 1), syn_colour.images,
        hand.images[first_of_each(hand)].repeat(1, 3, 1, 1), hand_textured.images[first_of_each(hand)]]
viz.image_grid(torch.cat(rows), nrow=10, suptitle="SynDigits · coloured + clutter · HandDigits · textured");

# %% [markdown]
# **MultiDigits** puts two digits on one canvas, a label for each: two tasks that share what a digit looks
# like (notebook 04). **Two moons** and a rotated copy show a domain shift you can see (notebook 03).

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 2.6), gridspec_kw={"width_ratios": [1.4, 1.4, 1.4, 1.2]})
for ax, k in zip(axes[:3], range(3)):
    ax.imshow(multi.images[k, 0], cmap="gray_r")
    ax.set_title(f"left = {int(multi.tasks['left'][k])}, right = {int(multi.tasks['right'][k])}", fontsize=9)
    ax.set_xticks([]), ax.set_yticks([])
Xs, ys = data.moons(300, noise=0.1, seed=SEED)
Xt, yt = data.moons(300, noise=0.1, rotation=35, seed=SEED + 1)
axes[3].scatter(*Xs.T, c=ys, cmap="coolwarm", s=6, label="source")
axes[3].scatter(*Xt.T, c=yt, cmap="coolwarm", s=6, marker="x", alpha=0.5, label="target (rotated 35°)")
axes[3].legend(fontsize=7), axes[3].set_title("two moons", fontsize=9)
fig.tight_layout()

# %% [markdown]
# ## 4. Backbones
#
# Every backbone maps an input to a feature vector of length `.out_features`, so heads, metrics and
# domain discriminators fit on any of them. **Conv4** (four blocks of 3x3 conv, batch norm, ReLU, 2x2 max
# pool; 64 channels) is the standard few-shot encoder; a small **ResNet** adds skip connections
# $y = \mathrm{ReLU}(x + F(x))$; the **GRU encoder** reads pen trajectories; the **torchvision adapter**
# wraps ImageNet models for the real-data path.

# %%
nets = {
    "Conv4": (backbones.Conv4(), torch.rand(8, 1, 28, 28)),
    "ResNet (16-32-64)": (backbones.ResNet(), torch.rand(8, 1, 28, 28)),
    "GRU encoder (128)": (backbones.GRUEncoder(), background.trajectories[:8]),
    "torchvision resnet18": (backbones.TorchvisionBackbone("resnet18"), torch.rand(8, 3, 32, 32)),
}
backbone_rows = []
for name, (net, x) in nets.items():
    out = net.eval()(x, background.lengths[:8]) if "GRU" in name else net.eval()(x)
    backbone_rows.append({"backbone": name, "input": str(list(x.shape[1:])), "out_features": net.out_features,
                          "parameters": count_parameters(net)})
    assert out.shape == (8, net.out_features)
viz.results_table(backbone_rows, title="Backbones")

# %% [markdown]
# How fast is this CPU? One training step of Conv4 (forward and backward) on a batch of 128 glyphs,
# measured here; later notebooks choose their sizes with this rate in mind.

# %%
conv4 = backbones.Classifier(backbones.Conv4(), background.n_classes).to(device)
optimizer = torch.optim.Adam(conv4.parameters(), 1e-3)
xb, yb = background.images[:128].to(device), background.targets[:128].to(device)
times = []
for _ in range(5):
    t0 = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(conv4(xb), yb)
    optimizer.zero_grad(), loss.backward(), optimizer.step()
    times.append(time.perf_counter() - t0)
images_per_second = 128 / sorted(times)[len(times) // 2]
print(f"Conv4 training: {images_per_second:.0f} images per second (median of 5 steps) on {device}")

# %% [markdown]
# ## 5. Browse the alphabets yourself
#
# The figure above is static so that it shows in a rendered notebook; the panel below lets you pick any
# evaluation alphabet and character, and shows its drawers and its trajectory.

# %%
panel = widgets.glyph_browser(evaluation)
widgets.drive(panel, alphabet=4, character=7)  # what a user would do; any callback error fails the run
panel

# %% [markdown]
# ## 6. Results

# %% tags=["results"]
results = viz.results_table([
    {"world": "Glyphs background", "images": len(background), "classes": background.n_classes,
     "groups": len(background.alphabet_names), "note": "20 drawers per character"},
    {"world": "Glyphs evaluation", "images": len(evaluation), "classes": evaluation.n_classes,
     "groups": len(evaluation.alphabet_names), "note": f"pixel NN 5-way 1-shot: {nn_within} within, {nn_across} across alphabets"},
    {"world": "SynDigits (here)", "images": len(syn), "classes": 10, "groups": None, "note": "fonts shipped with matplotlib"},
    {"world": "HandDigits", "images": len(hand), "classes": 10, "groups": None, "note": "real scans (scikit-learn)"},
    {"world": "MultiDigits (here)", "images": len(multi), "classes": "10 + 10", "groups": None, "note": "two tasks"},
], title=f"Data worlds (Glyphs in {glyph_seconds:.1f} s, digits in {digit_seconds:.1f} s)")
results

# %% [markdown]
# ## 7. What the text claimed, checked

# %%
# Glyphs has Omniglot's shape: >= 30 background and >= 20 evaluation alphabets, 20 drawers per character
assert len(background.alphabet_names) >= 30 and len(evaluation.alphabet_names) >= 20
assert background.n_classes >= 600 and torch.all(torch.bincount(background.targets) == 20)
# calibrated: pixel NN well above chance (20%) and far from solved, in the range real Omniglot gives
assert 0.35 <= nn_within.mean <= 0.65, nn_within
# within-alphabet episodes are harder than episodes drawn across alphabets
assert nn_within.mean < nn_across.mean, (nn_within, nn_across)
# every backbone's output length is its .out_features (checked in the loop above) and Conv4 gives 64
assert backbone_rows[0]["out_features"] == 64

# %% [markdown]
# ## 8. How every notebook is laid out, and how to scale one up
#
# Notebooks 01–07 follow one plan: **goals** → a **parameters** cell → the **idea** in words and one
# equation → code that calls `tlearn` → a **static figure**, then a **panel** for the same thing → a
# **results table** with the method next to its baselines and bounds, all computed in that run → **assert**
# cells that back every claim the text makes → **summary and exercises**.
#
# The parameters cell is the one place to change. To run a notebook on real data on a GPU:
#
# ```python
# DATASET = "omniglot"   # or "mnist", "usps", "svhn", "cifar10", or "folder:/path/to/your/images"
# SIZE = "full"          # more steps and test episodes
# DEVICE = "auto"        # picks the GPU
# ```
#
# Real datasets download once into `~/.cache/tlearn/real` (set `TLEARN_CACHE` to move it). Without a
# network, the call fails within seconds and names the offline default to use instead:

# %%
if DATASET == "glyphs":
    print("offline default: Glyphs. Real datasets available behind DATASET:", ", ".join(sorted(data.REAL_DATASETS)))
else:
    real = data.load(DATASET)  # raises OfflineError, naming the offline default, if there is no network
    print(real)

# %% [markdown]
# ## Summary
# - Glyphs, digits and moons are generated (or shipped) by the package: every notebook runs offline.
# - On Glyphs, 5-way 1-shot by pixel nearest neighbour lands in Omniglot's range, and within-alphabet
#   episodes are harder: learning has room to show what it adds.
# - All backbones expose `.out_features`; one Conv4 training step rate on this machine is printed above.
#
# ## Exercises
# 1. Build Glyphs with `noise=0.5` and `noise=2.0` (`data.glyphs("evaluation", noise=...)`) and measure the
#    nearest-neighbour accuracy again. Which setting looks most like real handwriting?
# 2. Count how many evaluation characters have a loop (`attribute_names` has `has_loop`).
# 3. Measure 20-way 1-shot nearest-neighbour accuracy. How does it compare with the 5-way figure?
