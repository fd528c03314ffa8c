# Courtyard: `make run` to try it, `make test` to check it, `make bench` to measure it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test bench lint setup assets translations messages clean-data

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	@touch $@

courtyard/static/vendor/.installed: node_modules/.installed scripts/vendor_assets.py
	$(PY) scripts/vendor_assets.py
	@touch $@

assets: $(VENV)/.installed courtyard/static/vendor/.installed

translations: $(VENV)/.installed
	$(PY) manage.py compiletranslations

setup: assets translations

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@bash scripts/serve.sh

test: setup
	@bash scripts/test_deps.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .

I18N_IGNORE := --ignore ".venv/*" --ignore "node_modules/*" --ignore "var/*" --ignore "bench/*" \
	--ignore "tests/*" --ignore "courtyard/static/vendor/*"

# Regenerate the translation catalogues after changing user-facing strings.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete $(I18N_IGNORE)
	$(PY) manage.py fill_english_catalogue
