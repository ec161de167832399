# Two commands do everything on a fresh machine with Python 3.11 and Node 20:
#   make run   - the whole platform on embedded defaults, with demo data
#   make test  - lint, types and the whole test suite
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed
# Slither needs web3<8 and the platform web3 8: it gets a virtualenv of its own.
SLITHER_VENV := .venv-slither
STAMP_SLITHER := $(SLITHER_VENV)/.installed
ANALYSIS_INPUT := var/contracts-lint/input.json

.PHONY: run test lint contracts-lint types pytest bench deps compilecontracts messages clean

deps: $(STAMP_PY) $(STAMP_NODE)

$(STAMP_PY): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMP_SLITHER): constraints-slither.txt
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet -c constraints-slither.txt slither-analyzer
	touch $@

run: deps
	$(PY) manage.py runplatform

test: deps lint types pytest

lint: deps contracts-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# solhint (.solhintrc.yaml) and Slither (slither.config.json) on contracts/*.sol; any finding
# fails. Slither reads the build's own standard-JSON input and compiles it with the project's
# solcjs, so it needs no network and no other solc.
contracts-lint: deps $(STAMP_SLITHER)
	node_modules/.bin/solhint --disc --noPoster --max-warnings 0 'contracts/*.sol'
	$(PY) manage.py compilecontracts --analysis-input $(ANALYSIS_INPUT)
	$(SLITHER_VENV)/bin/slither $(ANALYSIS_INPUT)

types: deps
	$(VENV)/bin/mypy .

pytest: deps
	$(VENV)/bin/pytest

bench: deps
	$(PY) -m bench

compilecontracts: deps
	$(PY) manage.py compilecontracts

messages: deps
	$(PY) manage.py makemessages -l ru -l kk -l en --ignore=node_modules --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=node_modules --ignore=.venv

clean:
	rm -rf $(VENV) $(SLITHER_VENV) node_modules var staticfiles
