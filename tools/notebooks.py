"""Execute a notebook with its parameters cell changed, as a user would change it.

Every notebook has one code cell tagged ``parameters`` (``SEED``, ``DATASET``, ``SIZE``, ``DEVICE``, ...).
:func:`run_notebook_with` replaces the assignments named in its keyword arguments and executes the whole
notebook in a fresh kernel that inherits this process's environment (``$TLEARN_CACHE``, ``$TLEARN_OFFLINE``,
``$TLEARN_NO_PROGRESS``). The tests use it for each notebook's real-data path; ``python -m tools.seeds`` for
each notebook at several seeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def set_parameters(source: str, **parameters) -> str:
    """``source`` (a parameters cell) with the assignment of each name replaced by ``name = repr(value)``."""
    for name, value in parameters.items():
        pattern = re.compile(rf"^{re.escape(name)}\s*=.*$", re.M)
        if not pattern.search(source):
            raise KeyError(f"the parameters cell assigns no {name!r}:\n{source}")
        line = f"{name} = {value!r}"
        source = pattern.sub(lambda _, line=line: line, source, count=1)
    return source


def notebook_path(path) -> Path:
    """``path`` as given if it exists, else the notebook of that name in notebooks/ (``.ipynb`` optional)."""
    path = Path(path)
    if path.exists():
        return path
    for candidate in (NOTEBOOKS / path.name, NOTEBOOKS / f"{path.name}.ipynb"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no notebook {str(path)!r} (nor in {NOTEBOOKS})")


def with_parameters(path, **parameters):
    """The notebook at ``path`` (see :func:`notebook_path`) read with its parameters cell changed."""
    import nbformat

    nb = nbformat.read(notebook_path(path), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{Path(path).name} needs exactly one cell tagged 'parameters', found {len(cells)}")
    cells[0].source = set_parameters(cells[0].source, **parameters)
    return nb


def _poll_every_second(get_msg):
    """``get_msg(timeout)`` of a kernel client's channel, made to poll its socket once a second until
    ``timeout`` (or for ever) rather than wait once for the whole time. One long wait sometimes misses a
    message that has already arrived, and the run then hangs with the kernel idle (seen here in about one
    run in fifteen of a notebook that drives widgets; jupyter/nbclient#312). A fresh poll sees a queued
    message at once."""
    import time
    from queue import Empty

    async def polling(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return polling


def _client(nb, folder, timeout: int):
    """nbclient's NotebookClient for ``nb`` in ``folder``, its shell and IOPub reads polling (see above)."""
    from nbclient import NotebookClient

    class PollingClient(NotebookClient):
        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            for channel in (kc.shell_channel, kc.iopub_channel):
                channel.get_msg = _poll_every_second(channel.get_msg)
            return kc

    return PollingClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}})


def execute(nb, folder, timeout: int = 900, raise_errors: bool = False) -> str | None:
    """Run every cell of ``nb`` (in place) in a fresh ``python3`` kernel working in ``folder``, which inherits
    this process's environment. Returns None if every cell ran, else the error in one line; a cell's own
    error also stays in its outputs (:func:`failure_of` reads it there, with the line that raised), while a
    dead kernel or a timeout is only in the returned line. ``raise_errors`` raises instead (nbclient's
    ``CellExecutionError``, with the cell and its traceback)."""
    try:
        _client(nb, folder, timeout).execute()
    except Exception as err:
        if raise_errors:
            raise
        message = str(err).strip()
        return f"{type(err).__name__}: {message.splitlines()[-1] if message else ''}"
    return None


def run_notebook_with(path, timeout: int = 900, **parameters):
    """Execute the notebook ``path`` (a path, or a name in notebooks/) with its parameters cell changed to
    ``parameters`` (e.g. ``DATASET="omniglot"``), in a fresh kernel that inherits this process's environment;
    return the executed notebook. A cell that raises fails the call (nbclient's ``CellExecutionError``, with
    the cell and its traceback)."""
    nb = with_parameters(path, **parameters)
    execute(nb, notebook_path(path).parent, timeout, raise_errors=True)
    return nb


def output_text(nb) -> str:
    """Everything the executed notebook printed or displayed as text, in cell order."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or ""
            parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


def results_tables(nb) -> list[str]:
    """The text of every output of the cells tagged ``results`` (each notebook's results table)."""
    tables = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "results" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = out.get("data", {}).get("text/plain") or out.get("text")
                if text:
                    tables.append(text if isinstance(text, str) else "".join(text))
    return tables


@dataclass
class Failure:
    """Where an executed notebook stopped: the error, its message, and the line of the cell that raised."""

    cell: int  # index among the notebook's cells
    ename: str
    evalue: str
    line: str  # the cell's line the traceback marks, e.g. the failing assert

    def __str__(self) -> str:
        message = f": {self.evalue}" if self.evalue else ""
        return f"cell {self.cell}, {self.ename}{message} at `{self.line}`"


def failure_of(nb) -> Failure | None:
    """The first error output of an executed notebook (None if every cell ran)."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                traceback = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                marked = [ln for ln in traceback.splitlines() if ln.lstrip().startswith("---->")]
                # the first marked line is in the cell (later ones are inside the functions it called)
                line = re.sub(r"^\s*---->\s*\d*\s*", "", marked[0]) if marked else ""
                return Failure(i, out.get("ename", ""), out.get("evalue", ""), line.strip())
    return None
