"""The benchmark script's bookkeeping: the README's runtime column and the kept notebook table."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "benchmarks").mkdir()
    monkeypatch.setattr(module, "ROOT", tmp_path)
    return module


README = """# x
<!-- notebook-table -->
| notebook | what you learn | runtime | headline result |
|---|---|---|---|
| [00_tour](notebooks/00_tour.ipynb) | the tour | ~35 s | a | b |
| [01_fine_tuning](notebooks/01_fine_tuning.ipynb) | heads | 9 s | c |
<!-- /notebook-table -->
"""


def test_update_readme_rewrites_only_the_runtime_of_notebooks_that_ran(bench, tmp_path):
    (tmp_path / "README.md").write_text(README)
    bench.update_readme([{"notebook": "00_tour", "seconds": [14.0, 16.2, 15.1], "error": None},
                         {"notebook": "01_fine_tuning", "seconds": [50.0], "error": "boom"}])
    lines = (tmp_path / "README.md").read_text().splitlines()
    assert lines[4] == "| [00_tour](notebooks/00_tour.ipynb) | the tour | 15 s | a | b |"  # the median
    assert lines[5] == "| [01_fine_tuning](notebooks/01_fine_tuning.ipynb) | heads | 9 s | c |"  # failed: kept


def test_skipping_notebooks_keeps_the_last_notebook_table(bench, tmp_path):
    assert bench.previous_notebook_section() == []
    (tmp_path / "benchmarks" / "RESULTS.md").write_text(
        "# Benchmark results\n\n## Notebooks (x)\n\n| notebook |\n|---|\n| 00_tour |\n\n## Data and training loops\n\n| y |\n")
    kept = bench.previous_notebook_section()
    assert kept[0] == "## Notebooks (x)" and "| 00_tour |" in kept and not any("Data and" in line for line in kept)


def test_summary_is_median_min_max(bench):
    assert bench.summary([3.0, 1.0, 2.0, 10.0, 4.0]) == (3.0, 1.0, 10.0)
    assert bench.fmt([1.0, 2.0, 4.0], " s") == "2.0 s (1.0-4.0)"
