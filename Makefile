# The single entry point. `make run` and `make test` do all the set-up they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
WEB_HOST ?= 127.0.0.1
WEB_PORT ?= 8000
export WEB_HOST WEB_PORT

# Django 6.1 needs Python >= 3.12; the project runs on 3.13. Plain `python3` may be older.
PYTHON313 := $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)

# Tests run on the real services (PostgreSQL, Redis); these are the local defaults.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/teletherapy
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: help run install demo test test-e2e screenshots bench lint format messages totp clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

run: install demo ## Install everything, load demo data, run web + worker + beat (Ctrl-C stops all)
	@echo
	@echo "  Open http://$(WEB_HOST):$(WEB_PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo
	exec $(BIN)/honcho --procfile Procfile start

install: $(VENV)/.installed node_modules/.installed locale/fr/LC_MESSAGES/django.mo var ## Install Python and npm dependencies, compile translations

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found: install python3.13 first." >&2; exit 1; }
	test -x $(PY) || "$(PYTHON313)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable ".[dev,test]"
	touch $@

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

lint: install ## ruff check and format check, migrations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v 0

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install ## Extract UI text into locale/fr/LC_MESSAGES/django.po
	$(PY) manage.py makemessages --locale fr --ignore '.venv/*' --ignore 'node_modules/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete --add-location file

totp: install ## Print the current two-factor code of the demo therapists and staff
	@$(PY) manage.py demo_totp 2>/dev/null

clean: ## Remove the virtualenv, npm packages and local data
	rm -rf $(VENV) node_modules var staticfiles
