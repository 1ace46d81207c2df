# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv and install what they need; a stamp file keeps reruns fast.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: demo test lint typecheck unit clean frontend bench bench-quick bench-peers

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

PEERS := benchmarks/.venv-peers
PEERS_STAMP := $(PEERS)/.installed-$(shell sha1sum benchmarks/peers-requirements.txt | cut -c1-12)

$(PEERS_STAMP):  ## the peers (SDV, mostlyai-engine) in their own virtualenv, for `make bench`
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q torch==2.13.0
	$(PEERS)/bin/python -m pip install -q -r benchmarks/peers-requirements.txt
	$(PEERS)/bin/python -m pip uninstall -q -y torchvision torchaudio
	rm -f $(PEERS)/.installed-* && touch $(PEERS_STAMP)

bench-peers: $(PEERS_STAMP)

bench: $(STAMP) $(PEERS_STAMP)  ## every shared table, our models and the peers: hours
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)  ## census, two of our models: a few minutes
	$(BIN)/python -m benchmarks.run --quick

frontend:  ## rebuild the web page into src/synthera/server/static (needs Node 20)
	cd frontend && npm ci --no-audit --no-fund && npm test && npm run build

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
