"""Run the whole course headless: ``python -m tools.report build notebooks/*.ipynb``.

Each notebook is executed in a fresh kernel (in its own process, so its peak memory can be measured),
saved with outputs to ``build/``, and the text of every cell tagged ``results`` is printed, followed by a
summary of wall time and peak memory per notebook, measured two ways:

- ``peak_mb``: the kernel's peak resident set (``ru_maxrss``). It counts the pages of shared libraries the
  kernel has mapped and touched, and how many of those are resident depends on the page cache: the same
  notebook reads about 0.3 GB more in an environment just installed than in a long-used one (CUDA builds
  of torch map gigabytes of libraries). It is what ``top`` shows, but not what the kernel itself allocated.
- ``private_mb``: the peak of resident memory that is not file-backed (``rss - shared``, sampled every
  0.2 s over the kernel and its children): the tensors, arrays and interpreter state the notebook made. This
  is the figure the course's memory budget (1.5 GB) is about, and it does not move with the page cache.
  Sampled only with ``--private-memory`` (``make run`` passes it).

With ``--readme`` (``make run`` passes it) the README's
notebook table then gets each notebook's runtime and headline result from this run (``tools/readme.py``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from tools.notebooks import execute as execute_notebook

ROOT = Path(__file__).resolve().parent.parent  # ``-m tools.report`` is found from here


def execute(notebook: str | Path, out_dir: str | Path, timeout: int = 900, private_memory: bool = False) -> dict:
    """Execute one notebook in this process's kernel child; return seconds, peak MB and results tables."""
    import nbformat

    notebook, out_dir = Path(notebook), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    stop, private = threading.Event(), [0 if private_memory else float("nan")]
    sampler = threading.Thread(target=sample_private_memory, args=(stop, private), daemon=True)
    if private_memory:
        sampler.start()
    try:  # a failure is reported, and the partial notebook kept for inspection
        error = execute_notebook(nb, notebook.parent, timeout)
    finally:
        stop.set()
        if sampler.is_alive():
            sampler.join()
    seconds = time.perf_counter() - start
    nbformat.write(nb, out_dir / notebook.name)
    # the kernel is a child of this process: its peak resident memory is in RUSAGE_CHILDREN (KiB on Linux)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "notebook": notebook.name,
        "seconds": seconds,
        "peak_mb": peak_mb,
        "private_mb": private[0] / 2**20,
        "error": error,
        **notebook_outputs(nb),
    }


def private_memory(process) -> int:
    """Bytes of ``process`` and its descendants resident and not backed by a file (``rss - shared``)."""
    import psutil

    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            info = p.memory_info()
            total += info.rss - info.shared
        except psutil.Error:  # it ended between the listing and the reading
            pass
    return total


def sample_private_memory(stop: threading.Event, peak: list, every: float = 0.2):
    """Until ``stop`` is set, keep in ``peak[0]`` the largest :func:`private_memory` of this process's
    children (the kernel)."""
    import psutil

    me = psutil.Process()
    while True:
        peak[0] = max(peak[0], sum(private_memory(child) for child in me.children()))
        if stop.wait(every):
            return


def notebook_outputs(nb) -> dict:
    """What an executed notebook said: ``tables``, the text of each output of the cell tagged ``results``
    (a results table's aligned text form), and ``printed``, the text of every other cell's printed output
    and displayed Markdown, one string per output (the README's headlines read numbers from both)."""
    tables, printed = [], []
    as_text = lambda value: value if isinstance(value, str) else "".join(value)  # noqa: E731
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        results = "results" in cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if results:
                text = data.get("text/plain") or out.get("text")
                if text:
                    tables.append(as_text(text))
            elif out.get("text") or data.get("text/markdown"):
                printed.append(as_text(out.get("text") or data["text/markdown"]))
    return {"tables": tables, "printed": printed}


def run_isolated(notebook: str | Path, out_dir: str | Path, private_memory: bool = False) -> dict:
    """:func:`execute` in a child process, so that memory is measured per notebook; ``private_memory``
    samples the kernel's private memory too (``make run`` does)."""
    flag = ["--private-memory"] if private_memory else []
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.report",
            "--one",
            *flag,
            str(Path(out_dir).resolve()),
            str(Path(notebook).resolve()),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {
            "notebook": Path(notebook).name,
            "seconds": float("nan"),
            "peak_mb": float("nan"),
            "private_mb": float("nan"),
            "tables": [],
            "printed": [],
            "error": proc.stderr.strip()[-2000:] or f"exit {proc.returncode}",
        }
    return json.loads(lines[-1])


def main(argv: list[str]) -> int:
    private = "--private-memory" in argv
    argv = [a for a in argv if a != "--private-memory"]
    if argv and argv[0] == "--one":
        print(json.dumps(execute(argv[2], argv[1], private_memory=private)))
        return 0
    readme = "--readme" in argv
    argv = [a for a in argv if a != "--readme"]
    if len(argv) < 2:
        print(
            "usage: python -m tools.report [--readme] [--private-memory] OUT_DIR NOTEBOOK.ipynb [...]", file=sys.stderr
        )
        return 2
    out_dir, notebooks = argv[0], argv[1:]
    rows, failed = [], 0
    for nb in notebooks:
        print(f"\n=== {Path(nb).name} ===", flush=True)
        result = run_isolated(nb, out_dir, private_memory=private)
        for table in result["tables"]:
            print(table)
        if result["error"]:
            failed += 1
            print(f"FAILED: {result['error']}")
        rows.append(result)
    print("\nnotebook                          wall s   peak RSS MB   private MB   status")
    for r in rows:
        status = "ok" if not r["error"] else "FAILED"
        print(
            f"{r['notebook']:<32} {r['seconds']:7.1f}  {r['peak_mb']:12.0f}  {r.get('private_mb', float('nan')):11.0f}   {status}"
        )
    print(f"\nexecuted notebooks are in {out_dir}/")
    if readme:
        from tools.readme import HeadlineError, update_readme

        try:
            notes = update_readme(rows)
        except HeadlineError as err:
            print(f"\n{err}", file=sys.stderr)
            return 1
        print("\nREADME.md, notebook table:\n  " + "\n  ".join(notes))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
