"""The README's notebook table, written from the runs: each row's runtime and headline result.

``make run`` (``tools/report.py --readme``) and ``make bench`` (``benchmarks/run.py``) both end by calling
:func:`update_readme` with one *run record* per notebook: its file name, its wall time (seconds, or a list
of them whose median is taken) and what it output: ``tables``, the text of the cell tagged ``results``
(the aligned text of :class:`tlearn.viz.ResultsTable`, as ``make run`` prints it; Markdown tables are read
too), and ``printed``, everything else the notebook printed or displayed as text.

A headline is a sentence with numbers in it. :data:`HEADLINES` writes, for every notebook, the sentence
as a template and, for each of its numbers, where the run states it:

- :class:`Cell`: the row of the results table whose columns hold the given labels (``*`` stands for any
  text, for labels that carry run-dependent parts such as ``"blocks.3 (best)"``), read in one column;
- :class:`Span`: the lowest and highest of several such cells (``79.3-80.7``);
- :class:`Printed`: a number the notebook prints outside its results table, found by a pattern.

Rows are chosen by their labels, never by their position, and a label that matches no row, or more than
one, stops the update with an error that names the notebook, the labels and the columns the table has:
a method renamed in a notebook fails here instead of leaving last month's number in the README. Nothing is
written unless every headline could be built. A notebook whose run failed keeps its row as it was.

Rewrite the table from notebooks executed earlier (``make run`` leaves them in ``build/``), with the wall
times from the summary that ``make run`` printed::

    python -m tools.readme --times run.log build/*.ipynb
"""

from __future__ import annotations

import math
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- notebook-table -->", "<!-- /notebook-table -->"
HEADER = "| notebook | what you learn | runtime | headline result |"


class HeadlineError(ValueError):
    """A headline could not be built from a run (a row, column or printed number is missing)."""


# --- how a number is written ---------------------------------------------------------------------------
NUMBER = r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?"


def _first_number(text: str) -> str:
    match = re.search(NUMBER, text)
    if not match:
        raise HeadlineError(f"no number in {text!r}")
    return match.group()


def _value(text: str) -> float:
    return float(_first_number(text).replace(",", ""))


def _plus_minus(text: str) -> str:
    match = re.search(rf"{NUMBER} ± {NUMBER}", text)
    if not match:
        raise HeadlineError(f"no 'mean ± interval' in {text!r}")
    return match.group()


STYLES = {
    "as printed": _first_number,  # "41.5 ± 0.7 %" -> "41.5", "79.3 [69-90]" -> "79.3"
    "percent": lambda text: f"{100 * _value(text):.1f}",  # a fraction: "0.926" -> "92.6"
    "±": _plus_minus,  # "86.5 ± 0.7" as printed
    "2 decimals": lambda text: f"{_value(text):.2f}",  # "0.116" -> "0.12"
    "thousands": lambda text: f"{round(_value(text)):,}",  # "4000" -> "4,000"
}


# --- where a number is read ------------------------------------------------------------------------------
@dataclass
class Table:
    """One results table: its title (may be empty), column names, and rows as ``{column: text}``."""

    title: str
    columns: list[str]
    rows: list[dict[str, str]]


def _cut(line: str, starts: list[int], j: int) -> str:
    end = starts[j + 1] if j + 1 < len(starts) else None
    return line[starts[j] : end].strip()


