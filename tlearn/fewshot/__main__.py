"""``python -m tlearn.fewshot``: runs :func:`tlearn.fewshot.cli.main` (the package is imported once)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
