# Deep Dives: every author-facing command. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Python the venv is made with. PYTHON=... (on the command line or in the environment) wins;
# otherwise the first of these that runs and is 3.11 or newer (a pyenv shim can exist and fail).
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3
ifeq ($(origin PYTHON),undefined)
PYTHON := $(or $(shell for p in $(PYTHON_CANDIDATES); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11) or print(sys.executable))' 2>/dev/null && break; \
	done),python3)
endif
# "3.12": which locks to install. Empty when $(PYTHON) does not run.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# One venv, made again when PYTHON names another version; VENV=.venv-3.12 keeps one per version.
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements/py$(PY_VERSION).txt
DEV_LOCK := requirements/py$(PY_VERSION)-dev.txt
# Stamps inside the venv, named by the version, so a venv of another version is never taken as done.
INSTALLED := $(VENV)/.installed-$(PY_VERSION)
INSTALLED_DEV := $(VENV)/.installed-dev-$(PY_VERSION)
# `make lock` makes a runtime and a runtime+dev lock for each of these.
LOCK_PYTHONS := 3.11 3.12 3.13
BUILDDIR ?= _build
SPHINXOPTS ?=
# -W: any warning fails the build; --keep-going: report every problem, not just the first.
# STRICT=0 (a preview while moving a blog in): the site is built and every problem listed at the end.
STRICT ?= 1
ifeq ($(STRICT),0)
STRICT_OPTIONS := --keep-going -n -D deepdive_strict=0
else
STRICT_OPTIONS := -W --keep-going -n
endif
# Parallel reading and writing: on 2 cores `-j auto` makes a clean build about a tenth faster than
# JOBS=1 and a one-post edit as fast (see make bench).
JOBS ?= auto
PYTEST_ARGS ?=
TEST_WORKERS ?= auto
BENCH_ARGS ?=
WEIGHT_ARGS ?=
# KaTeX typesets math at build time with Node.js: package.json's engines, the highest floor of what
# npm installs (commander 14, which KaTeX's command-line tool uses).
NODE_MIN := 20
PORT ?= 8000

.PHONY: help install newest oldest html live serve test new import bench weight screenshots clean lock check-python check-node

help: ## list the targets and the variables they read
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "Variables (make html JOBS=1 ...):"
	@grep -E '^# var [A-Z_]+ ' $(MAKEFILE_LIST) | sed -E 's/^# var ([A-Z_]+) +(.*)/\1|\2/' \
		| awk -F'|' '{printf "  %-13s%s\n", $$1, $$2}'

# var PYTHON      the Python to make the venv with (default: newest of python3.13/3.12/3.11 that runs)
# var VENV        the venv folder (default .venv, made again when PYTHON's version changes)
# var BUILDDIR    where the site, doctrees and caches go (default _build)
# var JOBS        parallel Sphinx processes (default auto)
# var SPHINXOPTS  more sphinx-build options, e.g. SPHINXOPTS=-E for a full rebuild
# var STRICT      STRICT=0: build despite problems, listing each at file:line (make html stays strict)
# var PYTEST_ARGS pytest arguments for make test, e.g. PYTEST_ARGS="-m 'not browser' -x"
# var TEST_WORKERS test processes for make test (default auto: one per core; 0 runs them in this one)
# var BENCH_ARGS  make bench options, e.g. BENCH_ARGS="--posts 100 --repeat 3"
# var WEIGHT_ARGS make weight options
# var PORT        the port of make live and make serve (default 8000)

check-python:
	@[ -n "$(PY_VERSION)" ] || { echo "Deep Dives needs Python 3.11 or newer and '$(PYTHON)' does not run: install Python 3.13, 3.12 or 3.11 (python.org or your package manager), or name one with PYTHON=python3.12" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Deep Dives needs Python 3.11 or newer and $(PYTHON) is $(PY_VERSION): install Python 3.13, 3.12 or 3.11 (python.org or your package manager), or name one with PYTHON=python3.12" >&2; exit 1; }

check-node:
	@command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < $(NODE_MIN) ? 1 : 0)' \
		|| { echo "Deep Dives typesets math at build time with Node.js >= $(NODE_MIN)$$(command -v node >/dev/null && echo " (found $$(node --version))"): install it from https://nodejs.org/ or your package manager" >&2; exit 1; }