def parse_tables(text: str) -> list[Table]:
    """The tables in one output's text: aligned text (a title, a header, a line of dashes under each
    column, the rows; columns cut where the dashes start) or Markdown (``| a | b |`` over ``|---|---|``).
    Tables in one text are separated by a blank line."""
    lines, tables = text.splitlines(), []
    for i, line in enumerate(lines):
        if i and re.fullmatch(r"-+(?:  +-+)*", line.rstrip()):  # aligned: the dashes under the header
            starts = [m.start() for m in re.finditer(r"-+", line)]
            body = []
            for row in lines[i + 1 :]:
                if not row.strip():
                    break
                body.append(row)
            columns = [_cut(lines[i - 1], starts, j) for j in range(len(starts))]
            rows = [{c: _cut(row, starts, j) for j, c in enumerate(columns)} for row in body]
            tables.append(Table(lines[i - 2].strip() if i > 1 else "", columns, rows))
        elif i and re.fullmatch(r"\|(?:\s*:?-+:?\s*\|)+", line.strip()):  # Markdown: the |---| line
            split = lambda row: [c.strip() for c in row.strip().strip("|").split("|")]  # noqa: E731
            columns, rows = split(lines[i - 1]), []
            for row in lines[i + 1 :]:
                if not row.strip().startswith("|"):
                    break
                rows.append(dict(zip(columns, split(row))))
            title = lines[i - 3].strip().strip("*") if i > 2 and not lines[i - 2].strip() else ""
            tables.append(Table(title, columns, rows))
    return tables


def _matches(pattern: str, text: str) -> bool:
    """``text`` equals ``pattern``, where a ``*`` in the pattern stands for any text."""
    return re.fullmatch(".*".join(map(re.escape, str(pattern).split("*"))), text, re.S) is not None


@dataclass(frozen=True)
class Cell:
    """The number in ``column`` of the one results-table row whose columns hold ``row``'s labels."""

    row: dict
    column: str
    style: str = "as printed"

    def raw(self, tables: list[Table], notebook: str) -> str:
        wanted = ", ".join(f"{k}={v!r}" for k, v in self.row.items())
        fitting = [t for t in tables if set(self.row) <= set(t.columns) and self.column in t.columns]
        if not fitting:
            have = "; ".join(f"{t.title or 'untitled'!r}: {', '.join(t.columns)}" for t in tables) or "no table at all"
            raise HeadlineError(
                f"{notebook}: no results table has the columns {[*self.row, self.column]} (for the row {wanted}); "
                f"the tables have: {have}"
            )
        found = [r for t in fitting for r in t.rows if all(_matches(v, r.get(k, "")) for k, v in self.row.items())]
        if len(found) != 1:
            first = next(iter(self.row))
            values = sorted({r.get(first, "") for t in fitting for r in t.rows})
            raise HeadlineError(
                f"{notebook}: {'no row' if not found else f'{len(found)} rows'} of the results table "
                f"{'has' if not found else 'have'} {wanted} (one is needed; columns available: "
                f"{', '.join(fitting[0].columns)}; values of {first!r}: {values}); "
                "update the notebook's entry in tools/readme.py HEADLINES"
            )
        text = found[0][self.column]
        if not text:
            raise HeadlineError(f"{notebook}: the row {wanted} has no value in the column {self.column!r}")
        return text

    def read(self, tables: list[Table], printed: str, notebook: str) -> str:
        text = self.raw(tables, notebook)
        try:
            return STYLES[self.style](text)
        except HeadlineError as err:
            raise HeadlineError(f"{notebook}: row {self.row}, column {self.column!r}: {err}") from None


@dataclass(frozen=True)
class Span:
    """The lowest and highest of several cells, written ``low-high`` (one value when they agree)."""

    cells: tuple[Cell, ...]

    def read(self, tables: list[Table], printed: str, notebook: str) -> str:
        texts = [c.read(tables, printed, notebook) for c in self.cells]
        low, high = min(texts, key=_value), max(texts, key=_value)
        return low if low == high else f"{low}-{high}"


@dataclass(frozen=True)
class Printed:
    """A number the notebook prints or displays as text outside its results table: the first group of
    ``pattern`` (a regular expression, multi-line mode), which must match exactly once."""

    pattern: str
    style: str = "as printed"

    def read(self, tables: list[Table], printed: str, notebook: str) -> str:
        found = list(re.finditer(self.pattern, printed, re.M))
        if len(found) != 1:
            raise HeadlineError(
                f"{notebook}: the pattern {self.pattern!r} matches {len(found)} times in what the notebook "
                "printed (once is needed); update the notebook's entry in tools/readme.py HEADLINES"
            )
        try:
            return STYLES[self.style](found[0].group(1))
        except HeadlineError as err:
            raise HeadlineError(f"{notebook}: the pattern {self.pattern!r}: {err}") from None


