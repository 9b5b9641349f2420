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
# # 05 · Few-shot learning: Siamese, Matching and Prototypical networks
#
# **Recognise a character after seeing it once: learn a way of comparing drawings on some alphabets, and
# use it on alphabets never seen.**
#
# [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/tlearn-course/tlearn/main?labpath=notebooks%2F05_few_shot.ipynb) [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tlearn-course/tlearn/blob/main/notebooks/05_few_shot.ipynb) <!-- badges -->
#
# Runtime: about 50 s on a 2-core laptop CPU (once the Glyphs sets are cached, see notebook 00). No
# download, no GPU.
#
# ## What you will learn
# - What an **episode** is (N-way K-shot: a support set and queries), and why few-shot methods are trained
#   on episodes shaped like the test.
# - Three ways to learn a metric that transfers to new classes: **Siamese networks** (pair verification),
#   **Matching networks** (attention over the support set, cosine) and **Prototypical networks** (class
#   means, squared Euclidean distance), and what changes with **cosine vs Euclidean**.
# - Each method's core **in plain PyTorch**: the prototypes and the episode loss, the attention, the pair
#   score, checked against tlearn's.
# - How to report few-shot accuracy: fixed test episodes, a **95% interval** over them, several
#   **training seeds** before ranking methods, and why these numbers are not the papers' numbers.
#
# Your own images, drawing your own glyph, saving a model and the command line are in notebook 08.

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
DATASET = "glyphs"  # offline default; "omniglot" (torchvision's, downloads once) or "folder:/path/to/images"
                    # (an ImageFolder with background/ and evaluation/ subfolders of class folders)
SIZE = "quick"      # "quick" for a laptop CPU; "full" for a GPU: wider Conv4, many more training episodes
DEVICE = "auto"     # cuda, then mps, then cpu
ROTATIONS = False   # add rotations by 90/180/270 degrees as new training classes (the Omniglot papers do)

# %%
import time

import torch
import torch.nn.functional as F

from tlearn import exercises, fewshot, samplers, viz, widgets
from tlearn.train import get_device, seed_everything

run_start = time.perf_counter()
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {  # the quick size trains each method for a few seconds on a 2-core CPU
    "quick": {"hidden": 32, "episodes": 100, "pair_batches": 120, "test_episodes": 600, "seeds": 1},
    "full": {"hidden": 64, "episodes": 5000, "pair_batches": 7500, "test_episodes": 1000, "seeds": 3},
}
cfg = SIZES[SIZE]
background = fewshot.load_data(DATASET, "background", seed=SEED)   # classes to learn the metric on
evaluation = fewshot.load_data(DATASET, "evaluation", seed=SEED)   # new classes to test it on
if ROTATIONS:
    background = fewshot.rotate_classes(background)
channels = int(background[0][0].shape[0])
has_groups = getattr(evaluation, "groups", None) is not None
print(f"training classes: {len(set(samplers.labels_of(background).tolist()))}, "
      f"test classes: {len(set(samplers.labels_of(evaluation).tolist()))}, device: {device}")

# %% [markdown]
# ## 1. Episodes
#
# A **5-way 1-shot episode** shows one drawing of each of 5 characters never seen in training (the
# *support set*) and asks which of them each further drawing (a *query*) shows. Nothing is fine-tuned on
# the support set: a network $f_\theta$ trained on *other* characters maps drawings to embeddings, and a
# query takes the label of the support examples it is closest to. What transfers from the background
# alphabets to the evaluation alphabets is the way of comparing, not a classifier.
#
# Below, one test episode whose 5 characters come from one alphabet (the hard case: they look alike).
# Support on the left, queries on the right.

# %%
episode = next(iter(samplers.EpisodeSampler(evaluation, n_way=5, k_shot=1, q_query=4, n_episodes=1, seed=SEED,
                                            within_groups=has_groups)))
viz.plot_episode(episode, max_query=4);

