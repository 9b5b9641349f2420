# tlearn: every target creates .venv first if it is missing (Python 3.10+, no conda needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tlearn-installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

.PHONY: setup lab run test lint unit notebooks bench pretrain sync badges book clean

TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "tlearn needs Python 3.10 or newer; set PYTHON=python3.11 (for example)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	@# no NVIDIA GPU: the CPU build of torch (a few hundred MB, not the CUDA build's gigabytes), when its index answers
	@if command -v nvidia-smi >/dev/null 2>&1; then \
	  echo "NVIDIA GPU found: torch with CUDA from the default index"; \
	elif $(BIN)/python -c 'import urllib.request as u; u.urlopen("$(TORCH_CPU_INDEX)/torch/", timeout=15)' 2>/dev/null; then \
	  echo "no NVIDIA GPU: the CPU build of torch from $(TORCH_CPU_INDEX)"; \
	  $(BIN)/python -m pip install torch torchvision --index-url $(TORCH_CPU_INDEX); \
	else \
	  echo "no NVIDIA GPU, but $(TORCH_CPU_INDEX) cannot be reached: torch comes from the default index instead (the CUDA build, about 0.6 GB of torch wheel plus its CUDA libraries)"; \
	fi
	$(BIN)/python -m pip install -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)                     ## create .venv and install tlearn with its dependencies

lab: $(STAMP)                       ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

test: $(STAMP) lint                 ## lint, every notebook end to end (into build/), the website from those runs, then tests/ (browser tests too)
	$(BIN)/python book/build.py --execute all
	$(MAKE) unit

book: $(STAMP)                      ## the executed course as a website in build/book (reuses make run's outputs: seconds after a run)
	$(BIN)/python book/build.py

lint: $(STAMP)                      ## ruff check and ruff format --check (settings in pyproject.toml)
	$(BIN)/ruff check tlearn tests benchmarks tools book
	$(BIN)/ruff format --check tlearn tests benchmarks tools book

unit: $(STAMP)
	$(BIN)/python -m pytest tests/

notebooks: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbval-lax $(NOTEBOOKS)

run: $(STAMP)                       ## execute every notebook into build/, print each results table, write the README's runtime and headline columns
	$(BIN)/python -m tools.report build $(NOTEBOOKS) --readme --private-memory

seeds: $(STAMP)                     ## every notebook at SEED 0, 1 and 2: pass or fail, the failing assert, wall time
	$(BIN)/python -m tools.seeds $(NOTEBOOKS) --seeds 0 1 2

bench: $(STAMP)                     ## performance figures, medians over repeats; writes benchmarks/RESULTS.md and the README's runtime and headline columns
	$(BIN)/python benchmarks/run.py

pretrain: $(STAMP)                  ## train the shipped backbones on Glyphs (writes tlearn/weights/)
	$(BIN)/python -m tlearn.pretrain

sync: $(STAMP)                      ## pair notebooks/*.ipynb with notebooks/*.py, strip outputs, rewrite badges
	$(BIN)/python -m tools.badges
	$(BIN)/jupytext --sync notebooks/[0-9]*.py

clean:
	rm -rf build .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
