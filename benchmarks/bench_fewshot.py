"""Prototypical networks: tlearn's loop against easyfsl's, on the same backbone and the same episode shape.

Both libraries train a Prototypical network (Snell et al. 2017) on a Conv4 backbone that starts from the
same initial weights, for the same number of 20-way 1-shot 5-query episodes of the Glyphs background
alphabets, each through its own episode sampler:

- tlearn: ``fewshot.train_episodes`` with ``samplers.EpisodeSampler``;
- easyfsl (only if installed; it is not a dependency of tlearn: ``pip install easyfsl``):
  ``easyfsl.methods.PrototypicalNetworks`` fed by ``easyfsl.samplers.TaskSampler`` through a
  ``DataLoader`` with its ``episodic_collate_fn``, trained with the loop from easyfsl's README.

Reported: training steps (episodes) per second, median (min-max) over ``--repeats`` runs, and the 5-way
1-shot accuracy after training, on the *same* fixed test episodes of the evaluation alphabets (600 by
default) with a 95% interval. easyfsl scores a query by :math:`-\\lVert q - c_k\\rVert` and tlearn by
:math:`-\\lVert q - c_k\\rVert^2`; the square root changes the training loss but not which prototype is
nearest, so easyfsl's trained backbone is scored by the same evaluation code with identical predictions.
The loss does differ, though (and easyfsl embeds support and query in two passes, so batch norm sees two
batches): the accuracy column compares the two implementations, not only the speed of two loops. A third
row trains tlearn's network with easyfsl's unsquared distance, to tell the distance's share of any
accuracy difference from the rest. (Snell et al. chose the squared distance, a Bregman divergence, for
which class means are the right prototypes; how fast each trains in a short run is a separate question.)

Run: ``python benchmarks/bench_fewshot.py [--episodes 200] [--repeats 3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TLEARN_NO_PROGRESS", "1")

from tlearn import data, fewshot  # noqa: E402
from tlearn.backbones import Conv4  # noqa: E402

TRAIN = dict(n_way=20, k_shot=1, q_query=5)
TEST = dict(n_way=5, k_shot=1, q_query=15)


def easyfsl_available() -> bool:
    try:
        import easyfsl  # noqa: F401
    except ImportError:
        return False
    return True


def initial_backbone(hidden: int) -> dict:
    """One set of initial weights, shared by every run of both libraries."""
    torch.manual_seed(0)
    return Conv4(hidden=hidden).state_dict()


def fresh_backbone(init: dict, hidden: int) -> Conv4:
    backbone = Conv4(hidden=hidden)
    backbone.load_state_dict(init)
    return backbone


class _UnsquaredPrototypical(fewshot.PrototypicalNet):
    """tlearn's Prototypical network scored as easyfsl scores, by :math:`-\\lVert q - c_k\\rVert` (unsquared):
    a third row that separates the effect of the distance from that of the loop."""

    def logits_from_embeddings(self, support, support_labels, query):
        return -torch.cdist(query, self.prototypes(support, support_labels))


def train_tlearn(
    background, init: dict, hidden: int, episodes: int, lr: float, seed: int, network=fewshot.PrototypicalNet
):
    model = network(fresh_backbone(init, hidden))
    start = time.perf_counter()  # from the call to its return: the sampler is built and run inside
    fewshot.train_episodes(
        model, background, n_episodes=episodes, lr=lr, seed=seed, device="cpu", progress=False, **TRAIN
    )
    return model.encoder, episodes / (time.perf_counter() - start)


class _WithLabels(torch.utils.data.Dataset):
    """What easyfsl's TaskSampler asks of a dataset: items ``(image, label)`` and ``get_labels()``."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]

    def get_labels(self) -> list:
        return self.dataset.targets.tolist()


