"""Each notebook's real-data path, end to end, on a small stand-in written to disk in the real layout.

No test downloads: a stand-in is written under a temporary ``$TLEARN_CACHE`` in the layout the real files
have there, ``$TLEARN_OFFLINE`` is set (any attempt to download fails at once), and the notebook is executed
with its parameters cell changed as a user would change it. :func:`run_notebook_with` is the harness; a
notebook's real-path test writes its stand-in, then calls it with the parameters of that path.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def set_parameters(source: str, **parameters) -> str:
    """``source`` (a parameters cell) with the assignment of each name replaced by ``name = repr(value)``."""
    for name, value in parameters.items():
        pattern = re.compile(rf"^{re.escape(name)}\s*=.*$", re.M)
        if not pattern.search(source):
            raise KeyError(f"the parameters cell assigns no {name!r}:\n{source}")
        line = f"{name} = {value!r}"
        source = pattern.sub(lambda _, line=line: line, source, count=1)
    return source


def run_notebook_with(path, timeout: int = 900, **parameters) -> nbformat.NotebookNode:
    """Execute the notebook ``path`` (a path, or a name in notebooks/) with its parameters cell changed to
    ``parameters`` (e.g. ``DATASET="omniglot"``), in a fresh kernel that inherits this process's environment;
    return the executed notebook. A cell that raises fails the call with the cell and its traceback."""
    from nbclient import NotebookClient

    path = Path(path)
    if not path.exists():
        path = NOTEBOOKS / path
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    cells[0].source = set_parameters(cells[0].source, **parameters)
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def output_text(nb) -> str:
    """Everything the executed notebook printed or displayed as text, in cell order."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or ""
            parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    """A fresh ``$TLEARN_CACHE`` (with the generated Glyphs sets linked in, so they are not drawn again),
    ``$TLEARN_OFFLINE`` set; the kernel a notebook runs in inherits both."""
    from tlearn.data import cache_dir

    for cached in cache_dir().glob("*glyphs*.pt"):
        (tmp_path / cached.name).symlink_to(cached)
    monkeypatch.setenv("TLEARN_CACHE", str(tmp_path))
    monkeypatch.setenv("TLEARN_OFFLINE", "1")
    monkeypatch.setenv("TLEARN_NO_PROGRESS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def write_omniglot_stand_in(root: Path, characters_per_alphabet: int = 5) -> int:
    """Omniglot's extracted evaluation folders, ``omniglot-py/images_evaluation/<alphabet>/<character>/*.png``
    (dark ink on white, as the real scans), drawn from Glyphs' evaluation alphabets so that pixel statistics
    are those of a calibrated world. Returns the number of files written."""
    from PIL import Image

    from tlearn.data import glyphs

    evaluation = glyphs("evaluation")
    folder = root / "real" / "omniglot-py" / "images_evaluation"
    n = 0
    for a in range(len(evaluation.alphabet_names)):
        for c in evaluation.characters_of(a)[:characters_per_alphabet].tolist():
            character = folder / f"Alphabet_{a:02d}" / f"character{c:03d}"
            character.mkdir(parents=True)
            for d, i in enumerate(torch.nonzero(evaluation.targets == c).flatten().tolist()):
                ink = evaluation.images[i, 0].clamp(0, 1).numpy()
                Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).save(character / f"{c:04d}_{d:02d}.png")
                n += 1
    return n


def test_set_parameters_replaces_one_assignment_and_refuses_unknown_names():
    cell = 'SEED = 0  # a seed\nDATASET = "glyphs"  # offline\n                    # more comment\nSIZE = "quick"'
    changed = set_parameters(cell, DATASET="omniglot", SEED=2)
    assert changed.splitlines()[:2] == ["SEED = 2", "DATASET = 'omniglot'"] and changed.endswith('SIZE = "quick"')
    compile(changed, "<parameters>", "exec")
    with pytest.raises(KeyError, match="STEPS"):
        set_parameters(cell, STEPS=3)


def test_tour_reruns_the_calibration_on_omniglot_folders(offline_cache):
    n_files = write_omniglot_stand_in(offline_cache)
    nb = run_notebook_with("00_tour.ipynb", DATASET="omniglot", SIZE="quick", SEED=0)
    text = output_text(nb)
    assert f"{n_files} images" in text  # the real set, read from the folders
    assert "Omniglot (your copy), this run" in text  # the calibration table's column for the real set
    assert "Omniglot (your copy), pixel nearest neighbour 5-way 1-shot" in text
