# The README's two commands: `make run` and `make test`. Both do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test install chromium reference-tools lint typecheck bench clean help

help:
	@echo "make run    - set up and run the demo on embedded SQLite"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff and mypy (strict)"
	@echo "make bench  - run the benchmarks in benchmarks/ (slow)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
				|| echo "warning: could not install chromium; browser tests will fail"; \
		else echo "warning: chromium missing; install it with: sudo apt-get install -y chromium"; fi; \
	fi

# Meta's vpdq (the reference the video tests compare against) builds from source against the
# FFmpeg development packages; childshield itself needs neither (PyAV ships FFmpeg).
VPDQ_STAMP := $(VENV)/.vpdq-stamp
FFMPEG_DEV := libavcodec-dev libavformat-dev libavdevice-dev libavfilter-dev libswscale-dev \
	libswresample-dev pkg-config g++

$(VPDQ_STAMP): $(STAMP)
	@if ! pkg-config --exists libavcodec libavformat libswscale 2>/dev/null; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FFMPEG_DEV) >/dev/null) \
				|| echo "warning: could not install the FFmpeg development packages"; \
		else echo "warning: FFmpeg development packages missing: sudo apt-get install -y $(FFMPEG_DEV)"; fi; \
	fi
	@if $(PY) -m pip install --quiet -e '.[reference-video]'; then touch $(VPDQ_STAMP); \
		else echo "warning: could not build vpdq; the vpdq comparison test will skip (fail in CI)"; fi

reference-tools: $(VPDQ_STAMP)

run: install
	$(PY) -m childshield serve --role all --demo

# make itself exits 2 on any failure; pytest's own code (1 failed, 5 none collected...) is
# kept in .pytest-status for .ci/run.
test: install chromium reference-tools
	@rm -f .pytest-status
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; echo $$status > .pytest-status; exit $$status

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
