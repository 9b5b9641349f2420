"""The command line, ``python -m tlearn.fewshot``: few-shot runs too long for a notebook.

Train a Siamese, Matching or Prototypical network on a folder of classes (or a named dataset), evaluate it
N-way K-shot on other classes with a 95% interval, and save it::

    python -m tlearn.fewshot train --data folder:my_alphabets/train --test folder:my_alphabets/test \\
        --method protonet --rotations --out protonet.pt
    python -m tlearn.fewshot evaluate --model protonet.pt --data folder:my_alphabets/test --eval-way 5 --eval-shot 1 5

``--data`` takes ``glyphs`` (offline), ``omniglot`` (torchvision, downloaded once) or ``folder:<path>``
(one subfolder per class). For ``glyphs`` and ``omniglot`` training uses the background alphabets and
testing the evaluation alphabets. Folders are decoded once into memory when they fit ``--memory-budget``
(GB, default 1).

``train``'s defaults are Snell et al.'s Omniglot recipe (NeurIPS 2017): 60-way 1-shot training episodes
with 5 queries per class, Adam at 1e-3 halved every 2,000 episodes (``--lr-schedule step``), here for
4,000 episodes. With fewer than 60 classes of ``k_shot + q_query`` images the episodes take as many ways as
there are such classes, and the run says so.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..data.folders import MEMORY_BUDGET, has_splits, load_data, rotate_classes
from .base import PixelNearestNeighbour
from .evaluate import embed_dataset, evaluate_episodes
from .io import load_model, save_model
from .models import make_model
from .training import train


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tlearn.fewshot",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def data_options(p, with_eval: bool):
        p.add_argument("--image-size", type=int, default=28, help="images are resized to this square size")
        p.add_argument(
            "--invert",
            action="store_true",
            help="folder images have dark strokes on a light background (scans): invert them",
        )
        p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda or mps")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument(
            "--memory-budget",
            type=float,
            default=MEMORY_BUDGET / 1e9,
            help="GB of decoded images below which a folder is held in memory (else read from disk)",
        )
        if with_eval:
            p.add_argument("--eval-way", type=int, default=5, help="N of the N-way K-shot test episodes")
            p.add_argument("--eval-shot", type=int, nargs="+", default=[1, 5], help="K (one or more)")
            p.add_argument("--eval-query", type=int, default=15, help="queries per class in a test episode")
            p.add_argument("--episodes", type=int, default=600, help="fixed test episodes (600 is the standard)")
            p.add_argument(
                "--within-groups",
                action="store_true",
                help="draw each test episode's classes from one group (alphabet)",
            )

    t = sub.add_parser("train", help="train a model, evaluate it and save it")
    t.add_argument("--data", required=True, help="glyphs | omniglot | folder:<path> (training classes)")
    t.add_argument(
        "--test",
        default=None,
        help="test classes (default: the evaluation split of --data; required for a plain folder)",
    )
    t.add_argument("--method", default="protonet", choices=["protonet", "matching", "siamese"])
    t.add_argument("--distance", default="euclidean", choices=["euclidean", "cosine"], help="protonet only")
    t.add_argument("--fce", action="store_true", help="matching only: full-context embeddings")
    t.add_argument("--loss", default="bce", choices=["bce", "contrastive"], help="siamese only")
    t.add_argument("--hidden", type=int, default=64, help="Conv4 channels")
    t.add_argument("--steps", type=int, default=4000, help="training episodes (pair batches for siamese)")
    t.add_argument(
        "--n-way",
        type=int,
        default=60,
        help="ways of a training episode (fewer if the data has fewer classes with enough images)",
    )
    t.add_argument("--k-shot", type=int, default=1, help="shots of a training episode")
    t.add_argument("--q-query", type=int, default=5, help="queries per class of a training episode")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument(
        "--lr-schedule",
        default="step",
        choices=["step", "cosine", "constant"],
        help="step: halved every 2,000 steps (Snell et al.); cosine: to zero along a half cosine",
    )
    t.add_argument(
        "--rotations", action="store_true", help="add rotations by 90, 180 and 270 degrees as new training classes"
    )
    t.add_argument("--out", default="fewshot_model.pt", help="where to save the trained model")
    data_options(t, with_eval=True)

    e = sub.add_parser("evaluate", help="evaluate a saved model N-way K-shot")
    e.add_argument("--model", required=True, help="a file written by train (or tlearn.save_model)")
    e.add_argument("--data", required=True, help="glyphs | omniglot | folder:<path> (test classes)")
    e.add_argument("--baseline", action="store_true", help="also evaluate pixel-space nearest neighbour")
    data_options(e, with_eval=True)
    return parser


def _load(spec: str, split: str, args):
    return load_data(
        spec, split, image_size=args.image_size, invert=args.invert, memory_budget=args.memory_budget * 1e9
    )


def _ways_that_fit(train_set, args) -> int:
    """``--n-way``, or as many ways as there are classes with ``k_shot + q_query`` images (said aloud)."""
    import torch

    from ..samplers import labels_of

    counts = torch.bincount(labels_of(train_set))
    usable = int((counts >= args.k_shot + args.q_query).sum())
    if args.method == "siamese" or usable >= args.n_way:
        return args.n_way
    if usable < 2:
        raise ValueError(
            f"the training data has {usable} class(es) with k_shot + q_query = "
            f"{args.k_shot + args.q_query} images; an episode needs at least 2"
        )
    print(
        f"note: {args.n_way}-way episodes need {args.n_way} classes with {args.k_shot + args.q_query} images each; "
        f"the training data has {usable}, so episodes are {usable}-way"
    )
    return usable


def _evaluate(model, test_set, args, label: str) -> list[dict]:
    rows = []
    embeddings = embed_dataset(model, test_set, device=args.device)
    for k in args.eval_shot:
        result = evaluate_episodes(
            model,
            test_set,
            n_way=args.eval_way,
            k_shot=k,
            q_query=args.eval_query,
            n_episodes=args.episodes,
            seed=args.seed,
            within_groups=args.within_groups,
            embeddings=embeddings,
        )
        print(f"{label}: {result}  ({result.protocol})")
        rows.append(
            {
                "method": label,
                "n_way": args.eval_way,
                "k_shot": k,
                "accuracy": result.mean,
                "ci95": result.ci95,
                "protocol": result.protocol,
            }
        )
    return rows


def _train(args) -> int:
    train_set = _load(args.data, "background", args)
    if args.test is not None:
        test_set = _load(args.test, "evaluation", args)
    elif args.data in ("glyphs", "omniglot") or has_splits(args.data):
        test_set = _load(args.data, "evaluation", args)
    else:
        raise ValueError(
            f"--test is needed with --data {args.data}: give a folder of other classes to test on, "
            "e.g. --test folder:path/to/test_classes (or a folder with background/ and evaluation/)"
        )
    if args.rotations:
        train_set = rotate_classes(train_set)
    channels = int(train_set[0][0].shape[0])
    options = {"protonet": {"distance": args.distance}, "matching": {"fce": args.fce}, "siamese": {"loss": args.loss}}[
        args.method
    ]
    model = make_model(args.method, in_channels=channels, hidden=args.hidden, image_size=args.image_size, **options)
    schedule = None if args.lr_schedule == "constant" else args.lr_schedule
    history = train(
        model,
        train_set,
        steps=args.steps,
        n_way=_ways_that_fit(train_set, args),
        k_shot=args.k_shot,
        q_query=args.q_query,
        lr=args.lr,
        lr_schedule=schedule,
        seed=args.seed,
        device=args.device,
    )
    print(
        f"trained {args.method} for {args.steps} steps in {history.total_seconds:.0f} s "
        f"(last training accuracy {history.last('train_acc'):.3f})"
    )
    rows = _evaluate(model, test_set, args, args.method)
    path = save_model(model, args.out, train_data=args.data, steps=args.steps, results=json.dumps(rows))
    print(f"saved to {path}")
    return 0


def _evaluate_saved(args) -> int:
    model = load_model(args.model, device=args.device)
    test_set = _load(args.data, "evaluation", args)
    _evaluate(model, test_set, args, model.method)
    if args.baseline:
        _evaluate(PixelNearestNeighbour(), test_set, args, "pixel-nn")
    return 0


def main(argv=None) -> int:
    """Entry point; returns the exit status (2 with a one-line message for a usage or data error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    from ..data.real import OfflineError

    try:
        return _train(args) if args.command == "train" else _evaluate_saved(args)
    except (ValueError, TypeError, OfflineError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