# %% [markdown]
# ## 2. The baseline that learns nothing: nearest neighbour in pixel space
#
# Predict the class of the support image with the smallest squared distance
# $\lVert \hat x - x_i \rVert^2$ over raw pixels. Glyphs is calibrated so that this baseline scores what it
# scores on Omniglot (notebook 00): without learning, one drawing of a character is a poor guide to the
# next. Every number in this notebook is a mean over the same fixed test episodes
# (`EpisodeSampler(..., fixed=True)`, one seed), with a 95% interval $\bar a \pm 1.96\, s/\sqrt{n}$ over the
# $n$ episodes.

# %%
pixel_nn = fewshot.PixelNearestNeighbour()
headline = dict(n_way=5, k_shot=1, q_query=15, n_episodes=cfg["test_episodes"], seed=SEED)
pixel_result = fewshot.evaluate_episodes(pixel_nn, evaluation, **headline)
print(f"pixel nearest neighbour: {pixel_result}  ({pixel_result.protocol})")

# %% [markdown]
# ## 3. Siamese networks: learn to verify pairs
#
# Koch, Zemel and Salakhutdinov (2015) train twin copies of one network to answer "same character or
# not?" for a pair of drawings. The last hidden layers $\mathbf h_{1,L-1}$, $\mathbf h_{2,L-1}$ of the twins
# are compared component by component; as the paper writes it,
#
# $$\mathbf p = \sigma\Big(\sum_j \alpha_j \big|\mathbf h^{(j)}_{1,L-1} - \mathbf h^{(j)}_{2,L-1}\big|\Big),$$
#
# with learned weights $\alpha_j$, trained by a regularised cross-entropy on same/different pairs.
# `fewshot.SiameseNet` changes three things so that short runs learn (its docstring says why):
#
# $$p(\text{same} \mid x_1, x_2) = \sigma\Big(b - \sum_j \alpha_j\, |z_{1j} - z_{2j}|\Big), \qquad
#   z = f_\theta(x) / \lVert f_\theta(x) \rVert,\ \alpha_j = \mathrm{softplus}(w_j) \ge 0:$$
#
# a learned bias $b$, weights that make it a *distance* (the paper's $\alpha_j$ have free signs), and
# unit-length embeddings; plain binary cross-entropy with Adam, without the paper's L2 penalty or
# distortions. Pairs come from `PairSampler`, half of them same-class. The network never sees an episode:
# at test time a query takes the class of its most similar support image.
#
# Every model here uses the same encoder, a Conv4 (four blocks of conv, batch norm, ReLU, max pool), and
# sees the same number of images per training step: one 20-way episode with 1 support and 5 queries per
# class is 120 images, one batch of 60 pairs is 120 images too. The Siamese network gets a few more steps
# than the others (the results table counts the training images of each).

# %%
STEPS = {"siamese": (cfg["pair_batches"], 5e-3), "matching": (cfg["episodes"], 3e-3),
         "protonet": (cfg["episodes"], 3e-3)}  # (training steps, learning rate) per method


def trained(method, seed=SEED, **options):
    model = fewshot.make_model(method, in_channels=channels, hidden=cfg["hidden"], seed=seed, **options)
    steps, lr = STEPS[method]
    history = fewshot.train(model, background, steps=steps, lr=lr, n_way=20, k_shot=1, q_query=5, seed=seed,
                            device=device, progress=False)
    return model, history


siamese, siamese_history = trained("siamese")
print(f"Siamese: {cfg['pair_batches']} batches of 60 pairs in {siamese_history.seconds:.1f} s, "
      f"pair accuracy over the last 20 batches {siamese_history.mean('train_acc', last=20):.2f}")

# %% [markdown]
# ## 4. Matching networks: attention over the support set
#
# Vinyals et al. (2016) train on **episodes** shaped like the test ones, and predict with an attention
# over the support set, $\hat y = \sum_i a(\hat x, x_i)\, y_i$ ($y_i$ one-hot), a softmax over cosine
# similarities $c$:
#
# $$a(\hat x, x_i) = \frac{e^{c(f(\hat x), g(x_i))}}{\sum_j e^{c(f(\hat x), g(x_j))}}.$$
#
# The loss is the cross-entropy of the queries' labels, so the encoder learns exactly what the test asks.
# **Not in the paper:** tlearn multiplies the cosine by a learned scale $s$, $e^{s\,c(\cdot)}$, initialised
# at 10 (`MatchingNet(scale=1)` starts at the paper's form; cosines in $[-1, 1]$ alone can never weigh one
# support drawing more than $e^2 \approx 7.4$ times another). `MatchingNet(fce=True)` adds the paper's
# full-context embeddings, which condition **both** sides on the support set: $g(x_i, S)$ reads the support
# set with a bidirectional LSTM, and the query's $f(\hat x, S)$ comes from an LSTM that attends to it.

