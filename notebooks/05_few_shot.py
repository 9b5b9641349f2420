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
# - The **Omniglot protocol**: train on background alphabets, test on evaluation alphabets, report the mean
#   over 600 fixed test episodes with a **95% interval**; 5-way and 20-way, 1-shot and 5-shot, within and
#   across alphabets, next to a **pixel nearest-neighbour** baseline.
# - How to run the same models on **torchvision's Omniglot or your own folder of images**, save them, and
#   run long trainings from the **command line**.

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
import tempfile
import time
from pathlib import Path

import torch

from tlearn import fewshot, samplers, viz, widgets
from tlearn.data.glyphs import trajectory_to_strokes
from tlearn.train import get_device, seed_everything
from torchvision.utils import save_image

run_start = time.perf_counter()
seed_everything(SEED)
device = get_device(DEVICE)
SIZES = {  # the quick size trains each method for about 10 s on a 2-core CPU
    "quick": {"hidden": 32, "episodes": 100, "pair_batches": 120, "test_episodes": 600},
    "full": {"hidden": 64, "episodes": 5000, "pair_batches": 7500, "test_episodes": 1000},
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
# $\lVert \hat x - x_i \rVert^2$ over raw pixels. Every number in this notebook is a mean over the same
# fixed test episodes (`EpisodeSampler(..., fixed=True)`, one seed), with a 95% interval
# $\bar a \pm 1.96\, s/\sqrt{n}$ over the $n$ episodes.

# %%
pixel_nn = fewshot.PixelNearestNeighbour()
headline = dict(n_way=5, k_shot=1, q_query=15, n_episodes=cfg["test_episodes"], seed=SEED)
pixel_result = fewshot.evaluate_episodes(pixel_nn, evaluation, **headline)
print(f"pixel nearest neighbour: {pixel_result}  ({pixel_result.protocol})")

# %% [markdown]
# ## 3. Siamese networks: learn to verify pairs
#
# Koch, Zemel and Salakhutdinov (2015) train twin copies of one encoder to answer "same character or
# not?" for a pair of drawings, with a weighted L1 distance and a sigmoid:
#
# $$p(\text{same} \mid x_1, x_2) = \sigma\Big(b - \sum_j \alpha_j\, |z_{1j} - z_{2j}|\Big), \qquad
#   z = f_\theta(x) / \lVert f_\theta(x) \rVert,\ \alpha_j \ge 0,$$
#
# trained with binary cross-entropy on pairs from `PairSampler`, half of them same-class. The network
# never sees an episode: at test time a query takes the class of its most similar support image.
# (`fewshot.SiameseNet` normalises the embeddings and keeps $\alpha \ge 0$ so that short runs learn; the
# docstring says why. `loss="contrastive"` is the other classic pair loss.)
#
# Every model here uses the same encoder, a Conv4 (four blocks of conv, batch norm, ReLU, max pool), and
# sees the same number of images per training step: one 20-way episode with 1 support and 5 queries per
# class is 120 images, one batch of 60 pairs is 120 images too. The Siamese network gets a few more steps
# than the others (the results table counts the training images of each), and still ends below the
# episodic methods: in short runs, verifying pairs is a slower teacher than solving episodes.

# %%
def conv4_model(method, **options):
    return fewshot.make_model(method, in_channels=channels, hidden=cfg["hidden"], seed=SEED, **options)


episode_training = dict(n_way=20, k_shot=1, q_query=5, seed=SEED, device=device)
siamese = conv4_model("siamese")
siamese_history = fewshot.train(siamese, background, steps=cfg["pair_batches"], lr=5e-3, **episode_training)
print(f"Siamese: {cfg['pair_batches']} batches of 60 pairs in {siamese_history.total_seconds:.1f} s, "
      f"pair accuracy over the last 20 batches {sum(siamese_history['train_acc'][-20:]) / 20:.2f}")

# %% [markdown]
# ## 4. Matching networks: attention over the support set
#
# Vinyals et al. (2016) train on **episodes** shaped like the test ones, and predict with a softmax
# attention over cosine similarities to every support example:
#
# $$P(y = k \mid \hat x, S) = \sum_{i} a(\hat x, x_i)\,[y_i = k], \qquad
#   a(\hat x, x_i) = \frac{\exp\big(s \cos(f(\hat x), f(x_i))\big)}{\sum_j \exp\big(s \cos(f(\hat x), f(x_j))\big)}.$$
#
# The loss is the cross-entropy of the queries' labels, so the encoder learns exactly what the test asks.
# (`MatchingNet(fce=True)` adds the paper's full-context embeddings: LSTMs that let the support set shape
# its own embeddings.)

# %%
matching = conv4_model("matching")
matching_history = fewshot.train(matching, background, steps=cfg["episodes"], lr=3e-3, **episode_training)
print(f"Matching: {cfg['episodes']} episodes in {matching_history.total_seconds:.1f} s")

# %% [markdown]
# ## 5. Prototypical networks: class means
#
# Snell, Swersky and Zemel (2017) summarise each class by the mean of its support embeddings, the
# **prototype** $c_k = \frac{1}{K}\sum_{i: y_i = k} f(x_i)$, and score a query by its negative squared
# Euclidean distance to each prototype:
#
# $$\text{logit}_k(\hat x) = -\lVert f(\hat x) - c_k \rVert^2 .$$
#
# **Cosine vs Euclidean.** With the squared Euclidean distance the logits are a linear function of
# $f(\hat x)$ (the $\lVert f(\hat x)\rVert^2$ term is the same for every class), and the *length* of the
# embeddings sets how confident the softmax is: the network learns its own temperature. Cosine similarity
# throws the length away, so its logits live in $[-1, 1]$ and a scale $s$ has to be learned for the
# softmax to become confident. We train one of each, and watch the cosine model's scale grow in training.

# %%
protonet = conv4_model("protonet", distance="euclidean")
protonet_history = fewshot.train(protonet, background, steps=cfg["episodes"], lr=3e-3, **episode_training)
protonet_cos = conv4_model("protonet", distance="cosine")
protonet_cos_history = fewshot.train(protonet_cos, background, steps=cfg["episodes"], lr=3e-3, **episode_training)
print(f"Prototypical (Euclidean): {protonet_history.total_seconds:.1f} s; "
      f"(cosine): {protonet_cos_history.total_seconds:.1f} s, learned scale s = {protonet_cos.log_scale.exp():.1f} "
      f"(started at {protonet_cos.config['scale']:.0f})")

# %% [markdown]
# ## 6. The protocol: 600 fixed test episodes, 95% intervals
#
# Each model embeds every evaluation drawing once (in evaluation mode an embedding does not depend on the
# rest of the batch), then the fixed episodes are scored from those embeddings: 5-way and 20-way, 1-shot
# and 5-shot, with the classes of an episode drawn across all evaluation alphabets (the usual Omniglot
# protocol) or from within one alphabet (harder); 15 queries per class in 5-way episodes, 5 in 20-way
# ones. Training used 20-way 1-shot episodes throughout.

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
# ## 7. Figures: an episode, shots, and an embedding
#
# The Prototypical network's predictions on the episode from section 1 (green right, red wrong):

# %%
predictions, _ = fewshot.classify(protonet, episode.support, episode.support_labels, episode.query)
viz.plot_episode(episode, predictions, max_query=4);

# %% [markdown]
# Accuracy against the number of shots (5-way, across alphabets, 10 queries per class, 200 fixed
# episodes per point). More examples of each new class help every method; for the Prototypical network a
# prototype is a mean, and a mean of more drawings is a steadier summary of a character.

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
    protonet.eval()
    z_support = protonet.embed(shot_episode.support.to(device)).cpu()
    z_query = protonet.embed(shot_episode.query.to(device)).cpu()
prototypes = fewshot.class_means(z_support, shot_episode.support_labels)
viz.plot_episode_embedding(z_support, shot_episode.support_labels, z_query, shot_episode.query_labels,
                           prototypes, title="5-way 5-shot episode, Prototypical (Euclidean) embedding");

# %% [markdown]
# ## 8. Try it: N, K, the method and the distance
#
# The panel evaluates any of the trained models on fixed episodes of your choosing (cached embeddings
# make each click quick) and shows one episode with its predictions. The distance switch applies to the
# Prototypical networks. The next cell also drives it once, as a user would.

# %%
panel = widgets.fewshot_panel(models, evaluation, embeddings=embeddings, n_episodes=200, seed=SEED)
widgets.drive(panel, click="evaluate", method="Prototypical (cosine)", distance="euclidean", n_way=20,
              k_shot=5, within=has_groups)
panel

# %% [markdown]
# ## 9. Draw your own
#
# A glyph can be written as a list of strokes, each a list of $(x, y)$ points in $[-1, 1]$, and rendered
# by the same renderer that draws Glyphs. Below, one evaluation character's pen trajectory is redrawn
# with a shaky hand (every point moved a little) and classified against a 5-way 1-shot support set drawn
# by other drawers.

# %%
draw_episode = next(iter(samplers.EpisodeSampler(evaluation, 5, 1, 1, n_episodes=1, seed=SEED + 2)))
target = 2  # the class we redraw
if hasattr(evaluation, "trajectories"):
    i = int(draw_episode.query_index[target])
    strokes = trajectory_to_strokes(evaluation.trajectories[i], evaluation.lengths[i])
    shaky = torch.Generator().manual_seed(SEED)
    strokes = [(torch.as_tensor(s) + 0.03 * torch.randn(len(s), 2, generator=shaky)).clamp(-1, 1).tolist()
               for s in strokes]
else:  # real images have no pen trajectories: a hand-written T instead
    strokes = [[(-0.5, 0.5), (0.5, 0.5)], [(0.0, 0.5), (0.0, -0.6)]]
image, predicted, scores = fewshot.classify_drawing(protonet, strokes, draw_episode.support,
                                                    draw_episode.support_labels)
names = [f"class {c}" + (" (redrawn)" if c == target else "") for c in range(5)]
viz.plot_drawing(image, draw_episode.support, draw_episode.support_labels, scores, names);

# %% [markdown]
# Your turn: edit the strokes (a list of strokes, each a list of `(x, y)` points) and click *classify*.
# The cell drives it once with a two-stroke "T".

# %%
draw = widgets.draw_panel(protonet, draw_episode.support, draw_episode.support_labels, names)
widgets.drive(draw, click="classify", strokes="[[(-0.6, 0.6), (0.6, 0.6)], [(0, 0.6), (0, -0.7)]]", width=2.0)
draw

# %% [markdown]
# ## 10. Any labelled image set, and saving the model
#
# The models and the sampler only need labels (`samplers.labels_of`) and images: torchvision's Omniglot
# and an `ImageFolder` of your own work exactly like Glyphs. The `DATASET` parameter switches between them:
#
# ```python
# background = fewshot.load_data("omniglot", "background")     # torchvision's Omniglot, 964 characters
# evaluation = fewshot.load_data("omniglot", "evaluation")     # 659 characters of 20 other alphabets
# train_set = fewshot.image_folder("my_scripts/train")         # one subfolder per class
# train_set = fewshot.rotate_classes(train_set)                # rotations as new classes (optional)
# ```
#
# Here a small folder of PNG files (30 evaluation characters, spread over the alphabets, 20 drawings each)
# is written, and the trained Prototypical network is tested on it through `image_folder`, the same
# sampler and the same evaluation. Then the model is saved (weights, config, checksum) and loaded back.

# %%
workdir = Path(tempfile.mkdtemp(prefix="tlearn-fewshot-"))
labels = samplers.labels_of(evaluation)
spread_classes = sorted(set(labels.tolist()))[::13][:30]
for c in spread_classes:
    (workdir / "images" / f"char{c:03d}").mkdir(parents=True)
    for j, i in enumerate(torch.nonzero(labels == c).flatten().tolist()):
        image_i = samplers.fetch(evaluation, torch.tensor([i]))[0]
        save_image(image_i, workdir / "images" / f"char{c:03d}" / f"{j}.png")
folder_set = fewshot.image_folder(workdir / "images", image_size=28, channels=channels)
folder_result = fewshot.evaluate_episodes(protonet, folder_set, n_way=5, k_shot=1, q_query=15, n_episodes=100,
                                          seed=SEED)
print(f"ImageFolder of {len(folder_set)} PNG files, {len(folder_set.classes)} classes: {folder_result} "
      f"({folder_result.protocol})")

path = fewshot.save_model(protonet, workdir / "protonet.pt", accuracy=grid["Prototypical (Euclidean)", False, 5, 1].mean)
reloaded = fewshot.load_model(path, device=device)
reloaded_result = fewshot.evaluate_episodes(reloaded, folder_set, n_way=5, k_shot=1, q_query=15, n_episodes=100,
                                            seed=SEED)
print(f"saved {path.stat().st_size / 1024:.0f} kB (with its accuracy, {reloaded.info['accuracy']:.3f}); "
      f"the reloaded model on the same folder episodes: {reloaded_result}")

# %% [markdown]
# For runs too long for a notebook, the same steps are a command line (with a progress bar):
#
# ```bash
# python -m tlearn.fewshot train --data folder:my_scripts/train --test folder:my_scripts/test \
#     --method protonet --steps 5000 --n-way 20 --rotations --device auto --out protonet.pt
# python -m tlearn.fewshot evaluate --model protonet.pt --data folder:my_scripts/test --eval-way 5 \
#     --eval-shot 1 5 --baseline
# ```

# %% [markdown]
# ## 11. Results
#
# Mean accuracy (%) ± 95% interval over the fixed test episodes (15 queries per class in 5-way episodes,
# 5 in 20-way ones); "across": an episode's classes drawn from all evaluation alphabets, "within": from
# one alphabet. All models were
# trained in this run on 20-way 1-shot episodes (or pairs) of the background alphabets.

# %% tags=["results"]
def cell(result):
    return f"{100 * result.mean:.1f} ± {100 * result.ci95:.1f}"


histories = {"Siamese (weighted L1, BCE)": siamese_history, "Matching (cosine attention)": matching_history,
             "Prototypical (Euclidean)": protonet_history, "Prototypical (cosine)": protonet_cos_history}
training_images = {name: 120 * len(h["loss"]) for name, h in histories.items()}  # 120 images per step
rows = []
for name in models:
    for within in protocols:
        row = {"method": name, "episodes": "within" if within else "across",
               "training images": training_images.get(name, 0)}
        row.update({f"{n}-way {k}-shot": cell(grid[name, within, n, k]) for n, k in settings})
        rows.append(row)
for name, result in swapped.items():
    rows.append({"method": name, "episodes": "across", "5-way 1-shot": cell(result)})
rows.append({"method": "Prototypical (Euclidean) on an ImageFolder", "episodes": "across",
             "5-way 1-shot": cell(folder_result) + f" ({folder_result.n_episodes} episodes)"})
results = viz.results_table(rows, title=f"{DATASET}: evaluation alphabets, {cfg['test_episodes']} fixed episodes "
                                        f"per cell, 95% intervals")
results

# %% [markdown]
# ## 12. What the text claimed, checked

# %%
learned = [name for name in models if name != "pixel nearest neighbour"]
# every learned method beats pixel nearest neighbour by at least 20 points on 5-way 1-shot
for name in learned:
    assert grid[name, False, 5, 1].mean >= pixel_result.mean + 0.20, (name, grid[name, False, 5, 1], pixel_result)
# the pixel baseline in the grid is the one printed in section 2 (same fixed episodes)
assert grid["pixel nearest neighbour", False, 5, 1].mean == pixel_result.mean
# 5 shots beat 1 shot, for every method, 5-way and 20-way
for name in models:
    for within in protocols:
        for n_way in (5, 20):
            assert grid[name, within, n_way, 5].mean > grid[name, within, n_way, 1].mean, (name, within, n_way)
# the accuracy-vs-shots curve rises from 1 to 10 shots for every method
assert all(c[-1].mean > c[0].mean for c in curves.values())
# the headline numbers use >= 600 fixed episodes, and every interval is a real, small interval
assert all(r.n_episodes >= 600 and 0 < r.ci95 < 0.03 for r in grid.values())
# episodes within one alphabet are harder than episodes across alphabets (5-way 1-shot)
if has_groups:
    assert all(grid[name, True, 5, 1].mean < grid[name, False, 5, 1].mean for name in models)
# the ImageFolder path runs the same model through the same sampler to a real accuracy
assert folder_result.mean > 0.5, folder_result
# a saved and reloaded model gives the same accuracy on the same episodes
assert abs(reloaded_result.mean - folder_result.mean) < 1e-3
# even with more training images, the Siamese network ends below the Prototypical network
assert training_images["Siamese (weighted L1, BCE)"] > training_images["Prototypical (Euclidean)"]
assert grid["Siamese (weighted L1, BCE)", False, 5, 1].mean < grid["Prototypical (Euclidean)", False, 5, 1].mean
# the cosine model's learned scale grew from its starting value
assert protonet_cos.log_scale.exp() > protonet_cos.config["scale"]
# the panels ran (and raised nothing)
assert panel.results and draw.predictions
print(f"whole notebook: {time.perf_counter() - run_start:.0f} s")

# %% [markdown]
# ## Summary
# - A few-shot model transfers a **way of comparing**, learned on other classes; nothing is fitted to the
#   new classes at test time.
# - **Siamese** networks learn it from pairs, **Matching** and **Prototypical** networks from episodes
#   shaped like the test. All of them beat pixel nearest neighbour by a wide margin (see the table), and
#   more shots help every one of them.
# - The Prototypical network is the simplest: a class is the mean of its embeddings, a query's logit its
#   negative squared distance. With cosine, the length of the embedding no longer matters and a learned
#   scale takes over its role as the softmax's temperature.
# - Report few-shot accuracy as a mean over hundreds of **fixed** episodes with a 95% interval, and say
#   which protocol (N, K, queries, within or across alphabets) each number uses.
#
# ## Exercises
# 1. Train the Prototypical network on 5-way instead of 20-way episodes (same number of images per step:
#    `n_way=5, q_query=23`). Snell et al. found more ways in training help; do you see it?
# 2. Switch on `MatchingNet(fce=True)` and compare it with the plain Matching network at the same budget.
# 3. Train the Siamese network with `loss="contrastive"`. Which pair loss transfers better here?
# 4. Set `ROTATIONS = True`. Does the 4x larger set of training classes help at this short budget?
# 5. Put a few of your own scripts' characters in folders and test the saved model on them with
#    `python -m tlearn.fewshot evaluate --model ... --data folder:...`.
# 6. Train with the *unsquared* distance, $-\lVert f(\hat x) - c_k \rVert$ (subclass `PrototypicalNet` and
#    return `-torch.cdist(query, self.prototypes(support, support_labels))` from `logits_from_embeddings`).
#    `make bench` compares it with the squared one after 100 episodes (`benchmarks/RESULTS.md`). Why might
#    smaller logits train faster early on, and does the gap last if you train ten times longer?
