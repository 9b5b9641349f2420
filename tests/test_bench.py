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
    bench.update_readme(
        [
            {"notebook": "00_tour", "seconds": [14.0, 16.2, 15.1], "error": None},
            {"notebook": "01_fine_tuning", "seconds": [50.0], "error": "boom"},
        ]
    )
    lines = (tmp_path / "README.md").read_text().splitlines()
    assert lines[4] == "| [00_tour](notebooks/00_tour.ipynb) | the tour | 15 s | a | b |"  # the median
    assert lines[5] == "| [01_fine_tuning](notebooks/01_fine_tuning.ipynb) | heads | 9 s | c |"  # failed: kept


def test_skipping_notebooks_keeps_the_last_notebook_table(bench, tmp_path):
    assert bench.previous_notebook_section() == []
    (tmp_path / "benchmarks" / "RESULTS.md").write_text(
        "# Benchmark results\n\n## Notebooks (x)\n\n| notebook |\n|---|\n| 00_tour |\n\n## Data and training loops\n\n| y |\n"
    )
    kept = bench.previous_notebook_section()
    assert kept[0] == "## Notebooks (x)" and "| 00_tour |" in kept and not any("Data and" in line for line in kept)
    # a second skipped run keeps the table and says once that it was kept
    (tmp_path / "benchmarks" / "RESULTS.md").write_text("\n".join(["# Benchmark results", "", *kept, "## Data", ""]))
    again = bench.previous_notebook_section()
    assert again == kept and sum("kept from the last full" in line for line in again) == 1


def test_summary_is_median_min_max(bench):
    assert bench.summary([3.0, 1.0, 2.0, 10.0, 4.0]) == (3.0, 1.0, 10.0)
    assert bench.fmt([1.0, 2.0, 4.0], " s") == "2.0 s (1.0-4.0)"


def test_a_split_written_as_pngs_reads_back_with_its_classes_in_order(bench, tmp_path):
    import torch

    from tlearn.data import ImageSet
    from tlearn.data.folders import image_folder

    images = torch.zeros(6, 1, 8, 8)
    images[:, :, 2:6, 2:6] = torch.linspace(0.2, 1.0, 6)[:, None, None, None]
    split = ImageSet(images, torch.tensor([0, 0, 1, 1, 2, 2]))
    root = bench.write_png_folder(split, tmp_path / "scans", size=21)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    assert files[:2] == ["0000/000000.png", "0000/000001.png"] and len(files) == 6
    back = image_folder(root, image_size=8, invert=True, progress=False)  # dark on light on disk
    assert torch.equal(back.targets, split.targets) and back.classes == ["0000", "0001", "0002"]
    assert (back.images - split.images).abs().mean() < 0.05


def test_ratios_pair_interleaved_runs_and_the_section_reports_them(bench):
    assert bench.ratios([1.0, 3.0], [2.0, 3.0]) == [0.5, 1.0]
    with pytest.raises(ValueError, match="same length"):
        bench.ratios([1.0], [])
    result = {
        "images": 4800,
        "classes": 240,
        "load": [2.0, 3.0, 4.0],
        "memory": [1.0] * 3,
        "folder": [0.95] * 3,
        "disk": [0.7] * 3,
        "ratio": [0.9, 0.95, 1.0],
        "disk_ratio": [0.7] * 3,
    }
    lines = bench.folder_lines(result, steps=20)
    assert lines[0].startswith("## Your own images") and "4,800 images, 240 classes" in lines[2]
    assert "| one-time load: decode 4,800 PNGs and rotate (s) | 3.00 (2.00-4.00) |" in lines
    assert any(
        line.startswith("| folder / memory ratio (budget >= 0.9") and "0.95 (0.90-1.00)" in line for line in lines
    )