# %%
matching, matching_history = trained("matching")
print(f"Matching: {cfg['episodes']} episodes in {matching_history.seconds:.1f} s, "
      f"learned scale s = {matching.log_scale.exp():.1f}")

# %% [markdown]
# ## 5. Prototypical networks: class means
#
# Snell, Swersky and Zemel (2017) summarise each class by the mean of its support embeddings, the
# **prototype** $c_k = \frac{1}{|S_k|}\sum_{(x_i, y_i) \in S_k} f_\phi(x_i)$, and score a query by its
# negative squared Euclidean distance to each prototype:
#
# $$p_\phi(y = k \mid x) = \frac{\exp(-d(f_\phi(x), c_k))}{\sum_{k'} \exp(-d(f_\phi(x), c_{k'}))}, \qquad
#   d(z, z') = \lVert z - z' \rVert^2 .$$
#
# **Cosine vs Euclidean.** With the squared Euclidean distance the logits are a linear function of
# $f(\hat x)$ (the $\lVert f(\hat x)\rVert^2$ term is the same for every class), and the *length* of the
# embeddings sets how confident the softmax is: the network learns its own temperature. Cosine similarity
# throws the length away, so its logits live in $[-1, 1]$ and a scale $s$ has to be learned for the
# softmax to become confident (the scale is tlearn's; the paper compares the two without one). We train
# one of each, and watch the cosine model's scale grow in training.

# %%
protonet, protonet_history = trained("protonet", distance="euclidean")
protonet_cos, protonet_cos_history = trained("protonet", distance="cosine")
print(f"Prototypical (Euclidean): {protonet_history.seconds:.1f} s; "
      f"(cosine): {protonet_cos_history.seconds:.1f} s, learned scale s = {protonet_cos.log_scale.exp():.1f} "
      f"(started at {protonet_cos.config['scale']:.0f})")

# %% [markdown]
# ## 6. The method in plain PyTorch
#
# The three heads in torch alone, each line beside its equation. `f` is any encoder (here the trained
# Conv4s); nothing else is needed.

# %% tags=["from-scratch"]
def prototypical_loss(f, support, support_labels, query, query_labels):
    z = f(torch.cat([support, query])).flatten(1)  # one pass of the encoder over the whole episode
    z_support, z_query = z[: len(support)], z[len(support):]
    n_way = int(support_labels.max()) + 1
    c = torch.stack([z_support[support_labels == k].mean(0) for k in range(n_way)])  # c_k = mean_{S_k} f(x_i)
    logits = -((z_query[:, None, :] - c[None, :, :]) ** 2).sum(-1)  # logit_k = -||f(x) - c_k||^2
    return F.cross_entropy(logits, query_labels)  # J = -mean log p(y = k | x)


def matching_probabilities(z_support, support_labels, z_query, scale):
    cos = F.normalize(z_query, dim=1) @ F.normalize(z_support, dim=1).T  # c(f(x), g(x_i)), the cosine
    a = torch.softmax(scale * cos, dim=1)  # a(x, x_i) = softmax_i(s c); the paper's s is 1
    return a @ F.one_hot(support_labels).float()  # y = sum_i a(x, x_i) y_i


def siamese_probability(h1, h2, w, b):
    z1, z2 = F.normalize(h1, dim=1), F.normalize(h2, dim=1)  # tlearn: z = f(x) / ||f(x)||
    alpha = F.softplus(w)  # tlearn: alpha_j >= 0
    return torch.sigmoid(b - (alpha * (z1 - z2).abs()).sum(1))  # p = sigma(b - sum_j alpha_j |z1_j - z2_j|)

