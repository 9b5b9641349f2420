"""Repository tools, not part of the installed package: ``python -m tools.badges`` rewrites the Binder and
Colab badges, ``python -m tools.report`` runs every notebook and prints its results table. Run them from
the repository root."""
