import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("TLEARN_NO_PROGRESS", "1")


@pytest.fixture(scope="session")
def evaluation_glyphs():
    from tlearn.data import glyphs

    return glyphs("evaluation")


@pytest.fixture(scope="session")
def small_glyphs():
    from tlearn.data import glyphs

    return glyphs("background", n_alphabets=4, chars_per_alphabet=6, n_drawers=8, cache=False)