# %% [markdown]
# The same numbers from tlearn, on one training episode: the Prototypical loss and its gradients with
# respect to every encoder weight, the Matching network's probabilities and the Siamese pair probabilities
# agree within $10^{-5}$.

# %%
check = next(iter(samplers.EpisodeSampler(background, n_way=5, k_shot=2, q_query=3, n_episodes=1, seed=SEED)))
check = check.to(device)


def with_gradients(loss):
    return [loss, *torch.autograd.grad(loss, list(protonet.encoder.parameters()))]


ours = with_gradients(prototypical_loss(protonet.encoder, check.support, check.support_labels, check.query,
                                        check.query_labels))
theirs = with_gradients(fewshot.EpisodeLoss(protonet).loss(check, 0.0)[0])
assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(ours, theirs, strict=True))
with torch.no_grad():
    probabilities = matching_probabilities(matching.embed(check.support), check.support_labels,
                                           matching.embed(check.query), matching.log_scale.exp())
    assert torch.allclose(probabilities, matching(check.support, check.support_labels, check.query).exp(), atol=1e-5)
    x1, x2 = check.support, check.query[: len(check.support)]
    p_same = siamese_probability(siamese.encoder(x1), siamese.encoder(x2), siamese.l1_weight, siamese.bias)
    assert torch.allclose(p_same, torch.sigmoid(siamese.pair_scores(siamese.embed(x1), siamese.embed(x2))), atol=1e-5)
print(f"prototypical loss {ours[0]:.4f} = tlearn's {theirs[0]:.4f}; {len(ours) - 1} gradient tensors equal; "
      f"matching and siamese probabilities equal")

# %% [markdown]
# ## 7. The protocol: fixed test episodes, 95% intervals, and what they do not cover
#
# Each model embeds every evaluation drawing once (in evaluation mode an embedding does not depend on the
# rest of the batch), then the fixed episodes are scored from those embeddings: 5-way and 20-way, 1-shot
# and 5-shot, with the classes of an episode drawn across all evaluation alphabets or from within one
# alphabet (harder); 15 queries per class in 5-way episodes, 5 in 20-way ones. Training used 20-way 1-shot
# episodes throughout.
#
# - **The interval covers the test episodes only.** It says how far the mean would move with another draw
#   of test episodes for *this* trained network, not with another training run; section 8 trains again
#   with other seeds to show that spread.
# - **Conventions.** 600 test episodes with a 95% interval is the *miniImageNet* convention (Vinyals et
#   al., then Snell et al.). For Omniglot, Snell et al. report a mean over 1,000 test episodes, on Vinyals
#   et al.'s split of *characters* (1,200 for training, the rest for testing, classes across all
#   alphabets) with rotations by multiples of 90° as extra classes.
# - **These numbers cannot be compared with the published ones.** Glyphs is a procedural stand-in whose
#   calibration matches Omniglot's *pixel* baseline, not its learned accuracies; the split here is by
#   alphabet; the encoder is a narrow Conv4 trained for a hundred episodes on a CPU, where the papers train
#   wider networks for thousands of episodes on rotated classes.

# %%
models = {
    "Siamese (weighted L1, BCE)": siamese,
    "Matching (cosine attention)": matching,
    "Prototypical (Euclidean)": protonet,
    "Prototypical (cosine)": protonet_cos,
    "pixel nearest neighbour": pixel_nn,
}
eval_start = time.perf_counter()
embeddings = {name: fewshot.embed_dataset(model, evaluation, device=device) for name, model in models.items()}
settings = [(5, 1), (5, 5), (20, 1), (20, 5)]
protocols = [False, True] if has_groups else [False]
grid = {}  # (method, within, n_way, k_shot) -> EpisodeResult
for within in protocols:
    for n_way, k_shot in settings:
        # one draw of fixed episodes per protocol, scored by every model
        episodes = samplers.EpisodeSampler(evaluation, n_way, k_shot, q_query=15 if n_way == 5 else 5,
                                           n_episodes=cfg["test_episodes"], seed=SEED, fixed=True,
                                           within_groups=within)
        for name, model in models.items():
            grid[name, within, n_way, k_shot] = fewshot.evaluate_episodes(model, evaluation, episodes=episodes,
                                                                          embeddings=embeddings[name])
