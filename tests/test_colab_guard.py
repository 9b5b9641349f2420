"""Each notebook's first code cell installs tlearn where it is missing (as on Colab), and elsewhere does
nothing. The cell's own code is run here, taken from each .ipynb, with a fake import and a fake pip."""

import builtins
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import badges  # noqa: E402 (a repository tool, not part of the package)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def first_code_cell(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def run_cell(code: str, monkeypatch, tlearn_missing: bool) -> list:
    calls = []
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if tlearn_missing and name.split(".")[0] == "tlearn":
            raise ModuleNotFoundError("No module named 'tlearn'", name="tlearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    exec(compile(code, "<first cell>", "exec"), {})  # noqa: S102  (the cell as a notebook runs it)
    return calls


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_installs_tlearn_from_the_repository_only_where_it_is_missing(notebook, monkeypatch, capsys):
    code = first_code_cell(notebook)
    assert len(code.splitlines()) <= 8, "keep the guard short"
    assert run_cell(code, monkeypatch, tlearn_missing=False) == []
    assert capsys.readouterr().out == ""  # elsewhere it says and does nothing
    calls = run_cell(code, monkeypatch, tlearn_missing=True)
    assert len(calls) == 1
    cmd, kwargs = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"] and kwargs.get("check") is True
    assert cmd[-1] == badges.install_url() == "git+https://github.com/{}@{}".format(*badges.repository())
    assert "installing it from " + badges.install_url() in capsys.readouterr().out
