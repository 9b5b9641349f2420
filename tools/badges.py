"""Binder and Colab badges, written from one place.

The repository's ``org/name`` and branch live in ``pyproject.toml`` under ``[tool.tlearn]``. A fork
changes that one line and runs ``make sync`` (``python -m tools.badges``), which rewrites the badge line
of the README and of every notebook, and the address each notebook's first cell installs tlearn from.
``--check`` only reports lines that are out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- badges -->"


def repository(root: Path = ROOT) -> tuple[str, str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["tlearn"]
    return config["repository"], config.get("branch", "main")


def badge_line(notebook: str | None = None, root: Path = ROOT) -> str:
    """The Markdown badge line for the README (``notebook=None``) or one notebook."""
    repo, branch = repository(root)
    target = f"?labpath=notebooks%2F{notebook}" if notebook else "?urlpath=lab%2Ftree%2Fnotebooks"
    binder = f"[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{repo}/{branch}{target})"
    # the mark goes last: a line that starts with "<!--" is a raw HTML block in Markdown (CommonMark), so
    # the badges after it would show as text, not as images
    if notebook is None:
        return f"{binder} {MARK}"
    colab = (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{repo}/blob/{branch}/notebooks/{notebook})"
    )
    return f"{binder} {colab} {MARK}"


def install_url(root: Path = ROOT) -> str:
    """What each notebook's first cell pip-installs where tlearn is missing (as on Colab)."""
    repo, branch = repository(root)
    return f"git+https://github.com/{repo}@{branch}"


def _files(root: Path):
    yield root / "README.md", None
    for py in sorted((root / "notebooks").glob("[0-9]*.py")):
        yield py, py.with_suffix(".ipynb").name  # the paired .ipynb follows via `jupytext --sync`


def sync(root: Path = ROOT, check: bool = False) -> list[str]:
    """Rewrite (or with ``check`` only list) every badge line that differs from :func:`badge_line`."""
    stale = []
    pattern = re.compile(r"^(# )?[^\n]*" + re.escape(MARK) + r"[^\n]*", re.MULTILINE)
    for path, notebook in _files(root):
        text = path.read_text()
        want = badge_line(notebook, root)
        # in a percent-format .py the line is a Markdown comment: "# [![Binder](...)](...) ... <!-- badges -->"
        new = pattern.sub(lambda m, want=want: (m.group(1) or "") + want, text)
        if notebook:  # the guarded install in the first code cell
            new = re.sub(r"git\+https://github\.com/[^\s\"'@]+@[\w./-]+", install_url(root), new)
        if new != text:
            stale.append(str(path.relative_to(root)))
            if not check:
                path.write_text(new)
    return stale


if __name__ == "__main__":
    check = "--check" in sys.argv
    changed = sync(check=check)
    verb = "out of date" if check else "rewritten"
    print(f"badges {verb}: {', '.join(changed) if changed else 'none'}")
    sys.exit(1 if check and changed else 0)
