# pxStats — set-up, demo, tests and benchmarks.
# `make demo` and `make test` work on a fresh Debian machine: they install what they need first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEBS   := rrdtool librrd-dev gnuplot-nox rsync openssh-client openssh-server pkg-config python3-venv chromium chromium-driver
DEMO_ROOT ?= $(CURDIR)/demo-root

.PHONY: setup debs venv demo test lint bench clean

setup: debs venv

# Install the Debian packages only when one is missing (apt-get needs root; sudo if available).
debs:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian packages:" $$missing; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'

demo: setup
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/demo.sh "$(DEMO_ROOT)"

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/collection.py
	$(BIN)/python bench/rrd.py
	$(BIN)/python bench/rrd_graphs.py
	$(BIN)/python bench/graphics.py
	$(BIN)/python bench/remote.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/monitor.py

clean:
	rm -rf $(VENV) demo-root .pytest_cache .hypothesis
