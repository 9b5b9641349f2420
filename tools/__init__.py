"""Repository tools, not part of the installed package: ``python -m tools.badges`` rewrites the Binder and
Colab badges, ``python -m tools.report`` runs every notebook and prints its results table, ``python -m tools.seeds``
runs notebooks at several seeds and says which claims fail (``tools.notebooks`` changes a notebook's
parameters cell and executes it). Run them from the repository root."""
