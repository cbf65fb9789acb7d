# The single entry point. `make run` and `make test` do all the set-up they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Every recipe, and the processes honcho starts from the Procfile (daphne, celery), find the
# virtualenv's commands first: `make run` works from a shell with no virtualenv on its PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
WEB_HOST ?= 127.0.0.1
WEB_PORT ?= 8000
export WEB_HOST WEB_PORT

# Django 6.1 needs Python >= 3.12; the project runs on 3.13. Plain `python3` may be older.
PYTHON313 := $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)

# Tests run on the real services (PostgreSQL, Redis); these are the local defaults.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/teletherapy
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: help run install lock audit demo test test-e2e screenshots bench lint format messages totp clean serve

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: install demo ## Install everything, load demo data, run web + worker + beat (Ctrl-C stops all)
	@echo
	@echo "  Open http://$(WEB_HOST):$(WEB_PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo
	exec $(BIN)/honcho --procfile Procfile start

serve: install ## Production's topology here: nginx, gunicorn, daphne for /ws/, worker, one beat (PostgreSQL and Redis)
	$(PY) deploy/serve.py --preflight
	$(PY) manage.py migrate --noinput -v 0
	exec $(PY) deploy/serve.py

install: $(VENV)/.installed node_modules/.installed locale/fr/LC_MESSAGES/django.mo var ## Install Python and npm dependencies, compile translations

# Exactly the versions and files of requirements/dev.lock (hash-checked), then the project itself.
$(VENV)/.installed: pyproject.toml requirements/dev.lock
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: install python3.13 first." >&2; exit 1; }
	test -x $(PY) || "$(PYTHON313)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

lock: ## Pin every Python package with hashes (requirements/base.lock for production, dev.lock)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/base.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --extra dev --extra test -o requirements/dev.lock pyproject.toml

audit: install ## Check the locked packages against PyPI's vulnerability data (fails if it cannot ask)
	$(PY) requirements/audit.py

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

locale/fr/LC_MESSAGES/django.mo: locale/fr/LC_MESSAGES/django.po $(VENV)/.installed
	cd locale/.. && $(PY) manage.py compilemessages --locale fr --ignore '.venv' --ignore 'node_modules' -v 0

var:
	mkdir -p var

demo: install ## Migrate and load the demo accounts (idempotent)
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_data

test: install ## Install what the tests need and run the whole suite on PostgreSQL, Redis and Chromium
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
		$(BIN)/pytest $(PYTEST_ARGS)

screenshots: install ## Run the browser tests and refresh docs/screenshots/
	SCREENSHOTS_DIR=docs/screenshots $(MAKE) test PYTEST_ARGS="tests/e2e"

bench: install ## Run every benchmark and print the table
	$(PY) -m bench

lint: install ## ruff check and format check, import layers, types, migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(MAKE) --no-print-directory audit

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install ## Extract UI text into locale/fr/LC_MESSAGES/django.po
	$(PY) manage.py makemessages --locale fr --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete --add-location file

totp: install ## Print the current two-factor code of the demo therapists and staff
	@$(PY) manage.py demo_totp 2>/dev/null

clean: ## Remove the virtualenv, npm packages and local data
	rm -rf $(VENV) node_modules var staticfiles