@dataclass(frozen=True)
class Headline:
    """A sentence whose ``{name}`` fields are filled from a run: ``numbers[name]`` says where from."""

    template: str
    numbers: dict = field(default_factory=dict)

    def fill(self, record: dict) -> str:
        notebook = Path(record["notebook"]).stem
        tables = [t for text in record["tables"] for t in parse_tables(text)]
        printed = "\n".join(record.get("printed") or [])
        return self.template.format(**{k: v.read(tables, printed, notebook) for k, v in self.numbers.items()})


def headline(template: str, **numbers) -> Headline:
    return Headline(template, numbers)


# --- the headlines, notebook by notebook ---------------------------------------------------------------
NEAR, FAR = {"target": "near"}, {"target": "far"}
LW = "layer-wise lr (head 10x)"
DANN_CHOSEN = {"method": "DANN, weight *: chosen by reverse validation (no target labels)"}
A = {"target": "A: new alphabet"}
FEW_SHOT_HEADS = ("nearest class mean (Prototypical head)", "cosine attention (Matching head)")
FEW_SHOT_HEADS += ("nearest labelled example (Siamese head)",)

HEADLINES = {
    "00_tour": headline(
        "Glyphs calibrated to Omniglot: pixel nearest neighbour {g5w1} % 5-way 1-shot, {g5w5} % 5-shot, "
        "{g20w1} % 20-way 1-shot, {g20w5} % 5-shot (Omniglot: {o5w1}, {o5w5}, {o20w1}, {o20w5})",
        g5w1=Cell({"protocol": "5-way 1-shot"}, "Glyphs, this run"),
        g5w5=Cell({"protocol": "5-way 5-shot"}, "Glyphs, this run"),
        g20w1=Cell({"protocol": "20-way 1-shot"}, "Glyphs, this run"),
        g20w5=Cell({"protocol": "20-way 5-shot"}, "Glyphs, this run"),
        o5w1=Cell({"protocol": "5-way 1-shot"}, "Omniglot, Vinyals et al. 2016"),
        o5w5=Cell({"protocol": "5-way 5-shot"}, "Omniglot, Vinyals et al. 2016"),
        o20w1=Cell({"protocol": "20-way 1-shot"}, "Omniglot, Vinyals et al. 2016"),
        o20w5=Cell({"protocol": "20-way 5-shot"}, "Omniglot, Vinyals et al. 2016"),
    ),
    "01_fine_tuning": headline(
        "real handwritten digits, 5 labels per class: fine-tuned (layer-wise rates) {ft5} % vs scratch {sc5} % "
        "(means of {seeds} seeds); the gap closes with all labels ({ft_all} vs {sc_all}); pretrained GRU {gru} % "
        "vs scratch {gru_sc} % on new characters",
        ft5=Cell(FAR | {"method": LW, "labels/class": "5"}, "accuracy", "percent"),
        seeds=Cell(FAR | {"method": LW, "labels/class": "5"}, "seeds"),
        sc5=Cell(FAR | {"method": "scratch", "labels/class": "5"}, "accuracy", "percent"),
        ft_all=Cell(FAR | {"method": LW, "labels/class": "all"}, "accuracy", "percent"),
        sc_all=Cell(FAR | {"method": "scratch", "labels/class": "all"}, "accuracy", "percent"),
        gru=Cell(NEAR | {"method": "GRU pretrained, layer-wise lr", "labels/class": "5"}, "accuracy", "percent"),
        gru_sc=Cell(NEAR | {"method": "GRU scratch", "labels/class": "5"}, "accuracy", "percent"),
    ),
    "02_feature_extraction": headline(
        "near target, 5 labels per class: a linear probe {probe} % vs fine-tuning {ft} % (means of {draws} "
        "label draws), trained in {probe_s} s vs {ft_s} s; depth pays on the near target (best layer {near_best} % "
        "vs blocks.1 {near_b1} %), less on the far one ({far_best} vs {far_b1})",
        probe=Cell(
            NEAR | {"features": "output (mean of *", "probe": "linear probe", "labels/class": "5"},
            "accuracy",
            "percent",
        ),
        ft=Cell(
            NEAR | {"features": "output (mean of *", "probe": "fine-tuning", "labels/class": "5"}, "accuracy", "percent"
        ),
        draws=Cell(NEAR | {"features": "output (mean of *", "probe": "linear probe"}, "features"),  # "mean of 3 draws"
        probe_s=Cell(
            NEAR | {"features": "output (first draw)", "probe": "linear probe (frozen)"}, "seconds", "2 decimals"
        ),
        ft_s=Cell(
            NEAR | {"features": "output (first draw)", "probe": "fine-tuning (layer-wise lr)"}, "seconds", "2 decimals"
        ),
        near_best=Cell(NEAR | {"features": "* (best)", "probe": "linear"}, "accuracy", "percent"),
        near_b1=Cell(NEAR | {"features": "blocks.1", "probe": "linear"}, "accuracy", "percent"),
        far_best=Cell(FAR | {"features": "* (best)", "probe": "linear"}, "accuracy", "percent"),
        far_b1=Cell(FAR | {"features": "blocks.1", "probe": "linear"}, "accuracy", "percent"),
    ),
    "03a_domain_adaptation": headline(
        "SynDigits → HandDigits: source only {source} %, MMD {mmd} %, DANN {dann} % (weight {weight} chosen by "
        "reverse validation, no target labels), train on target {target} %; DANN's discriminator fooled "
        "({fooled} %) while classes stay misaligned",
        source=Cell({"method": "source only"}, "target accuracy", "percent"),
        mmd=Cell({"method": "MMD"}, "target accuracy", "percent"),
        dann=Cell(DANN_CHOSEN, "target accuracy", "percent"),
        weight=Cell(DANN_CHOSEN, "method"),  # "DANN, weight 1: chosen by ..."
        target=Cell({"method": "train on target"}, "target accuracy", "percent"),
        fooled=Printed(r"DANN's discriminator ends at (\d+)% accuracy"),  # a Markdown cell after the sweep
    ),
    "03b_domain_adaptation_textured": headline(
        "HandDigits → textured (scikit-image photographs): source only {source} %, CORAL {coral} %, DANN {dann} % "
        "(weight {weight} chosen by reverse validation), train on target {target} %",
        source=Cell({"method": "source only"}, "target accuracy", "percent"),
        coral=Cell({"method": "CORAL"}, "target accuracy", "percent"),
        dann=Cell(DANN_CHOSEN, "target accuracy", "percent"),
        weight=Cell(DANN_CHOSEN, "method"),
        target=Cell({"method": "train on target"}, "target accuracy", "percent"),
    ),
    "04_multi_task": headline(
        "MultiDigits, 300 canvases: hard sharing {hard} % vs single-task {single} % (means over training seeds); "
        "cross-stitch {stitch} % (first seed)",
        # the means over seeds are printed in section 4 ("hard sharing  0.844 +- 0.024 (sd over seeds ...")
        hard=Printed(r"^hard sharing +(\d\.\d+) \+- ", "percent"),
        single=Printed(r"^single-task networks +(\d\.\d+) \+- ", "percent"),
        stitch=Cell({"data": "MultiDigits (CNN)", "method": "cross-stitch", "train size": "300"}, "mean", "percent"),
    ),
    "05_few_shot": headline(
        "Glyphs 5-way 1-shot across alphabets: Matching {matching} %, Prototypical {proto} %, Siamese {siamese} %, "
        "pixel nearest neighbour {pixels} %",
        matching=Cell({"method": "Matching (cosine attention)", "episodes": "across"}, "5-way 1-shot", "±"),
        proto=Cell({"method": "Prototypical (Euclidean)", "episodes": "across"}, "5-way 1-shot", "±"),
        siamese=Cell({"method": "Siamese (weighted L1, BCE)", "episodes": "across"}, "5-way 1-shot", "±"),
        pixels=Cell({"method": "pixel nearest neighbour", "episodes": "across"}, "5-way 1-shot", "±"),
    ),
    "06_zero_shot": headline(
        "unseen Glyphs characters: prototypical zero-shot {proto} %, ESZSL {eszsl} %, DAP {dap} % (chance "
        "{chance} %); calibrated stacking lifts H (DAP {h} → {h_cal})",
        proto=Cell({"method": "prototypical"}, "unseen acc (zero-shot)", "percent"),
        eszsl=Cell({"method": "ESZSL"}, "unseen acc (zero-shot)", "percent"),
        dap=Cell({"method": "DAP"}, "unseen acc (zero-shot)", "percent"),
        chance=Cell({"method": "chance"}, "unseen acc (zero-shot)", "percent"),
        h=Cell({"method": "DAP"}, "H", "2 decimals"),
        h_cal=Cell({"method": "DAP"}, "H calibrated", "2 decimals"),
    ),
    "07_which_technique": headline(
        "new alphabet, 1 label per class: untrained few-shot heads {heads} % vs linear probe {probe} % and "
        "fine-tuning {ft} %, scratch {scratch} %; zero labels: zero-shot {zero} %, DANN {dann} % on digits",
        heads=Span(tuple(Cell(A | {"technique": t}, "1 label") for t in FEW_SHOT_HEADS)),
        probe=Cell(A | {"technique": "linear probe"}, "1 label"),
        ft=Cell(A | {"technique": "fine-tuning"}, "1 label"),
        scratch=Cell(A | {"technique": "from scratch"}, "1 label"),
        zero=Cell(A | {"technique": "zero-shot (ESZSL)"}, "0 labels"),
        dann=Cell({"target": "B: handwritten digits", "technique": "domain adaptation (DANN)"}, "0 labels"),
    ),
    "08_your_own_data": headline(
        "Glyphs as a folder of {files} PNG files, {episodes} episodes of the {way}-way recipe, 5-way 1-shot on new "
        "characters: Prototypical {proto} % vs pixel nearest neighbour {pixels} %",
        files=Printed(r": (\d+) PNG files$", "thousands"),
        episodes=Cell({"method": "Prototypical, papers' recipe"}, "training episodes"),
        way=Printed(r"^\d+ episodes of (\d+)-way 1-shot in "),
        proto=Cell({"method": "Prototypical, papers' recipe"}, "5-way 1-shot", "±"),
        pixels=Cell({"method": "pixel nearest neighbour"}, "5-way 1-shot", "±"),
    ),
}


