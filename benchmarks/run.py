"""``make bench``: the course's performance figures, as medians (min, max) over repeated runs.

1. Every notebook executed headless as ``make run`` does: wall time and peak memory.
2. Data generation throughput: Glyphs and SynDigits images per second.
3. Episode sampler throughput against the rate at which a Conv4 Prototypical network consumes episodes.
4. Training-loop overhead: steps per second of tlearn's Prototypical and DANN loops against a plain
   PyTorch loop with the same model on pre-built tensors (ratio 1.0 = no overhead; the budget is >= 0.9).
5. ``bench_fewshot.py``: tlearn's Prototypical network against easyfsl's (if installed) on the same
   backbone and episodes: steps per second and accuracy after the same number of episodes.
6. Your own images: a Glyphs split written as 105x105 PNGs (dark on light, as scans arrive), trained from
   the folder through the documented calls (``image_folder`` -> ``rotate_classes`` -> ``make_model`` ->
   ``train``, the papers' 60-way recipe) against the same images already in memory, on the same episodes:
   the ratio of steps per second (budget >= 0.9), the one-time load, and the folder read from disk.

Results go to stdout and to ``benchmarks/RESULTS.md``; the README's notebook table gets its runtime
column (medians) and headline column (the first run's numbers) from part 1, through ``tools/readme.py``,
as ``make run`` writes them. Environment: ``BENCH_REPEATS`` (default 5) for the micro-benchmarks,
``BENCH_NOTEBOOK_REPEATS`` (default 3), ``BENCH_SKIP_NOTEBOOKS=1`` to skip part 1 (RESULTS.md then keeps
the notebook table of the last full run), ``BENCH_FEWSHOT_EPISODES`` (default 100) for part 5,
``BENCH_FOLDER_STEPS`` (default 20) and ``BENCH_FOLDER_ALPHABETS`` (default 12: 4,800 images) for part 6.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("TLEARN_NO_PROGRESS", "1")

import bench_fewshot  # noqa: E402

from tlearn import data, domain, fewshot  # noqa: E402
from tlearn.backbones import Classifier, Conv4  # noqa: E402
from tlearn.samplers import DomainBatches, EpisodeSampler  # noqa: E402
from tools import report  # noqa: E402
from tools.readme import HeadlineError  # noqa: E402
from tools.readme import update_readme as write_notebook_table  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", 5))
NB_REPEATS = int(os.environ.get("BENCH_NOTEBOOK_REPEATS", 3))


def summary(values) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def fmt(values, unit="", digits=1) -> str:
    med, lo, hi = summary(values)
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def timed(fn, repeats=REPEATS) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


# --- 1. notebooks -------------------------------------------------------------------------------------
def bench_notebooks() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for nb in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
            runs = [report.run_isolated(nb, out) for _ in range(NB_REPEATS)]
            failed = [r["error"] for r in runs if r["error"]]
            rows.append(
                {
                    "notebook": nb.stem,
                    "seconds": [r["seconds"] for r in runs],
                    "peak_mb": [r["peak_mb"] for r in runs],
                    "error": failed[0] if failed else None,
                    "tables": runs[0]["tables"],  # the README's headline: the first run's numbers
                    "printed": runs[0]["printed"],
                }
            )
            print(
                f"  {nb.stem:<28} wall {fmt(rows[-1]['seconds'], ' s')}  peak {fmt(rows[-1]['peak_mb'], ' MB', 0)}"
                + (f"  FAILED: {failed[0][:200]}" if failed else ""),
                flush=True,
            )
    return rows


# --- 2. generation ------------------------------------------------------------------------------------
def bench_generation() -> dict:
    n_glyphs = 10 * 20 * 20
    glyph_times = timed(lambda: data.glyphs("background", n_alphabets=10, cache=False), max(1, REPEATS // 2))
    data.syn_digits(10)  # font outlines are rasterised once per process: keep that out of the rate
    syn_times = timed(lambda: data.syn_digits(5000))
    return {"glyphs": [n_glyphs / t for t in glyph_times], "syndigits": [5000 / t for t in syn_times]}


# --- 3 and 4. Prototypical loop -----------------------------------------------------------------------
PROTO = dict(n_way=20, k_shot=1, q_query=5)
STEPS = 30


def plain_proto_steps(dataset, steps: int) -> float:
    """A hand-written loop on episodes built in advance: the floor tlearn's loop is measured against."""
    sampler = EpisodeSampler(dataset, n_episodes=steps, seed=1, **PROTO)
    episodes = [(e.support, e.query) for e in sampler]  # pre-built: no sampling in the timed part
    n, k, q = PROTO["n_way"], PROTO["k_shot"], PROTO["q_query"]
    torch.manual_seed(0)
    encoder = Conv4()
    opt = torch.optim.Adam(encoder.parameters(), 1e-3)
    query_labels = torch.arange(n).repeat_interleave(q)
    start = time.perf_counter()
    for support, query in episodes:
        z = encoder(torch.cat([support, query]))
        prototypes = z[: n * k].reshape(n, k, -1).mean(1)
        logits = -((z[n * k :, None] - prototypes[None]) ** 2).sum(-1)
        loss = F.cross_entropy(logits, query_labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps / (time.perf_counter() - start)


def tlearn_proto_steps(dataset, steps: int) -> float:
    """tlearn's loop, timed from the call to its return: sampling, logging and all."""
    torch.manual_seed(0)
    model = fewshot.PrototypicalNet(Conv4())
    start = time.perf_counter()
    fewshot.train_episodes(model, dataset, n_episodes=steps, progress=False, device="cpu", **PROTO)
    return steps / (time.perf_counter() - start)


def sampler_rate(dataset, n: int = 200) -> float:
    sampler = EpisodeSampler(dataset, n_episodes=n, seed=2, **PROTO)
    start = time.perf_counter()
    for _ in sampler:
        pass
    return n / (time.perf_counter() - start)


# --- 4. DANN loop -------------------------------------------------------------------------------------
DANN_BATCH = 64


def dann_model():
    torch.manual_seed(0)
    return Classifier(Conv4(in_channels=3), 10)


def plain_dann_steps(source, target, steps: int) -> float:
    """The same computation as ``domain.adapt("dann", ..., batch_norm="joint")`` on batches built in advance."""
    batches = list(DomainBatches(source, target, batch_size=DANN_BATCH, n_steps=steps, seed=0))
    model = dann_model()
    disc = domain.DomainDiscriminator(model.backbone.out_features)
    opt = torch.optim.SGD(list(model.parameters()) + list(disc.parameters()), lr=0.01, momentum=0.9, weight_decay=5e-4)
    start = time.perf_counter()
    for step, (xs, ys, xt) in enumerate(batches):
        p = step / max(steps - 1, 1)
        lam = 2 / (1 + torch.exp(torch.tensor(-10 * p)).item()) - 1
        for group in opt.param_groups:
            group["lr"] = 0.01 / (1 + 10 * p) ** 0.75
        f = model.backbone(torch.cat([xs, xt]))
        task = F.cross_entropy(model.head(f[: len(xs)]), ys)
        d = disc(domain.gradient_reversal(f, lam)).squeeze(-1)
        dom = F.binary_cross_entropy_with_logits(d, torch.cat([torch.ones(len(xs)), torch.zeros(len(xt))]))
        opt.zero_grad()
        (task + dom).backward()
        opt.step()
    return steps / (time.perf_counter() - start)


def tlearn_dann_steps(source, target, steps: int) -> float:
    """tlearn's loop, timed from the call to its return (batch sampling, schedules, logging). ``joint``
    batch norm: one backbone pass per step, as in the plain loop (the default, per-domain, makes two)."""
    model = dann_model()
    start = time.perf_counter()
    domain.adapt("dann", model, source, target, steps=steps, batch_size=DANN_BATCH, batch_norm="joint", device="cpu")
    return steps / (time.perf_counter() - start)


# --- 6. your own images: a folder of PNGs against the same images in memory ------------------------------
FOLDER_RECIPE = {"n_way": 60, "k_shot": 1, "q_query": 5, "lr_schedule": "step"}  # Snell et al.'s Omniglot recipe
FOLDER_STEPS = int(os.environ.get("BENCH_FOLDER_STEPS", "20"))
FOLDER_ALPHABETS = int(os.environ.get("BENCH_FOLDER_ALPHABETS", "12"))


def write_png_folder(dataset, root: Path, size: int = 105) -> Path:
    """Write an in-memory grey image set as ``root/<class id, 4 digits>/<index>.png``, ``size`` square and
    dark on light (the way scans arrive): read back with ``image_folder(root, invert=True)``, the classes
    and the order of the images are the dataset's own."""
    from PIL import Image

    images = F.interpolate(dataset.images, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    pixels = ((1 - images[:, 0]) * 255).round().to(torch.uint8).numpy()
    for i, (array, y) in enumerate(zip(pixels, dataset.targets.tolist())):
        folder = Path(root) / f"{y:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(folder / f"{i:06d}.png")
    return Path(root)


def recipe_steps(dataset, steps: int) -> float:
    """Steps per second of the documented training call, timed from the call to its return."""
    torch.manual_seed(0)
    model = fewshot.make_model("protonet")
    start = time.perf_counter()
    fewshot.train(model, dataset, steps=steps, seed=0, device="cpu", progress=False, **FOLDER_RECIPE)
    return steps / (time.perf_counter() - start)


def ratios(ours, reference) -> list[float]:
    """Run-by-run ratios of two interleaved series (a slow spell hits both runs of a pair alike)."""
    if len(ours) != len(reference) or not ours:
        raise ValueError(f"need two non-empty series of the same length, got {len(ours)} and {len(reference)}")
    return [o / r for o, r in zip(ours, reference)]


def bench_folder(repeats: int = REPEATS, steps: int = FOLDER_STEPS) -> dict:
    """Part 6: load times and steps/s from the folder (held in memory, and read from disk) and from memory."""
    split = data.glyphs("background", n_alphabets=FOLDER_ALPHABETS)
    in_memory = fewshot.rotate_classes(split)
    out = {"images": len(split), "classes": split.n_classes, "load": [], "memory": [], "folder": [], "disk": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_png_folder(split, Path(tmp) / "scans")
        probe = fewshot.image_folder(root, invert=True, progress=False)
        assert torch.equal(probe.targets, split.targets), "the folder must hold the same classes in the same order"
        recipe_steps(in_memory, 2)  # warm-up, untimed
        for r in range(repeats):
            start = time.perf_counter()
            from_folder = fewshot.rotate_classes(fewshot.image_folder(root, invert=True, progress=False))
            out["load"].append(time.perf_counter() - start)
            from_disk = fewshot.rotate_classes(fewshot.image_folder(root, invert=True, memory_budget=0))
            runs = [("memory", in_memory), ("folder", from_folder), ("disk", from_disk)]
            for key, dataset in runs[r % 3 :] + runs[: r % 3]:  # interleaved, starting in turn
                out[key].append(recipe_steps(dataset, steps))
    out["ratio"] = ratios(out["folder"], out["memory"])
    out["disk_ratio"] = ratios(out["disk"], out["memory"])
    return out


def folder_lines(result: dict, steps: int = FOLDER_STEPS) -> list[str]:
    """The RESULTS.md section of part 6."""
    n, c = result["images"], result["classes"]
    return [
        "## Your own images: a folder of PNGs against the same images in memory",
        "",
        (
            f"A Glyphs split ({n:,} images, {c} classes) written as 105x105 PNGs, dark on light; trained through "
            f'`image_folder(invert=True)` -> `rotate_classes` -> `make_model("protonet")` -> `train` with the '
            f"papers' recipe (60-way 1-shot, 5 queries, halved rate), {steps} steps a run, against the same "
            "Glyphs images already in memory, on the same episodes; runs interleaved."
        ),
        "",
        "| figure | median (min-max) |",
        "|---|---|",
        f"| one-time load: decode {n:,} PNGs and rotate (s) | {fmt(result['load'], digits=2)} |",
        f"| in memory (steps/s) | {fmt(result['memory'], digits=2)} |",
        f"| from the folder, held in memory (steps/s) | {fmt(result['folder'], digits=2)} |",
        (
            f"| folder / memory ratio (budget >= 0.9; 0.76 when every access decoded the file) | "
            f"{fmt(result['ratio'], digits=2)} |"
        ),
        f"| from the folder read from disk, `memory_budget=0` (steps/s) | {fmt(result['disk'], digits=2)} |",
        f"| disk / memory ratio | {fmt(result['disk_ratio'], digits=2)} |",
        "",
    ]


# --- report -------------------------------------------------------------------------------------------
def machine() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}"
    )


def update_readme(rows: list[dict]) -> bool:
    """The README's notebook table from the notebook runs: each runtime the median of its runs, each
    headline from its first run's output (``tools/readme.py``, as ``make run`` writes them). False, with the
    reasons printed and the README left as it was, when a headline could not be built."""
    try:
        notes = write_notebook_table(rows, ROOT / "README.md")
    except HeadlineError as err:
        print(err, flush=True)
        return False
    print("README.md, notebook table:\n  " + "\n  ".join(notes), flush=True)
    return True


def previous_notebook_section() -> list[str]:
    """With ``BENCH_SKIP_NOTEBOOKS``, keep the notebook table of the last full run in RESULTS.md."""
    results = ROOT / "benchmarks" / "RESULTS.md"
    if not results.exists() or "## Notebooks" not in results.read_text():
        return []
    section = "## Notebooks" + results.read_text().split("## Notebooks", 1)[1].split("\n## ", 1)[0]
    kept = "(notebook figures kept from the last full `make bench`)"
    lines = [line for line in section.rstrip("\n").splitlines() if line != kept]  # said once, not once a run
    while lines and not lines[-1].strip():
        lines.pop()
    return lines + ["", kept, ""]


def main() -> int:
    torch.manual_seed(0)
    print(f"machine: {machine()}\n", flush=True)
    lines = ["# Benchmark results", "", f"Machine: {machine()}. Medians over repeated runs, (min-max).", ""]
    nb_rows = []
    if not os.environ.get("BENCH_SKIP_NOTEBOOKS"):
        print(f"notebooks ({NB_REPEATS} runs each):", flush=True)
        nb_rows = bench_notebooks()
        lines += [
            "## Notebooks (executed headless, as `make run` does)",
            "",
            "| notebook | wall time (s) | peak memory (MB) | status |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['notebook']} | {fmt(r['seconds'])} | {fmt(r['peak_mb'], digits=0)} | "
            f"{'ok' if not r['error'] else 'failed'} |"
            for r in nb_rows
        ]
        lines.append("")
        readme_ok = update_readme(nb_rows)
    else:
        lines += previous_notebook_section()
        readme_ok = True
        print("BENCH_SKIP_NOTEBOOKS: the README's notebook table is left as it was", flush=True)

    print("data generation:", flush=True)
    gen = bench_generation()
    print(f"  Glyphs {fmt(gen['glyphs'], ' img/s', 0)}, SynDigits {fmt(gen['syndigits'], ' img/s', 0)}", flush=True)

    background = data.glyphs("background")
    plain_proto_steps(background, 5), tlearn_proto_steps(background, 5)  # warm-up, untimed
    syn = data.syn_digits(2000, seed=0).to_rgb()
    hand = data.textured(data.hand_digits(), seed=0)
    samp, plain_p, ours_p, plain_d, ours_d = [], [], [], [], []
    for _ in range(REPEATS):  # interleaved, so that a slow spell on a shared machine hits both loops alike
        samp.append(sampler_rate(background))
        plain_p.append(plain_proto_steps(background, STEPS))
        ours_p.append(tlearn_proto_steps(background, STEPS))
        plain_d.append(plain_dann_steps(syn, hand.images, STEPS))
        ours_d.append(tlearn_dann_steps(syn, hand.images, STEPS))
    ratio_p = [o / p for o, p in zip(ours_p, plain_p)]
    ratio_d = [o / p for o, p in zip(ours_d, plain_d)]
    spec = f"{PROTO['n_way']}-way {PROTO['k_shot']}-shot {PROTO['q_query']}-query"
    print(f"  episode sampler ({spec}): {fmt(samp, ' episodes/s')}; model consumes {fmt(plain_p, ' steps/s', 2)}")
    print(
        f"  Prototypical loop: tlearn {fmt(ours_p, ' steps/s', 2)} vs plain {fmt(plain_p, ' steps/s', 2)}: "
        f"ratio {fmt(ratio_p, '', 2)}"
    )
    print(
        f"  DANN loop: tlearn {fmt(ours_d, ' steps/s', 2)} vs plain {fmt(plain_d, ' steps/s', 2)}: "
        f"ratio {fmt(ratio_d, '', 2)}"
    )
    lines += [
        "## Data and training loops",
        "",
        "| figure | median (min-max) |",
        "|---|---|",
        f"| Glyphs generation (images/s, no cache) | {fmt(gen['glyphs'], digits=0)} |",
        f"| SynDigits generation (images/s) | {fmt(gen['syndigits'], digits=0)} |",
        f"| episode sampler, {spec} on Glyphs (episodes/s) | {fmt(samp)} |",
        f"| Conv4 Prototypical step, plain loop (steps/s) | {fmt(plain_p, digits=2)} |",
        f"| sampler rate / model step rate | {statistics.median(samp) / statistics.median(plain_p):.0f}x |",
        f"| Prototypical: tlearn loop (steps/s) | {fmt(ours_p, digits=2)} |",
        f"| Prototypical: tlearn / plain ratio (budget >= 0.9) | {fmt(ratio_p, digits=2)} |",
        f"| DANN (Conv4, batch {DANN_BATCH}+{DANN_BATCH}): plain loop (steps/s) | {fmt(plain_d, digits=2)} |",
        f"| DANN: tlearn loop (steps/s) | {fmt(ours_d, digits=2)} |",
        f"| DANN: tlearn / plain ratio (budget >= 0.9) | {fmt(ratio_d, digits=2)} |",
        "",
    ]
    episodes = int(os.environ.get("BENCH_FEWSHOT_EPISODES", 100))
    print(
        f"Prototypical network, tlearn vs easyfsl ({episodes} training episodes, "
        f"{'easyfsl installed' if bench_fewshot.easyfsl_available() else 'easyfsl not installed'}):",
        flush=True,
    )
    lines += [
        "## Prototypical networks: tlearn and easyfsl (`benchmarks/bench_fewshot.py`)",
        "",
        f"Conv4 from the same initial weights, {episodes} training episodes of 20-way 1-shot 5-query on "
        "Glyphs background, each library through its own sampler; accuracy on the same 600 fixed "
        "5-way 1-shot episodes of the evaluation alphabets.",
        "",
        "| library | steps/s, median (min-max) | 5-way 1-shot accuracy after training |",
        "|---|---|---|",
    ]
    fs_rows = bench_fewshot.run(episodes=episodes, repeats=max(1, REPEATS // 2 + 1))
    for row in fs_rows:
        accuracy = f"{100 * row['accuracy']:.1f} ± {100 * row['ci95']:.1f} %"
        print(f"  {row['library']:<28} {fmt(row['steps_per_s'], ' steps/s', 2)}  accuracy {accuracy}", flush=True)
        lines.append(f"| {row['library']} | {fmt(row['steps_per_s'], digits=2)} | {accuracy} |")
    if fs_rows[-1]["library"] != "easyfsl":
        lines.append("| easyfsl | not installed (`pip install easyfsl`; not a dependency of tlearn) | |")
    lines.append("")
    print(f"your own images: a folder of PNGs against memory ({FOLDER_STEPS} steps a run):", flush=True)
    folder = bench_folder()
    print(
        f"  load {fmt(folder['load'], ' s', 2)}; memory {fmt(folder['memory'], ' steps/s', 2)}, folder "
        f"{fmt(folder['folder'], ' steps/s', 2)}: ratio {fmt(folder['ratio'], '', 2)}; from disk "
        f"{fmt(folder['disk'], ' steps/s', 2)}: ratio {fmt(folder['disk_ratio'], '', 2)}",
        flush=True,
    )
    lines += folder_lines(folder)
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines))
    wrote = " and the README's runtime and headline columns" if nb_rows and readme_ok else ""
    print("\nwritten: benchmarks/RESULTS.md" + wrote)
    return 1 if any(r["error"] for r in nb_rows) or not readme_ok else 0


if __name__ == "__main__":
    sys.exit(main())
