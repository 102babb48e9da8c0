# dsenroll.moodle: one-command set-up for development, tests and the demo.
# Needs only python3 (3.11) and make; everything else is installed into .venv from pinned versions.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# The checkout seen as an installed collection (a link), for pytest imports and ansible-playbook.
COLLECTIONS := $(CURDIR)/build/collections
LINK := $(COLLECTIONS)/ansible_collections/dsenroll/moodle
INSTALLED := $(CURDIR)/build/installed
# ansible-test downloads get-pip.py from a host we cannot reach; it uses this cache file instead.
GET_PIP_CACHE := $(HOME)/.ansible/test/cache/get_pip_24_2.py

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_HOME := $(CURDIR)/build/ansible-home
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv link test sanity units contract integration molecule lint build demo clean test-real

help:
	@echo "make demo   - set up, start the bundled Moodle simulator, verify and enrol a sample, show the results"
	@echo "make test   - set up, then sanity, unit, contract, integration, molecule and lint (what CI runs)"
	@echo "make units | contract | integration | molecule | sanity | lint | build - one part of make test"

$(STAMP): requirements/dev.txt requirements.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "python3 >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

venv: $(STAMP)

link: $(STAMP)
	mkdir -p $(dir $(LINK))
	test -L $(LINK) || ln -sfn $(CURDIR) $(LINK)

test: venv link sanity units contract integration molecule lint build
	@echo "make test: all green"

units: link
	$(BIN)/python -m pytest tests/unit

contract: link
	$(BIN)/python -m pytest tests/contract

integration: link
	# Each test drives ansible processes (CPU-bound start-up): two workers use both cores.
	$(BIN)/python -m pytest -n 2 tests/integration

molecule: link
	@if ls extensions/molecule/*/molecule.yml >/dev/null 2>&1; then \
	  cd extensions && for s in molecule/*/molecule.yml; do \
	    scenario=$$(basename $$(dirname $$s)); [ "$$scenario" = default ] && continue; \
	    $(BIN)/molecule test -s $$scenario || exit 1; done; \
	else echo "molecule: no scenarios yet"; fi

lint: link
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/ansible-lint --profile production

sanity: $(STAMP)
	mkdir -p $(dir $(GET_PIP_CACHE)) build
	test -f $(GET_PIP_CACHE) || cp tools/get_pip_standin.py $(GET_PIP_CACHE)
	# A private copy per run (ansible-test resolves links and writes tests/output beside the code),
	# in a git repository of its own so that ansible-test does not see an ignored part of this checkout.
	top=$$(mktemp -d $(CURDIR)/build/sanity.XXXXXX); root=$$top/ansible_collections/dsenroll/moodle; \
	  mkdir -p $$root && git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} $$root/ && \
	  cd $$root && git init -q && git add -A && \
	  rc=0; $(BIN)/ansible-test sanity --venv --python 3.11 --color no || rc=$$?; rm -rf $$top; exit $$rc

build: $(STAMP)
	rm -rf dist $(INSTALLED) && mkdir -p dist
	$(BIN)/ansible-galaxy collection build --output-path dist --force .
	$(BIN)/ansible-galaxy collection install --force -p $(INSTALLED) dist/dsenroll-moodle-*.tar.gz
	for f in plugins/modules/*.py; do [ -e "$$f" ] || continue; m=$$(basename "$$f" .py); \
	  ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(BIN)/ansible-doc dsenroll.moodle.$$m >/dev/null || exit 1; \
	  echo "ansible-doc dsenroll.moodle.$$m: ok"; done

demo: link build
	$(BIN)/python tools/demo.py

clean:
	rm -rf build dist .pytest_cache

# The integration scenarios against a real Moodle (tests/real/README.md): MOODLE_BASE_URL, MOODLE_TOKEN and
# MOODLE_ONEMEMBERSHIP_COHORT_ID from the environment; every test is skipped, saying why, when they are unset.
test-real: link
	$(BIN)/python -m pytest tests/real -rs

# Unit tests and an integration subset on every ansible-core from requires_ansible to the newest release, each in
# its own venv under build/versions/ (tools/test_versions.py says which versions and why that subset). Not part
# of `make test`: about two minutes per version.
.PHONY: test-versions
test-versions: link
	$(BIN)/python tools/test_versions.py