# --- the README ------------------------------------------------------------------------------------------
def seconds_of(record: dict) -> float | None:
    """The record's wall time: its ``seconds``, or their median when it holds several runs."""
    seconds = record.get("seconds")
    if isinstance(seconds, (list, tuple)):
        seconds = statistics.median(seconds) if seconds else None
    return None if seconds is None or math.isnan(seconds) else float(seconds)


def rewrite(text: str, records: list[dict], headlines: dict = HEADLINES) -> tuple[str, list[str]]:
    """``text`` (the README) with the runtime and headline cells of each recorded notebook's row rewritten,
    and one line per record saying what was done. A record with an ``error`` leaves its row as it was; one
    without a ``tables`` entry (a run whose outputs were not kept) rewrites the runtime alone. Raises
    :class:`HeadlineError`, listing every problem, when a headline cannot be built or a row is missing."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise HeadlineError(f"the README needs one {START} ... {END} block around the notebook table")
    head, rest = text.split(START)
    block, tail = rest.split(END)
    lines = block.split("\n")
    header = next((line for line in lines if line.strip()), "")
    if header.strip() != HEADER:
        raise HeadlineError(f"the notebook table's header is {header!r}; the columns must be {HEADER!r}")
    row_of = {}
    for i, line in enumerate(lines):
        match = re.match(r"\| \[([^\]]+)\]\([^)]*\) \|[^|]*\| ", line)
        if match:
            row_of[match.group(1)] = i
    problems, notes = [], []
    for record in records:
        name = Path(record["notebook"]).stem
        if record.get("error"):
            notes.append(f"{name}: the run failed, its row is left as it was")
            continue
        if name not in row_of:
            problems.append(f"{name}: the README's notebook table has no row [{name}](notebooks/{name}.ipynb); add one")
            continue
        parts = re.match(r"(\| \[[^\]]+\]\([^)]*\) \|[^|]*\| )([^|]*) \| (.*) \|$", lines[row_of[name]])
        if not parts:
            problems.append(
                f"{name}: its row is not '| [name](link) | what | runtime | headline |': {lines[row_of[name]]!r}"
            )
            continue
        prefix, runtime, old_headline = parts.groups()
        seconds = seconds_of(record)
        if seconds is not None:
            runtime = f"{seconds:.0f} s"
        new_headline = old_headline
        if "tables" in record:
            if name not in headlines:
                problems.append(f"{name}: no headline for this notebook; add one to HEADLINES in tools/readme.py")
                continue
            try:
                new_headline = headlines[name].fill(record)
            except HeadlineError as err:
                problems.append(str(err))
                continue
            if "|" in new_headline or "\n" in new_headline:
                problems.append(f"{name}: the headline {new_headline!r} would break the table (a '|' or a new line)")
                continue
        lines[row_of[name]] = f"{prefix}{runtime} | {new_headline} |"
        what = ["runtime" if seconds is not None else "", "headline" if "tables" in record else ""]
        notes.append(f"{name}: {' and '.join(w for w in what if w) or 'nothing'} written")
    if problems:
        raise HeadlineError("the README's notebook table was not written:\n  " + "\n  ".join(problems))
    return head + START + "\n".join(lines) + END + tail, notes


def update_readme(records: list[dict], path: str | Path | None = None) -> list[str]:
    """Rewrite the notebook table of the README (``path``, by default the repository's) from ``records``
    (see :func:`rewrite`); the file is written only when every headline could be built. Returns one line
    per record saying what was done."""
    path = Path(path) if path is not None else ROOT / "README.md"
    text, notes = rewrite(path.read_text(), records)
    path.write_text(text)
    return notes


def times_from_log(log: str) -> dict[str, float]:
    """Wall seconds by notebook from the summary ``make run`` prints (``00_tour.ipynb  24.1  1251  ok``)."""
    found = re.findall(r"^(\S+\.ipynb)\s+(\S+)\s+\S+\s+(?:ok|FAILED)\s*$", log, re.M)
    return {Path(name).stem: float(seconds) for name, seconds in found}


def record_of_executed(path: str | Path, seconds: float | None = None) -> dict:
    """A run record from a notebook executed earlier (``build/`` after ``make run``)."""
    import nbformat

    from tools.report import notebook_outputs

    nb = nbformat.read(Path(path), as_version=4)
    failed = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    error = f"{failed[0].get('ename')}: {failed[0].get('evalue')}" if failed else None
    return {"notebook": Path(path).name, "seconds": seconds, "error": error, **notebook_outputs(nb)}


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tools.readme", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="executed notebooks (build/*.ipynb after make run)")
    parser.add_argument("--times", help="a saved make run output: the runtime column is written from its summary")
    parser.add_argument("--readme", default=str(ROOT / "README.md"))
    args = parser.parse_args(argv)
    times = times_from_log(Path(args.times).read_text()) if args.times else {}
    records = [record_of_executed(nb, times.get(Path(nb).stem)) for nb in args.notebooks]
    try:
        for note in update_readme(records, args.readme):
            print(note)
    except HeadlineError as err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
