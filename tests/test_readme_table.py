"""The README's notebook table is written from the runs (tools/readme.py): the runtime and headline cells of
the notebooks that ran change, nothing else does; a headline whose row is gone fails loudly; every notebook
has a headline; ``make run`` and ``make bench`` write the same table from the same run."""

import importlib.util
import os
import string
from pathlib import Path

import nbformat
import pytest

from tlearn.viz import results_table
from tools import readme, report
from tools.readme import Cell, HeadlineError, Printed, Span, headline

ROOT = Path(__file__).resolve().parent.parent
# executed notebooks to check the headlines against: build/ after `make run` or `make test`
EXECUTED = Path(os.environ.get("TLEARN_EXECUTED", ROOT / "build"))

README = """# tlearn

Text above | with a pipe, 15 s and 41.5 %.

<!-- notebook-table -->
| notebook | what you learn | runtime | headline result |
|---|---|---|---|
| [00_tour](notebooks/00_tour.ipynb) | the data worlds | 15 s | old tour headline |
| [05_few_shot](notebooks/05_few_shot.ipynb) | episodes | 46 s | old few-shot headline |
| [06_zero_shot](notebooks/06_zero_shot.ipynb) | descriptions, 17 s | 17 s | old zero-shot headline |
<!-- /notebook-table -->

| notebook | `DATASET` values |
|---|---|
| [06_zero_shot](notebooks/06_zero_shot.ipynb) | "glyphs" |
"""


def table_text(rows, title=None, digits=3) -> str:
    """A results table as ``make run`` extracts it: the text form of tlearn's ResultsTable."""
    return repr(results_table(rows, title, digits))


def zero_shot_table(eszsl="ESZSL") -> str:
    rows = [{"method": "chance", "unseen acc (zero-shot)": 0.05}]
    rows += [
        {"method": name, "unseen acc (zero-shot)": acc, "seen": 0.4, "unseen": 0.03, "H": h, "H calibrated": hc}
        for name, acc, h, hc in [
            ("DAP", 0.2114, 0.061, 0.187),
            (eszsl, 0.25, 0.1, 0.2),
            ("prototypical", 0.333, 0.2, 0.3),
        ]
    ]
    rows.append({"method": "prototypical, shuffled descriptions", "unseen acc (zero-shot)": 0.02})
    return table_text(rows, title="Zero-shot on 100 Glyphs characters (25 unseen, chance 0.050)")


def tour_tables() -> list[str]:
    worlds = table_text([{"world": "Glyphs background", "images": 12000, "classes": 600}], title="Data worlds")
    protocols = ["5-way 1-shot", "5-way 5-shot", "20-way 1-shot", "20-way 5-shot"]
    calibration = table_text(
        [
            {"protocol": p, "Glyphs, this run": f"{g} ± 0.5 %", "Omniglot, Vinyals et al. 2016": f"{o} %"}
            for p, g, o in zip(protocols, [40.1, 61.2, 25.3, 43.4], [41.7, 63.2, 26.7, 42.6])
        ],
        title="Pixel 1-NN, 1000 fixed episodes per protocol (seed 0), classes across alphabets, 28x28",
    )
    return [worlds, calibration]


TOUR = (
    "Glyphs calibrated to Omniglot: pixel nearest neighbour 40.1 % 5-way 1-shot, 61.2 % 5-shot, 25.3 % 20-way "
    "1-shot, 43.4 % 5-shot (Omniglot: 41.7, 63.2, 26.7, 42.6)"
)
ZERO_SHOT = (
    "unseen Glyphs characters: prototypical zero-shot 33.3 %, ESZSL 25.0 %, DAP 21.1 % (chance 5.0 %); calibrated "
    "stacking lifts H (DAP 0.06 → 0.19)"
)


