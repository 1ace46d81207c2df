# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need; a stamp file keeps reruns fast.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: demo test lint typecheck unit clean frontend

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of PyTorch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	$(BIN)/synthera demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -n 2

test: lint typecheck unit

frontend:  ## rebuild the web page into src/synthera/server/static (needs Node 20)
	cd frontend && npm ci --no-audit --no-fund && npm test && npm run build

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
