# hatta — make run | make test | make lint | make lock | make demo | make bench | make loadtest | make screenshots
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := hatta.settings

# Find an interpreter >= 3.12 that really runs (pyenv shims may exist but refuse).
define FIND_PYTHON
for c in $${PYTHON:-} python3.13 python3.12 python3.14 python3; do \
  [ -n "$$c" ] || continue; \
  p=$$($$c -c 'import sys; print(sys.executable if sys.version_info >= (3, 12) else "")' 2>/dev/null); \
  [ -n "$$p" ] && { echo "$$p"; exit 0; }; \
done; \
for p in $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
  [ -x "$$p" ] && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; exit 0; }; \
done; exit 0
endef

.PHONY: install lock run test test-browser browser-deps lint format demo bench loadtest loadtest-auth screenshots messages clean

# A virtualenv on Python >= 3.12 (re-created when it is older).
define MAKE_VENV
base="$$( $(FIND_PYTHON) )"; \
if [ -z "$$base" ]; then echo "hatta needs Python 3.12 or newer (python3.13 or python3.12 on the PATH); none was found." >&2; exit 1; fi; \
if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
  rm -rf $(VENV); echo "Creating $(VENV) with $$base"; "$$base" -m venv $(VENV) || exit 1; \
fi
endef

# The locked versions, every file checked against its hash; then hatta itself.
$(VENV)/.installed: pyproject.toml requirements-dev.txt
	@$(MAKE_VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@$(PY) -m pip check --disable-pip-version-check >/dev/null || { $(PY) -m pip check; \
	  echo "The lock does not match pyproject.toml: run make lock." >&2; exit 1; }
	@[ -f .env ] || printf '# Local development settings (not committed).\nDEBUG=1\n' > .env
	@touch $@

install: $(VENV)/.installed

# Regenerate the lock files from pyproject.toml (after changing a dependency):
# pins are kept where they still fit; `make lock UPGRADE=1` moves everything to
# the newest versions. uv resolves once for every Python >= 3.12 and platform.
LOCK := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 \
	--generate-hashes --quiet --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock:
	@$(MAKE_VENV)
	@[ -x $(VENV)/bin/uv ] || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(LOCK) -o requirements.txt
	$(LOCK) --extra dev -o requirements-dev.txt

# Development server: DEBUG on unless the environment says otherwise.
run demo: export DEBUG ?= 1

# The web server and a job worker together; Ctrl-C stops both.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo $${DEMO_PASSWORD:+--password "$$DEMO_PASSWORD"}
	@$(PY) manage.py worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo $${DEMO_PASSWORD:+--password "$$DEMO_PASSWORD"}

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 -m "not browser" $(PYTEST_ARGS)

# Browser checks: Debian's Chromium, and axe-core and the Nu HTML Checker from npm
# (package.json; installed with --ignore-scripts: vnu-jar runs on the machine's Java).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

node_modules/.installed: package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (apt-get install nodejs npm)" >&2; exit 1; }
	if [ -f package-lock.json ]; then npm ci --ignore-scripts --no-audit --no-fund; \
	else npm install --ignore-scripts --no-audit --no-fund; fi
	@touch $@

browser-deps: node_modules/.installed
	@[ -x "$(CHROMIUM)" ] || { echo "Chromium is missing at $(CHROMIUM): apt-get install chromium" >&2; exit 1; }
	@command -v java >/dev/null || { echo "Java is missing (the HTML checker needs it): apt-get install default-jre-headless" >&2; exit 1; }

# One process (no xdist): the browser tests share one live server and one Chromium.
test-browser: install browser-deps
	$(PY) -m pytest -p no:xdist -m browser tests/browser $(PYTEST_ARGS)

# PNGs of the demo for the README, taken by the browser harness.
screenshots: install browser-deps
	$(PY) -m pytest -p no:xdist -q tests/browser/screenshots.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmark in-process against a fresh database (SQLite, or DATABASE_URL's test_ database):
# make bench SIZES="S M" for a quick run.
# Then the background jobs (start request, handbook, xlsx export, import refusal) at L and XL.
bench: install
	$(PY) -m bench.run $(if $(SIZES),--sizes $(SIZES))
	$(PY) -m bench.jobs $(if $(JOB_SIZES),--sizes $(JOB_SIZES))
	$(PY) -m bench.import_cost
	$(PY) -m bench.digests

# gunicorn + PostgreSQL on 127.0.0.1: throughput, two servers sharing sign-ins, contended edits.
loadtest: install
	bench/loadtest.sh all

loadtest-auth: install
	bench/loadtest.sh auth

messages: install
	$(PY) manage.py makemessages -l sv --no-location --no-obsolete --ignore=.venv --ignore=node_modules --ignore=bench --ignore=tests --ignore=docs && cd roles && ../$(PY) ../manage.py compilemessages -l sv

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
