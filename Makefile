# pxStats — set-up, demo, tests and benchmarks.
# `make demo` and `make test` work on a fresh Debian machine: they install what they need first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEBS   := gcc libc6-dev python3-dev rrdtool librrd-dev gnuplot-nox rsync openssh-client openssh-server pkg-config python3-venv chromium chromium-driver man-db groff-base
DEMO_ROOT ?= $(CURDIR)/demo-root
DEMO_HOURS ?= 24

.PHONY: setup debs venv demo test lint bench clean install shims

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

venv: $(VENV)/.installed

# Reinstalled (and the compiled scanner rebuilt) only when what the install depends on changed.
$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py pxstats/collect/_scan.c pxstats/stats/_stats.c
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

demo: setup
	PATH=$(CURDIR)/$(BIN):$$PATH DEMO_HOURS=$(DEMO_HOURS) bash scripts/demo.sh "$(DEMO_ROOT)"

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/collection.py
	$(BIN)/python bench/vs_original.py
	$(BIN)/python bench/rrd.py
	$(BIN)/python bench/rrd_graphs.py
	$(BIN)/python bench/graphics.py
	$(BIN)/python bench/remote.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/monitor.py
	$(BIN)/python bench/hostile_logs.py
	$(BIN)/python bench/cycle.py

# `make install PREFIX=/opt/pxstats`: pxStats and its dependencies in a venv at
# PREFIX/lib/pxstats, every console script linked into PREFIX/bin, the manual pages in
# PREFIX/share/man/man{1,5,7} (man finds them once PREFIX/bin is on PATH, or PREFIX is
# /usr/local), the configuration samples in PREFIX/share/pxstats/etc. An existing venv is kept.
PREFIX       ?= /usr/local
INSTALL_VENV ?= $(PREFIX)/lib/pxstats
PIP          ?= $(INSTALL_VENV)/bin/python -m pip
SCRIPTS       = $$($(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"])')

install:
	test -x $(INSTALL_VENV)/bin/python || $(PYTHON) -m venv $(INSTALL_VENV)
	$(PIP) install -q $(CURDIR)
	install -d $(PREFIX)/bin $(PREFIX)/share/pxstats/etc
	for name in $(SCRIPTS); do ln -sfn $(INSTALL_VENV)/bin/$$name $(PREFIX)/bin/$$name; done
	for section in 1 5 7; do \
	  install -d $(PREFIX)/share/man/man$$section && \
	  install -m 644 man/man$$section/*.$$section $(PREFIX)/share/man/man$$section/ || exit 1; \
	done
	install -m 644 etc/*.sample $(PREFIX)/share/pxstats/etc/

# Write bin/<name> again for every [project.scripts] entry (after adding a console script).
shims:
	$(PYTHON) scripts/make-shims

clean:
	rm -rf $(VENV) demo-root .pytest_cache .hypothesis build pxstats/*/*.so