def test_only_the_runtime_and_headline_cells_of_the_notebooks_that_ran_change(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(README)
    records = [
        {"notebook": "00_tour.ipynb", "seconds": 24.4, "error": None, "tables": tour_tables(), "printed": []},
        {"notebook": "06_zero_shot.ipynb", "seconds": 14.6, "error": None, "tables": [zero_shot_table()]},
    ]
    notes = readme.update_readme(records, path)
    before, after = README.splitlines(), path.read_text().splitlines()
    changed = {i: (b, a) for i, (b, a) in enumerate(zip(before, after)) if b != a}
    assert len(before) == len(after) and sorted(changed) == [7, 9]
    assert after[7] == f"| [00_tour](notebooks/00_tour.ipynb) | the data worlds | 24 s | {TOUR} |"
    assert after[9] == f"| [06_zero_shot](notebooks/06_zero_shot.ipynb) | descriptions, 17 s | 15 s | {ZERO_SHOT} |"
    assert notes == ["00_tour: runtime and headline written", "06_zero_shot: runtime and headline written"]


def test_make_run_and_make_bench_write_the_same_table_from_the_same_run(tmp_path, monkeypatch):
    """``make run`` (one run: ``00_tour.ipynb``, seconds) and ``make bench`` (``00_tour``, seconds of each
    run, the median taken) go through the same function and write the same row."""
    record = {"error": None, "peak_mb": 900.0, "tables": tour_tables(), "printed": []}
    monkeypatch.setattr(
        report, "run_isolated", lambda nb, out, **kwargs: record | {"notebook": Path(nb).name, "seconds": 24.4}
    )
    monkeypatch.setattr(readme, "ROOT", tmp_path)
    (tmp_path / "README.md").write_text(README)
    assert report.main(["build", "notebooks/00_tour.ipynb", "--readme"]) == 0
    from_run = (tmp_path / "README.md").read_text()

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    (tmp_path / "README.md").write_text(README)
    assert bench.update_readme([record | {"notebook": "00_tour", "seconds": [30.0, 24.4, 20.1]}])
    assert (tmp_path / "README.md").read_text() == from_run and f"| 24 s | {TOUR} |" in from_run


def test_a_renamed_row_fails_naming_the_notebook_the_row_and_the_columns_and_writes_nothing(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(README)
    records = [
        {"notebook": "00_tour.ipynb", "seconds": 24.4, "tables": tour_tables()},
        {"notebook": "06_zero_shot.ipynb", "seconds": 14.6, "tables": [zero_shot_table(eszsl="ESZSL (closed form)")]},
    ]
    with pytest.raises(HeadlineError) as err:
        readme.update_readme(records, path)
    message = str(err.value)
    assert "06_zero_shot: no row of the results table has method='ESZSL'" in message
    assert "columns available: method, unseen acc (zero-shot), seen, unseen, H, H calibrated" in message
    assert "'ESZSL (closed form)'" in message  # the labels the table does have
    assert path.read_text() == README  # not even 00_tour's row, whose headline could be built


def test_rows_are_chosen_by_label_exactly_or_by_a_star_and_must_be_unique():
    rows = [
        {"target": "near", "features": "blocks.1", "probe": "linear", "accuracy": 0.903},
        {"target": "near", "features": "blocks.3 (best)", "probe": "linear", "accuracy": 0.939},
        {"target": "near", "features": "blocks.3 (best)", "probe": "mlp", "accuracy": 0.951},
        {"target": "far", "features": "blocks.2 (best)", "probe": "linear", "accuracy": 0.915},
    ]
    tables = readme.parse_tables(table_text(rows))
    best = Cell({"target": "near", "features": "* (best)", "probe": "linear"}, "accuracy", "percent")
    assert best.read(tables, "", "02") == "93.9"
    assert Cell({"target": "near", "features": "blocks.1"}, "accuracy").read(tables, "", "02") == "0.903"
    with pytest.raises(
        HeadlineError, match=r"02: 2 rows of the results table have target='near', features='\* \(best\)'"
    ):
        Cell({"target": "near", "features": "* (best)"}, "accuracy").read(tables, "", "02")
    with pytest.raises(HeadlineError, match="02: no row .* has features='blocks.3'"):  # not a prefix match
        Cell({"features": "blocks.3"}, "accuracy").read(tables, "", "02")
    with pytest.raises(HeadlineError, match=r"no results table has the columns \['target', 'seconds'\]"):
        Cell({"target": "near"}, "seconds").read(tables, "", "02")


def test_printed_numbers_spans_and_styles():
    spec = headline(
        "{files} files; heads {heads} %; fooled ({fooled} %); {pm}",
        files=Printed(r": (\d+) PNG files$", "thousands"),
        heads=Span(tuple(Cell({"technique": t}, "1 label") for t in ["a", "b", "c"])),
        fooled=Printed(r"discriminator ends at (\d+)% accuracy"),
        pm=Cell({"technique": "a"}, "5 labels", "±"),
    )
    rows = [
        {"technique": t, "1 label": one, "5 labels": five}
        for t, one, five in [
            ("a", "80.7 [69-92]", "91.8 ± 1.0"),
            ("b", "79.3 [68-91]", "-"),
            ("c", "80.1 [70-90]", "-"),
        ]
    ]
    printed = ["/tmp/x: 4000 PNG files\n", "At weight 1 DANN's discriminator ends at 57% accuracy (chance: 50%)"]
    record = {"notebook": "x.ipynb", "tables": [table_text(rows)], "printed": printed}
    assert spec.fill(record) == "4,000 files; heads 79.3-80.7 %; fooled (57 %); 91.8 ± 1.0"
    with pytest.raises(HeadlineError, match=r"x: the pattern .* matches 0 times"):
        spec.fill(record | {"printed": printed[:1]})
    with pytest.raises(HeadlineError, match=r"x: row \{'technique': 'b'\}, column '5 labels': no 'mean ± interval'"):
        Cell({"technique": "b"}, "5 labels", "±").read(readme.parse_tables(table_text(rows)), "", "x")


@pytest.mark.parametrize("form", ["text", "markdown"])
def test_tables_read_back_as_tlearn_writes_them(form):
    rows = [
        {"method": "DANN, weight 0.1: chosen by reverse validation", "target accuracy": 0.336, "gap": "16%"},
        {"method": "two moons (30°): MMD", "target accuracy": 0.79, "gap": None, "± sd (3 seeds)": 0.055},
    ]
    table = results_table(rows, title="HandDigits → textured")
    text = repr(table) if form == "text" else table._repr_markdown_()
    (parsed,) = readme.parse_tables(text)
    assert parsed.title == "HandDigits → textured"
    assert parsed.columns == ["method", "target accuracy", "gap", "± sd (3 seeds)"]
    assert parsed.rows == [{c: table._fmt(r.get(c)) for c in parsed.columns} for r in rows]


def test_failed_runs_keep_their_row_and_records_without_outputs_write_the_runtime_alone():
    records = [
        {"notebook": "00_tour", "seconds": [14.0, 16.2, 15.1]},
        {"notebook": "05_few_shot.ipynb", "seconds": float("nan"), "error": "CellExecutionError", "tables": []},
    ]
    text, notes = readme.rewrite(README, records)
    assert "| [00_tour](notebooks/00_tour.ipynb) | the data worlds | 15 s | old tour headline |" in text.splitlines()
    assert [line for line in text.splitlines() if "00_tour" not in line] == [
        line for line in README.splitlines() if "00_tour" not in line
    ]
    assert notes == ["00_tour: runtime written", "05_few_shot: the run failed, its row is left as it was"]
    with pytest.raises(HeadlineError, match="08_your_own_data: the README's notebook table has no row"):
        readme.rewrite(README, [{"notebook": "08_your_own_data.ipynb", "seconds": 3.0}])


def test_every_notebook_has_a_headline_whose_fields_are_all_specified():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert notebooks and sorted(readme.HEADLINES) == notebooks
    for name, spec in readme.HEADLINES.items():
        fields = {f for _, f, _, _ in string.Formatter().parse(spec.template) if f}
        assert fields == set(spec.numbers), name
        cells = [c for n in spec.numbers.values() for c in (n.cells if isinstance(n, Span) else [n])]
        assert all(c.style in readme.STYLES for c in cells), name
        assert "|" not in spec.template, name


def test_the_readme_has_a_row_for_every_notebook():
    text = (ROOT / "README.md").read_text()
    block = text.split(readme.START)[1].split(readme.END)[0]
    for name in readme.HEADLINES:
        assert f"| [{name}](notebooks/{name}.ipynb) |" in block, name


def test_times_come_from_the_summary_make_run_prints():
    log = (
        "notebook                          wall s   peak MB   status\n"
        "00_tour.ipynb                       24.1      1251   ok\n"
        "03b_domain_adaptation_textured.ipynb    41.7      1091   ok\n"
        "08_your_own_data.ipynb               nan       nan   FAILED\n"
    )
    times = readme.times_from_log(log)
    assert times["00_tour"] == 24.1 and times["03b_domain_adaptation_textured"] == 41.7
    assert readme.seconds_of({"seconds": times["08_your_own_data"]}) is None


def executed_copy(name: str) -> Path:
    """The executed notebook in ``EXECUTED``, if it ran the notebook's current code."""
    path = EXECUTED / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"{path} is missing: `make run` executes the notebooks into build/")
    code = lambda p: [c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]  # noqa: E731
    if code(path) != code(ROOT / "notebooks" / f"{name}.ipynb"):
        pytest.skip(f"{path} ran other code than notebooks/{name}.ipynb: `make run` executes it again")
    return path


@pytest.mark.parametrize("name", sorted(readme.HEADLINES))
def test_each_headline_reads_the_results_of_its_executed_notebook(name):
    """Every row and column a headline names is in the executed notebook's output (``make test`` executes
    every notebook into build/ before it runs tests/)."""
    record = readme.record_of_executed(executed_copy(name))
    assert record["error"] is None and record["tables"], record["error"]
    text = readme.HEADLINES[name].fill(record)
    assert "{" not in text and "|" not in text