# KaTeX typesets math at build time and MathJax is the local fallback: both come from npm.
NODE_INSTALLED := node_modules/.installed

$(NODE_INSTALLED): package.json package-lock.json | check-node
	npm ci --no-audit --no-fund
	touch $(NODE_INSTALLED)

# The venv is made with $(PYTHON); one made with another Python version is deleted and made again.
# Any install starts by removing the stamps, so a half-done install is never taken as done.
define make_venv
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" != "$(PY_VERSION)" ]; then \
		echo "$(VENV) was made with another Python than $(PYTHON) ($(PY_VERSION)): making it again"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	rm -f $(VENV)/.installed-*
endef

# The runtime lock is all make html needs (setuptools included, for the editable install).
$(INSTALLED): $(wildcard $(LOCK)) pyproject.toml | check-python
	@[ -f $(LOCK) ] || { echo "Deep Dives has no lock for Python $(PY_VERSION) ($(PYTHON)); requirements/ has one for each of $(LOCK_PYTHONS): name one with PYTHON=python3.13" >&2; exit 1; }
	$(make_venv)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(INSTALLED)

# make test adds the test and lint tools; the dev lock holds the runtime lock's versions.
$(INSTALLED_DEV): $(INSTALLED) $(wildcard $(DEV_LOCK))
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	touch $(INSTALLED_DEV)

install: $(INSTALLED) ## make the venv with the runtime lock only (make html and make test do it too)

# What the weekly "Newest dependencies" workflow tests; `rm -rf $(VENV)` goes back to the locks.
newest: | check-python ## install the newest versions pyproject.toml allows instead of the locks
	$(make_venv)
	$(BIN)/python -m pip install --quiet --upgrade --upgrade-strategy eager pip setuptools -e '.[dev]'
	$(BIN)/python -m pip list
	touch $(INSTALLED) $(INSTALLED_DEV)

# What the weekly workflow's "Oldest dependencies" job tests: pip cannot pick lowest versions, uv can.
oldest: | check-python ## install the lowest versions pyproject.toml allows (its lower bounds) instead of the locks
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip install --quiet --python $(BIN)/python --resolution lowest-direct -e '.[dev]'
	$(BIN)/uv pip list --python $(BIN)/python
	touch $(INSTALLED) $(INSTALLED_DEV)

# deepdive.pipeline runs Sphinx unless nothing it reads changed since the last successful build.
html: $(INSTALLED) $(NODE_INSTALLED) ## build the site into _build/html (strict: any warning fails)
	$(BIN)/python -m deepdive.pipeline -b dirhtml $(STRICT_OPTIONS) -j $(JOBS) -d $(BUILDDIR)/doctrees $(SPHINXOPTS) . $(BUILDDIR)/html

# The preview prints no PDFs (deepdive_pdf=0): a saved edit shows a second or two sooner.
live: $(INSTALLED) $(NODE_INSTALLED) ## live preview with drafts at http://127.0.0.1:8000, rebuilt on every save
	DEEPDIVE_DRAFTS=1 $(BIN)/sphinx-autobuild -b dirhtml -j $(JOBS) -d $(BUILDDIR)/live-doctrees -D deepdive_pdf=0 \
		--re-ignore '(^|/)(_build|\.venv[^/]*|\.git|\.jupyter_cache|node_modules|bench|tests|__pycache__)(/|$$)' \
		--host 127.0.0.1 --port $(PORT) . $(BUILDDIR)/live

serve: $(INSTALLED) ## serve the built site as GitHub Pages would, under its base path (run make html first)
	@test -f $(BUILDDIR)/html/index.html || { echo "Nothing to serve: $(BUILDDIR)/html has no index.html; run make html first" >&2; exit 1; }
	$(BIN)/python -m deepdive.tools.serve $(BUILDDIR)/html --port $(PORT)

