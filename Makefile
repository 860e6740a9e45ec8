# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Tests use the local PostgreSQL server when it answers; set ZHURNAL_TEST_PG= (empty) to skip those runs.
ZHURNAL_TEST_PG ?= postgresql://postgres@127.0.0.1:5432/postgres
export ZHURNAL_TEST_PG

.PHONY: run test lint bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/zhurnal demo --if-empty
	$(VENV)/bin/zhurnal db upgrade
	$(VENV)/bin/zhurnal

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(VENV)/bin/ruff check core tui plugins tests bench examples
	mkdir -p build/typecheck/zhurnal && for d in core tui plugins; do ln -sfn ../../../$$d build/typecheck/zhurnal/$$d; done
	MYPYPATH=build/typecheck $(PY) -m mypy -p zhurnal
	PYTHONPATH=build/typecheck $(VENV)/bin/lint-imports --no-cache

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info
