"""The conda environment (Binder) and pyproject (pip) must install the same things, and Binder must be able
to build: its environment is created before the repository is copied in, so tlearn is installed by postBuild."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"torch": "pytorch"}  # pip name -> conda-forge name where they differ

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _pip_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        if ";" in requirement:  # environment markers: backports for older Pythons, not needed on 3.11
            continue
        yield re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


def test_environment_yml_lists_every_pip_dependency():
    listed = set(re.findall(r"^  - ([A-Za-z0-9_.-]+)", (ROOT / "environment.yml").read_text(), re.M))
    missing = [name for name in _pip_requirements() if CONDA_NAMES.get(name, name) not in listed]
    assert not missing, f"add to environment.yml: {missing}"


def test_binder_installs_tlearn_in_post_build_not_in_the_environment():
    environment = (ROOT / "environment.yml").read_text()
    assert "-e ." not in environment.replace("pip install --no-deps -e .", "")  # only in the comment
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert post_build.index("pip install") < post_build.index("glyphs(")  # installed before it is used


def test_repository_tools_live_outside_the_package():
    """badges and report are repository tools (tools/), not part of the installed package; make sync, make
    run and make bench call them there."""
    import importlib.util

    for name in ("badges", "report"):
        assert (ROOT / "tools" / f"{name}.py").exists()
        assert importlib.util.find_spec(f"tlearn.{name}") is None
    makefile = (ROOT / "Makefile").read_text()
    assert "-m tools.report build" in makefile and "-m tools.badges" in makefile
    assert "from tools import report" in (ROOT / "benchmarks" / "run.py").read_text()