# pytest's exit code 5 means it collected no test: never a pass. Each test file stays on one worker
# (--dist loadfile), so a site a file builds for its tests is built once.
# The sites the tests build (about 1.2 GB in 56,000 files) go in $(TEST_TMP)/run-<pid of the shell
# that runs pytest>. pytest would delete an earlier run's files as it ends, one at a time, which
# took 3.5 minutes on a disk that discards each freed block with other programs busy: instead, the
# folders of runs that have ended are handed to a background rm that works while the tests run.
TEST_TMP = $(BUILDDIR)/tests
test: $(INSTALLED_DEV) $(NODE_INSTALLED) ## run the test suite (builds real sites)
	@mkdir -p $(TEST_TMP) && cd $(TEST_TMP) && for run in run-*; do \
		[ -d "$$run" ] && ! kill -0 "$${run#run-}" 2>/dev/null && mv "$$run" "ended-$$run"; \
	done; \
	if ls -d ended-* >/dev/null 2>&1; then (nohup rm -rf ended-* >/dev/null 2>&1 &); fi
	@$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --basetemp=$(TEST_TMP)/run-$$$$ $(PYTEST_ARGS); status=$$?; \
		if [ $$status -eq 5 ]; then echo "make test: pytest collected no test (PYTEST_ARGS=$(PYTEST_ARGS))" >&2; fi; \
		exit $$status

new: $(INSTALLED) ## start a post: make new TITLE="Hamiltonian Monte Carlo" [TAGS="mcmc,bayesian"]
	$(BIN)/python -m deepdive.tools.newpost --title "$(TITLE)" --tags "$(TAGS)"

import: $(INSTALLED) ## bring an old blog's posts over: make import SRC=../old-blog (Nikola, Jekyll, ABlog)
	@[ -n "$(SRC)" ] || { echo 'make import: name the old blog'"'"'s folder: make import SRC=../old-blog' >&2; exit 1; }
	$(BIN)/python -m deepdive.tools.importer "$(SRC)" --dest posts

bench: $(INSTALLED_DEV) $(NODE_INSTALLED) ## edit-loop benchmark vs plain ABlog and Nikola (BENCH_ARGS="--posts 100 --repeat 3")
	$(BIN)/python bench/run.py $(BENCH_ARGS)

weight: $(INSTALLED_DEV) $(NODE_INSTALLED) ## page weight of the heaviest post vs plain ABlog (median of 3 first views)
	$(BIN)/python bench/weight.py $(WEIGHT_ARGS)

screenshots: html $(INSTALLED_DEV) ## docs/screenshots/: a post at 1366 and 375 px, light and dark, from the built site
	$(BIN)/python bench/screenshots.py --site $(BUILDDIR)/html --out docs/screenshots

clean: ## delete build output and caches (keeps the venv, node_modules)
	rm -rf $(BUILDDIR) .jupyter_cache .pytest_cache

# Each Python's newest versions that pyproject.toml's ranges allow, for every OS; the dev lock is
# resolved within the runtime lock's versions, so make test tests what make html installs.
lock: $(INSTALLED_DEV) ## regenerate the hashed locks requirements/py3.X.txt and py3.X-dev.txt from pyproject.toml
	@for v in $(LOCK_PYTHONS); do \
		echo "Locking for Python $$v"; \
		$(BIN)/uv pip compile --quiet pyproject.toml requirements/build.in --universal --python-version $$v \
			--generate-hashes --custom-compile-command "make lock" -o requirements/py$$v.txt || exit 1; \
		$(BIN)/uv pip compile --quiet pyproject.toml requirements/build.in --extra dev -c requirements/py$$v.txt \
			--universal --python-version $$v --generate-hashes --custom-compile-command "make lock" \
			-o requirements/py$$v-dev.txt || exit 1; \
	done
