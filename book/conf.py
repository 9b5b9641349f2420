"""Sphinx configuration of the course website (``make book``): myst-nb renders the executed notebooks
that ``make run``/``make test`` left in build/ (nothing is executed here), in the book theme."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.badges import repository  # noqa: E402 (the repository root joins the path first)

REPO, BRANCH = repository()

project = "tlearn"
author = "the tlearn authors"
copyright = "the tlearn authors, MIT license"
extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

nb_execution_mode = "off"  # the notebooks come executed from build/ (see book/build.py)
nb_merge_streams = True
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

html_theme = "sphinx_book_theme"
html_title = "tlearn"
# MathJax from the jupyter-server-mathjax package, copied into the site, so that the maths renders offline
# too (MathJax 2; Sphinx's default loads MathJax 4 from a CDN, and a page read without a network showed raw \(..\))
import jupyter_server_mathjax  # noqa: E402

html_static_path = [str(Path(jupyter_server_mathjax.__file__).parent / "static")]
mathjax_path = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {  # the package ships the STIX-Web fonts only: use them, not MathJax's TeX fonts
    "tex2jax": {"processEscapes": True},
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        "linebreaks": {"automatic": True},  # a wide display breaks at the column, not off its edge
    },
    "messageStyle": "none",
}
myst_update_mathjax = False  # its setting is for MathJax 3 and 4
html_theme_options = {
    "repository_url": f"https://github.com/{REPO}",
    "repository_branch": BRANCH,
    "path_to_docs": "",  # the pages' sources sit at notebooks/NN.ipynb, as in the repository
    "use_repository_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "show_toc_level": 2,
}
