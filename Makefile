# Two commands on a fresh machine with only Python 3.11: `make run` and `make test`.
# `make test PYTEST_ARGS="-m 'not slow'"` is the quick inner loop; `make lint` checks style.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANAD_TEST_VAR ?= var/test

.PHONY: run test lint format install clean messages screenshots web lock fuzz

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	SANAD_DEV=1 $(PY) manage.py migrate --noinput -v0
	SANAD_DEV=1 $(PY) manage.py dev_setup --port $(PORT)
	SANAD_DEV=1 $(PY) manage.py dev_relocation
	SANAD_DEV=1 $(PY) manage.py dev_partners --port $(PORT)
	PORT=$(PORT) bin/dev-run

# Tests use their own var/ directory (database, dev secrets, broker files).
test: $(VENV)/.installed
	SANAD_DEV=1 SANAD_VAR_DIR=$(CURDIR)/$(SANAD_TEST_VAR) $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Fuzzing (atheris, libFuzzer): each target in fuzz/targets/ for FUZZ_SECONDS, from the committed seeds
# (fuzz/corpus/) and what earlier runs found (var/fuzz/corpus/); crashes are written to var/fuzz/crashes/.
# `make fuzz FUZZ_TARGETS=indicator FUZZ_SECONDS=600` runs one longer; FUZZ_ARGS go to libFuzzer as they are.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(shell $(PY) -c 'from fuzz.targets import TARGETS; print(*TARGETS)')
fuzz: $(VENV)/.installed
	@failed=""; for target in $(FUZZ_TARGETS); do \
		echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
		$(PY) -m fuzz $$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $(FUZZ_ARGS) || failed="$$failed $$target"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (inputs in var/fuzz/crashes/)" >&2; exit 1; fi

# Rewrites files: run it before committing.
format: $(VENV)/.installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Brings every translation catalog up to date with the source and compiles it (needs GNU gettext:
# apt-get install gettext). Commit what changes, translated: tests/i18n fails on any empty entry.
messages: $(VENV)/.installed
	bin/messages

# The reporter's page: web/src built with the locked npm packages into backend/static/sanad/web/,
# which is committed (make run and make test need only Python). Needs Node 20 and npm.
web:
	cd web && npm ci --ignore-scripts --no-audit --no-fund && npm run build

# The README's screenshots, taken by the browser tests (on a 390-px phone in ar, ckb and en).
screenshots: $(VENV)/.installed
	SANAD_DEV=1 SANAD_VAR_DIR=$(CURDIR)/var/screenshots SANAD_SCREENSHOTS=$(CURDIR)/docs/screenshots \
		$(PY) -m pytest -q tests/e2e

# Re-pins requirements.txt and requirements-dev.txt, with every file's hash, from the .in files (pip-tools in
# its own venv). Pins already in the .txt files are kept: to upgrade one, change it in the .in file first.
lock:
	$(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --disable-pip-version-check pip-tools==7.7.0
	var/lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.txt requirements.in
	var/lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) var staticfiles
