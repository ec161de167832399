# Two commands do everything on a fresh machine with Python 3.11 and Node 20:
#   make run   - the whole platform on embedded defaults, with demo data
#   make test  - lint, types and the whole test suite
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_NODE := node_modules/.installed

.PHONY: run test lint types pytest bench deps compilecontracts messages clean

deps: $(STAMP_PY) $(STAMP_NODE)

$(STAMP_PY): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: deps
	$(PY) manage.py runplatform

test: deps lint types pytest

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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
	rm -rf $(VENV) node_modules var staticfiles