def train_easyfsl(background, init: dict, hidden: int, episodes: int, lr: float, seed: int):
    from easyfsl.methods import PrototypicalNetworks
    from easyfsl.samplers import TaskSampler

    random.seed(seed)  # TaskSampler draws with Python's random module
    torch.manual_seed(seed)
    model = PrototypicalNetworks(fresh_backbone(init, hidden))
    dataset = _WithLabels(background)
    sizes = dict(n_way=TRAIN["n_way"], n_shot=TRAIN["k_shot"], n_query=TRAIN["q_query"], n_tasks=episodes)
    try:
        sampler = TaskSampler(dataset, **sizes)
    except TypeError:
        # easyfsl <= 1.5 calls Sampler.__init__(data_source=None), an argument recent torch removed:
        # accept and ignore it while the sampler is built
        original = torch.utils.data.Sampler.__init__
        torch.utils.data.Sampler.__init__ = lambda self, data_source=None: None
        try:
            sampler = TaskSampler(dataset, **sizes)
        finally:
            torch.utils.data.Sampler.__init__ = original
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=sampler, num_workers=0, collate_fn=sampler.episodic_collate_fn
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    start = time.perf_counter()
    for support_images, support_labels, query_images, query_labels, _ in loader:
        optimizer.zero_grad()
        model.process_support_set(support_images, support_labels)
        loss = F.cross_entropy(model(query_images), query_labels)
        loss.backward()
        optimizer.step()
    return model.backbone, episodes / (time.perf_counter() - start)


def accuracy(backbone, evaluation, test_episodes: int, seed: int):
    """5-way 1-shot accuracy of a trained backbone as a Prototypical network, on fixed test episodes."""
    return fewshot.evaluate_episodes(
        fewshot.PrototypicalNet(backbone), evaluation, n_episodes=test_episodes, seed=seed, device="cpu", **TEST
    )


def run(
    episodes: int = 200, repeats: int = 3, hidden: int = 64, lr: float = 1e-3, test_episodes: int = 600, seed: int = 0
) -> list[dict]:
    """One row per library: steps per second over ``repeats`` runs, and accuracy after ``episodes``."""
    background, evaluation = data.glyphs("background"), data.glyphs("evaluation")
    init = initial_backbone(hidden)
    libraries = {
        "tlearn": train_tlearn,
        "tlearn, unsquared distance": functools.partial(train_tlearn, network=_UnsquaredPrototypical),
    }
    if easyfsl_available():
        libraries["easyfsl"] = train_easyfsl
    for train in libraries.values():  # warm-up, untimed: the first run in a process pays one-off costs
        train(background, init, hidden, 5, lr, seed)
    rates, backbones = {name: [] for name in libraries}, {}
    for _ in range(repeats):  # interleaved, so that a slow spell on a shared machine hits both alike
        for name, train in libraries.items():
            trained, rate = train(background, init, hidden, episodes, lr, seed)
            rates[name].append(rate)
            backbones.setdefault(name, trained)
    rows = []
    for name in libraries:
        result = accuracy(backbones[name], evaluation, test_episodes, seed)
        rows.append(
            {
                "library": name,
                "steps_per_s": rates[name],
                "accuracy": result.mean,
                "ci95": result.ci95,
                "protocol": result.protocol,
            }
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=200, help="training episodes per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per library")
    parser.add_argument("--hidden", type=int, default=64, help="Conv4 channels")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--test-episodes", type=int, default=600)
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    spec = f"{TRAIN['n_way']}-way {TRAIN['k_shot']}-shot {TRAIN['q_query']}-query"
    print(
        f"Prototypical network, Conv4-{args.hidden}, {args.episodes} training episodes ({spec}) on Glyphs, "
        f"torch {torch.__version__} with {torch.get_num_threads()} threads"
    )
    if not easyfsl_available():
        print(
            "easyfsl is not installed: measuring tlearn alone (pip install easyfsl to compare; "
            "tlearn does not depend on it)"
        )
    rows = run(args.episodes, args.repeats, args.hidden, args.lr, args.test_episodes)
    print(f"{'library':<28} {'steps/s, median (min-max)':<28} accuracy after training")
    for row in rows:
        rates = row["steps_per_s"]
        print(
            f"{row['library']:<28} {statistics.median(rates):6.2f} ({min(rates):.2f}-{max(rates):.2f}){'':<12} "
            f"{100 * row['accuracy']:.1f} ± {100 * row['ci95']:.1f} %  ({row['protocol']})"
        )
    if rows[-1]["library"] == "easyfsl":
        ratio = statistics.median(rows[0]["steps_per_s"]) / statistics.median(rows[-1]["steps_per_s"])
        print(f"tlearn / easyfsl speed ratio: {ratio:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