print(f"{len(grid)} evaluations of {cfg['test_episodes']} episodes each in {time.perf_counter() - eval_start:.1f} s")
for name in models:
    print(f"{name:30s} 5-way 1-shot across alphabets: {grid[name, False, 5, 1]}")

# %% [markdown]
# What the two distances do to one trained network: each Prototypical network scored with the *other*
# distance at test time, on the same 5-way 1-shot episodes (rows of the results table below).

# %%
swapped = {
    "Prototypical (Euclidean), scored with cosine": fewshot.evaluate_episodes(
        protonet, evaluation, **headline, embeddings=embeddings["Prototypical (Euclidean)"], distance="cosine"),
    "Prototypical (cosine), scored with Euclidean": fewshot.evaluate_episodes(
        protonet_cos, evaluation, **headline, embeddings=embeddings["Prototypical (cosine)"], distance="euclidean"),
}
for name, result in swapped.items():
    print(f"{name}: {result}")

# %% [markdown]
# ## 8. Training seeds: is the ranking real?
#
# One training run is one draw of initial weights and training episodes. With `cfg["seeds"]` above one,
# each of the three methods is trained again with more seeds at the same budget and scored on the same
# fixed 5-way 1-shot episodes. The quick size keeps one seed: two more runs of each method cost twice the
# training time of this notebook and would take it past 90 s on a laptop CPU, so at the quick size **any
# order of the three methods rests on one run**; the full size trains three seeds. The cell below calls one method ahead of another only where the gap between their means over
# the seeds is more than twice the larger standard deviation over seeds; otherwise the run does not rank them.

# %%
ranked = {"Siamese (weighted L1, BCE)": ("siamese", {}), "Matching (cosine attention)": ("matching", {}),
          "Prototypical (Euclidean)": ("protonet", {"distance": "euclidean"})}
per_seed = {name: [grid[name, False, 5, 1].mean] for name in ranked}
seeds_start = time.perf_counter()
for seed in range(SEED + 1, SEED + cfg["seeds"]):
    for name, (method, options) in ranked.items():
        model, _ = trained(method, seed, **options)
        per_seed[name].append(fewshot.evaluate_episodes(model, evaluation, **headline).mean)
seed_stats = {name: (torch.tensor(a).mean().item(), torch.tensor(a).std().nan_to_num().item())
              for name, a in per_seed.items()}
order = sorted(seed_stats, key=lambda name: -seed_stats[name][0])
print(f"{cfg['seeds'] - 1} more training runs of each method in {time.perf_counter() - seeds_start:.0f} s"
      + ("" if cfg["seeds"] > 1 else "; one run per method: the order below rests on one run"))
for name in order:
    print(f"{name:30s} mean over {cfg['seeds']} seeds {100 * seed_stats[name][0]:.1f} % "
          f"(sd {100 * seed_stats[name][1]:.1f}): " + ", ".join(f"{100 * a:.1f}" for a in per_seed[name]))
for better, worse in zip(order, order[1:]) if cfg["seeds"] > 1 else []:
    gap, sd = seed_stats[better][0] - seed_stats[worse][0], max(seed_stats[better][1], seed_stats[worse][1])
    print(f"{better} ahead of {worse} by {100 * gap:.1f} points on the mean: "
          + ("a ranking (more than twice the larger sd)" if gap > 2 * sd else f"no ranking (sd up to {100 * sd:.1f})"))

# %% [markdown]
# ## 9. Figures: an episode, shots, and an embedding
#
# The Prototypical network's predictions on the episode from section 1 (green right, red wrong):

# %%
predictions, _ = fewshot.classify(protonet, episode.support, episode.support_labels, episode.query)
viz.plot_episode(episode, predictions, max_query=4);

# %% [markdown]
# Accuracy against the number of shots (5-way, across alphabets, 10 queries per class, 200 fixed
# episodes per point). For the Prototypical network a prototype is a mean, and a mean of more drawings is
# a steadier summary of a character.

