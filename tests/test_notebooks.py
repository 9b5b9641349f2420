"""House rules for the notebooks: paired with their .py, committed without outputs, laid out alike."""

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tools import badges  # noqa: E402  (a repository tool, not part of the package)

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9]*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_paired_clean_and_complete(path):
    nb = nbformat.read(path, as_version=4)
    paired = path.with_suffix(".py")
    assert paired.exists(), f"{path.name} has no paired .py; run `make sync`"
    py = jupytext.read(paired)
    sources = lambda book: [(c.cell_type, c.source.strip()) for c in book.cells]  # noqa: E731
    assert sources(nb) == sources(py), f"{path.name} and {paired.name} differ; run `make sync`"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        f"{path.name} is committed with outputs; clear them (make sync regenerates it from the .py)"
    )
    tags = [t for c in code for t in c.get("metadata", {}).get("tags", [])]
    assert "parameters" in tags and "results" in tags, f"{path.name} needs a parameters cell and a results cell"
    assert any("assert " in c.source for c in code), f"{path.name} has no assert cell backing its claims"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Exercises" in text
    assert code_lines(nb) <= MAX_CODE_LINES, (
        f"{path.name} has {code_lines(nb)} lines of code (at most {MAX_CODE_LINES}); move a helper into tlearn "
        "or split the notebook in two"
    )


MAX_CODE_LINES = 200  # a notebook past this is split in two (DESIGN.md)


def code_lines(nb) -> int:
    """Lines of code a reader reads: non-blank, not only a comment, in every code cell (hidden ones too)."""
    return sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )


def test_code_lines_count_what_a_reader_reads():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import torch\n\n# a comment\nx = 1  # trailing\n   \n"),
            nbformat.v4.new_markdown_cell("x = 2\ny = 3"),
            nbformat.v4.new_code_cell("    # indented comment\nprint(x)"),
        ]
    )
    assert code_lines(nb) == 3


def test_badges_come_from_one_place():
    assert badges.sync(check=True) == [], "badge lines are out of date; run `make sync`"
    repo, branch = badges.repository()
    assert f"mybinder.org/v2/gh/{repo}/{branch}" in badges.badge_line("00_tour.ipynb")
