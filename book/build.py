"""Build the course website into build/book: ``python book/build.py [--execute all|missing]``.

The pages are the notebooks as executed into build/ by ``make run`` (``tools/report.py``), with their
figures, tables and widget state; the landing page is the README. ``--execute missing`` (the default)
runs only the notebooks that have no executed copy, or one older than the notebook; ``--execute all``
runs every one afresh, as ``make test`` does, and exits non-zero if any failed (after building the site);
``--execute none`` builds from what is there (pages of notebooks never run then have no outputs).
Sphinx itself executes nothing, so after a run the site builds in seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SOURCE = BUILD / "book-source"
sys.path.insert(0, str(ROOT))


def landing_page(readme: str, repo: str, branch: str, notebooks: list[str]) -> str:
    """The README as the site's front page: links to notebooks become links to their pages, links to other
    files of the repository point at GitHub, and a (hidden) table of contents lists every notebook."""

    def link(m):
        target = m.group(2)
        if re.match(r"[a-z]+:|#", target) or target.startswith("notebooks/") and target.endswith(".ipynb"):
            return m.group(0)
        return f"{m.group(1)}(https://github.com/{repo}/blob/{branch}/{target})"

    text = re.sub(r"(\]\s?)\(([^)\s]+)\)", link, readme)
    toc = "\n".join(f"notebooks/{Path(n).stem}" for n in notebooks)
    return f"{text}\n\n```{{toctree}}\n:hidden:\n:caption: Notebooks\n\n{toc}\n```\n"


def stale(notebook: Path, executed: Path) -> bool:
    return not executed.exists() or executed.stat().st_mtime < notebook.stat().st_mtime


def copy_if_changed(src: Path, dst: Path):
    """Copy keeping the time stamp, and only when the content changed, so that Sphinx rebuilds what changed."""
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def main(argv: list[str]) -> int:
    from tools.badges import repository
    from tools.report import run_isolated

    mode = argv[argv.index("--execute") + 1] if "--execute" in argv else "missing"
    if mode not in ("all", "missing", "none"):
        print(f"--execute takes 'all', 'missing' or 'none', not {mode!r}", file=sys.stderr)
        return 2
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    os.environ.pop(
        "MPLBACKEND", None
    )  # Agg would leave the pages without figures: the kernel's inline backend draws them
    failed = []
    for nb in notebooks:
        if mode == "all" or mode == "missing" and stale(nb, BUILD / nb.name):
            print(f"executing {nb.name} ...", flush=True)
            result = run_isolated(nb, BUILD)
            status = f"FAILED: {result['error']}" if result["error"] else "ok"
            print(f"  {result['seconds']:.0f} s, peak RSS {result['peak_mb']:.0f} MB: {status}", flush=True)
            if result["error"]:
                failed.append(nb.name)
    start = time.perf_counter()
    repo, branch = repository()
    SOURCE.mkdir(parents=True, exist_ok=True)
    index = SOURCE / "index.md"
    page = landing_page((ROOT / "README.md").read_text(), repo, branch, [n.name for n in notebooks])
    if not index.exists() or index.read_text() != page:
        index.write_text(page)
    for nb in notebooks:
        copy_if_changed(BUILD / nb.name if (BUILD / nb.name).exists() else nb, SOURCE / "notebooks" / nb.name)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-q",
            "-c",
            str(ROOT / "book"),
            str(SOURCE),
            str(BUILD / "book"),
            "-d",
            str(BUILD / "book-doctrees"),
        ],
        check=False,
    )
    print(f"site built in {time.perf_counter() - start:.1f} s: open {BUILD / 'book' / 'index.html'}")
    if failed:
        print(f"notebooks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or proc.returncode else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