# %%
shots = [1, 2, 5, 10]
curves = {name: [fewshot.evaluate_episodes(model, evaluation, n_way=5, k_shot=k, q_query=10, n_episodes=200,
                                           seed=SEED, embeddings=embeddings[name]) for k in shots]
          for name, model in models.items()}
viz.plot_accuracy_vs_shots(curves, chance=1 / 5);

# %% [markdown]
# One 5-way 5-shot test episode in the Prototypical network's embedding space (a 2-D PCA of it): each
# class's support drawings (circles) around their prototype (star), and the queries (dots) falling near
# the prototype of their class.

# %%
shot_episode = next(iter(samplers.EpisodeSampler(evaluation, 5, 5, 10, n_episodes=1, seed=SEED + 1)))
with torch.no_grad():
    z_support = protonet.embed(shot_episode.support.to(device)).cpu()
    z_query = protonet.embed(shot_episode.query.to(device)).cpu()
prototypes = fewshot.class_means(z_support, shot_episode.support_labels)
viz.plot_episode_embedding(z_support, shot_episode.support_labels, z_query, shot_episode.query_labels,
                           prototypes, title="5-way 5-shot episode, Prototypical (Euclidean) embedding");

# %% [markdown]
# ## 10. Try it: N, K, the method and the distance
#
# The panel evaluates any of the trained models on fixed episodes of your choosing (cached embeddings
# make each click quick) and shows one episode with its predictions. The distance switch applies to the
# Prototypical networks.

# %%
panel = widgets.fewshot_panel(models, evaluation, embeddings=embeddings, n_episodes=200, seed=SEED)
panel

# %% tags=["remove-cell"]
widgets.drive(panel, click="evaluate", method="Prototypical (cosine)", distance="euclidean", n_way=20,
              k_shot=5, within=has_groups)
assert panel.results

# %% [markdown]
# ## 11. Results
#
# Mean accuracy (%) ± 95% interval over the fixed test episodes (15 queries per class in 5-way episodes,
# 5 in 20-way ones); "across": an episode's classes drawn from all evaluation alphabets, "within": from
# one alphabet. All models were trained in this run on 20-way 1-shot episodes (or pairs) of the
# background alphabets. With more than one training seed (section 8), a last column gives the 5-way 1-shot
# accuracy across alphabets as mean ± standard deviation over the seeds.

# %% tags=["results"]
def cell(result):
    return f"{100 * result.mean:.1f} ± {100 * result.ci95:.1f}"


histories = {"Siamese (weighted L1, BCE)": siamese_history, "Matching (cosine attention)": matching_history,
             "Prototypical (Euclidean)": protonet_history, "Prototypical (cosine)": protonet_cos_history}
training_images = {name: 120 * len(h["loss"]) for name, h in histories.items()}  # 120 images per step
seeds_column = f"5-way 1-shot, {cfg['seeds']} seeds"
rows = []
for name in models:
    for within in protocols:
        row = {"method": name, "episodes": "within" if within else "across",
               "training images": training_images.get(name, 0)}
        row.update({f"{n}-way {k}-shot": cell(grid[name, within, n, k]) for n, k in settings})
        if name in seed_stats and not within and cfg["seeds"] > 1:
            row[seeds_column] = f"{100 * seed_stats[name][0]:.1f} ± {100 * seed_stats[name][1]:.1f}"
        rows.append(row)
for name, result in swapped.items():
    rows.append({"method": name, "episodes": "across", "5-way 1-shot": cell(result)})
results = viz.results_table(rows, title=f"{DATASET}: evaluation alphabets, {cfg['test_episodes']} fixed episodes "
                                        f"per cell, 95% intervals")
results

# %% [markdown]
# ## 12. What the text claimed, checked

# %%
learned = [name for name in models if name != "pixel nearest neighbour"]
gain = {name: grid[name, False, 5, 1].mean - pixel_result.mean for name in learned}
shot_gain = {(name, within, n): grid[name, within, n, 5].mean - grid[name, within, n, 1].mean
             for name in models for within in protocols for n in (5, 20)}
