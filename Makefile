# Two entry points: `make demo` (install + run the main job) and `make test` (install + run the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AGENTNOTES_HOME ?= $(CURDIR)/.agentnotes-demo

.PHONY: install system-deps demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

system-deps:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bubblewrap; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq bubblewrap; fi; }

install: $(BIN)/python system-deps
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[models,experiments,st,optimize,dev]"

demo: install
	$(BIN)/agentnotes doctor
	$(BIN)/agentnotes ingest data/
	$(BIN)/agentnotes ask "What problem does the mirror layer solve?"
	@echo
	@echo "Next: run an experiment for an idea from the notes, for example"
	@echo "  $(BIN)/agentnotes run-experiment \"mirror vs baseline\""

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .agentnotes-demo
