# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all lint bench figures clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[all,test]"
	$(PY) -m pip install -q -c constraints.txt --no-build-isolation deepspeed
	$(PY) -m pip install -q -c constraints.txt --no-deps timm
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/warmup-parity demo

# the suite on every core (pytest-xdist: an xdist_group runs on one worker, which computes its batched
# tables once; see constraints.txt for why pytest is 9.1.1); `pytest` alone runs it in one process
test: $(STAMP)
	$(PY) -m pytest -n auto --dist loadgroup

test-all: $(STAMP)
	$(PY) -m pytest -n auto --dist loadgroup -m ""

lint: $(STAMP)
	$(VENV)/bin/ruff check
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks

# the README's and docs' figures (docs/figures/*.png); parity_tests/test_figures.py fails when one is stale
figures: $(STAMP)
	$(PY) -m warmup_parity.doc_figures

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