print("over pixel nearest neighbour (5-way 1-shot): " + ", ".join(f"{k} +{100 * v:.1f}" for k, v in gain.items()))
print(f"5 shots over 1 shot: {100 * min(shot_gain.values()):.1f} to {100 * max(shot_gain.values()):.1f} points")
# every learned method beats pixel nearest neighbour by at least 30 points on 5-way 1-shot
assert min(gain.values()) >= 0.30, gain
# 5 shots beat 1 shot by at least 3 points, for every method, 5-way and 20-way, within and across
assert min(shot_gain.values()) >= 0.03, shot_gain
# the headline numbers use >= 600 fixed episodes, and every interval is below 3 points
assert all(r.n_episodes >= 600 and 0 < r.ci95 < 0.03 for r in grid.values())
# episodes within one alphabet are harder than episodes across alphabets (5-way 1-shot), by at least 1 point;
# a folder of your own has no alphabets, hence no within-alphabet episodes: there this claim does not apply
harder = {name: grid[name, False, 5, 1].mean - grid[name, True, 5, 1].mean for name in models if has_groups}
print("within one alphabet, 5-way 1-shot: " + ", ".join(f"{k} -{100 * v:.1f}" for k, v in harder.items())
      if has_groups else "no alphabets (groups) in this data set: no within-alphabet episodes to compare")
assert not has_groups or min(harder.values()) >= 0.01, harder
# the cosine model's learned scale grew from its starting value
assert protonet_cos.log_scale.exp() > protonet_cos.config["scale"]
print(f"whole notebook: {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - A few-shot model transfers a **way of comparing**, learned on other classes; nothing is fitted to the
#   new classes at test time.
# - **Siamese** networks learn it from pairs, **Matching** and **Prototypical** networks from episodes
#   shaped like the test. All of them beat pixel nearest neighbour by at least 30 points (section 12 prints
#   by how much), and 5 shots beat 1 shot by at least 3 points for every one of them.
# - The Prototypical network is the simplest: a class is the mean of its embeddings, a query's logit its
#   negative squared distance; five lines of PyTorch. With cosine, the length of the embedding no longer
#   matters and a learned scale takes over its role as the softmax's temperature.
# - Report few-shot accuracy as a mean over hundreds of **fixed** episodes with a 95% interval, say which
#   protocol (N, K, queries, within or across alphabets) each number uses, and train more than once before
#   ranking methods: the interval covers the test episodes, not the training run.
#
# ## Exercises
# 1. **Implement** the cosine head of the Prototypical network: logits $s \cos(f(\hat x), c_k)$ for query
#    embeddings `[Q, D]`, prototypes `[N, D]` and a scale $s$. The next cell checks your function.
# 2. Train the Prototypical network on 5-way instead of 20-way episodes (same number of images per step:
#    `n_way=5, q_query=23`). Snell et al. found more ways in training help; do you see it?
# 3. Switch on `MatchingNet(fce=True)` and compare it with the plain Matching network at the same budget.
#    Then set `scale=1`, the paper's attention: how far does it get in a hundred episodes?
# 4. Train the Siamese network with `loss="contrastive"`. Which pair loss transfers better here?
# 5. Set `ROTATIONS = True`. Does the 4x larger set of training classes help at this short budget?
# 6. Train with the *unsquared* distance, $-\lVert f(\hat x) - c_k \rVert$ (subclass `PrototypicalNet` and
#    return `-torch.cdist(query, self.prototypes(support, support_labels))` from `logits_from_embeddings`).
#    `make bench` compares it with the squared one after 100 episodes (`benchmarks/RESULTS.md`). Why might
#    smaller logits train faster early on, and does the gap last if you train ten times longer?

# %%
def cosine_logits(query, prototypes, scale):
    ...  # your code: return a [Q, N] tensor of logits


exercises.check_fewshot_cosine_logits(cosine_logits);

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def cosine_logits(query, prototypes, scale):
#     return scale * F.normalize(query, dim=1) @ F.normalize(prototypes, dim=1).T  # s cos(f(x), c_k)
# ```
#
# Normalise both sides: prototypes are means, and a mean of unit vectors is shorter than one, so
# normalising only the queries would let the prototypes' lengths leak into the logits.
# </details>
