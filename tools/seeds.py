"""Every claim a notebook asserts must hold for any seed: run notebooks at several seeds and say which hold.

``python -m tools.seeds notebooks/03a_domain_adaptation.ipynb 05_few_shot --seeds 0 1 2`` executes each
notebook once per seed, its parameters cell changed to ``SEED = <seed>`` (nothing else), one run at a time
in a fresh kernel with ``TLEARN_NO_PROGRESS=1``, and prints, per notebook and seed: pass or fail, the wall
time, and for a failure the cell's error and the line that raised it (the failing ``assert``). ``--tables``
also prints each run's results table. The executed notebooks are kept in ``--out`` (default
``build/seeds/<notebook>-seed<seed>.ipynb``) for a look at the numbers. ``--set DATASET=cifar10`` (repeatable)
changes another parameter in every run, e.g. to check a real-data path at several seeds. The exit status is
1 if any run failed.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path

from tools.notebooks import execute, failure_of, notebook_path, results_tables, with_parameters


def run_at_seed(notebook, seed: int, out_dir: Path | None = None, timeout: int = 900, **parameters) -> dict:
    """Execute ``notebook`` with ``SEED = seed`` (and any other ``parameters``); return a dict with the
    notebook's name, the seed, ``ok``, ``seconds``, ``failure`` (a :class:`tools.notebooks.Failure` or None)
    and ``tables`` (its results tables)."""
    import nbformat

    path = notebook_path(notebook)
    nb = with_parameters(path, SEED=seed, **parameters)
    start = time.perf_counter()
    error = execute(nb, path.parent, timeout)
    seconds = time.perf_counter() - start
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_dir / f"{path.stem}-seed{seed}.ipynb")
    failure = failure_of(nb)
    return {
        "notebook": path.stem,
        "seed": seed,
        "ok": failure is None and error is None,
        "seconds": seconds,
        "failure": str(failure) if failure else error,
        "tables": results_tables(nb),
    }


def parameter(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` as ``(NAME, value)``: the value as a Python literal (``3``, ``1e-3``, ``'full'``), else
    as the string it reads (``DATASET=cifar10``)."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"--set takes NAME=VALUE, e.g. DATASET=cifar10; got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.seeds", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", help="notebook paths, or names in notebooks/ (e.g. 05_few_shot)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="the seeds (default: 0 1 2)")
    parser.add_argument("--out", default="build/seeds", help="folder for the executed notebooks ('' keeps none)")
    parser.add_argument("--tables", action="store_true", help="print each run's results table")
    parser.add_argument(
        "--set",
        type=parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="another parameter for every run, e.g. DATASET=cifar10 (repeatable)",
    )
    parser.add_argument("--timeout", type=int, default=900, help="seconds one cell may run (default 900)")
    args = parser.parse_args(argv)
    os.environ["TLEARN_NO_PROGRESS"] = "1"  # the kernels inherit it: no progress bars in the outputs
    os.environ.setdefault("MPLBACKEND", "Agg")
    out_dir = Path(args.out) if args.out else None
    rows = []
    for notebook in args.notebooks:
        for seed in args.seeds:
            row = run_at_seed(notebook, seed, out_dir, timeout=args.timeout, **dict(args.set))
            rows.append(row)
            status = "pass" if row["ok"] else "FAIL"
            print(f"{row['notebook']:<34} seed {seed}  {status}  {row['seconds']:6.0f} s", flush=True)
            if not row["ok"]:
                print(f"    {row['failure']}", flush=True)
            if args.tables:
                for table in row["tables"]:
                    print(table, flush=True)
    failed = [r for r in rows if not r["ok"]]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} runs passed"
        + (f"; executed notebooks in {out_dir}/" if out_dir else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
