# Huiguan — the two commands a newcomer needs:
#   make run    set up .venv, migrate SQLite, load demo data, serve http://127.0.0.1:8000
#               (make run PORT=9101 HOST=0.0.0.0: another port or address; links follow it)
#   make test   set up .venv with test tools, lint, run the test suite
# With DATABASE_URL / CELERY_BROKER_URL set, the same commands use PostgreSQL / a real broker.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# In development the links in tickets, QR codes, .ics files and emails follow the address
# runserver listens on (HOST=0.0.0.0 listens everywhere: links then name 127.0.0.1, and any
# Host header is accepted so a phone on the LAN can open the pages). An exported SITE_URL wins.
SITE_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
SITE_URL ?= http://$(SITE_HOST):$(PORT)
DEV_ALLOWED_HOSTS := $(if $(filter 0.0.0.0,$(HOST)),*,127.0.0.1,localhost,[::1],$(HOST))
DEV_ENV := DEBUG=1 SITE_URL=$(SITE_URL) ALLOWED_HOSTS='$(DEV_ALLOWED_HOSTS)'
PYTEST_ARGS ?=

.PHONY: run test lint format messages makemessages migrate demo install install-dev install-browser vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download
# cannot work offline). Needs root for apt; without Chromium the browser tests are skipped.
install-browser: install-dev
	@(command -v chromium >/dev/null 2>&1 && fc-list | grep -qi "noto.*cjk") || \
		apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-noto-cjk >/dev/null)
	@chromium --version

# Translations: .po files are in git, .mo files are built here (Babel, so no GNU gettext needed).
messages: install
	@for domain in django djangojs; do \
		if ls locale/*/LC_MESSAGES/$$domain.po >/dev/null 2>&1; then \
			$(BIN)/pybabel compile -d locale -D $$domain || exit 1; fi; done

migrate: messages
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(BIN)/python manage.py demo_data

run: demo
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint messages
	$(BIN)/lint-imports --no-logo  # the floors (pyproject.toml [tool.importlinter], docs/architecture.md)
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=backend.settings_test
	$(BIN)/pytest $(PYTEST_ARGS)

# Developers: refresh the .po files after changing UI strings (needs GNU gettext: apt-get install gettext).
makemessages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --all --no-obsolete --ignore=.venv --ignore=var --ignore=test-artifacts
	DEBUG=1 $(BIN)/python manage.py makemessages -d djangojs --all --no-obsolete --ignore=.venv --ignore=var \
		--ignore=test-artifacts --ignore=checkin/static/checkin/vendor \
		--ignore=organizer/static/organizer/vendor --ignore=tests/browser/vendor

# Front-end files are vendored (pinned in package.json, hashes in checkin/static/checkin/vendor/VENDOR.md).
vendor:
	cd $$(mktemp -d) && npm pack --silent jsqr@1.4.0 && tar xzf jsqr-1.4.0.tgz && \
		echo "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859  package/dist/jsQR.js" | sha256sum -c - && \
		cp package/dist/jsQR.js $(CURDIR)/checkin/static/checkin/vendor/jsQR-1.4.0.js
	cd $$(mktemp -d) && npm pack --silent axe-core@4.10.3 && tar xzf axe-core-4.10.3.tgz && \
		echo "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb  package/axe.min.js" | sha256sum -c - && \
		cp package/axe.min.js $(CURDIR)/tests/browser/vendor/axe-4.10.3.min.js
	cd $$(mktemp -d) && npm pack --silent htmx.org@2.0.4 && tar xzf htmx.org-2.0.4.tgz && \
		echo "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447  package/dist/htmx.min.js" | sha256sum -c - && \
		cp package/dist/htmx.min.js $(CURDIR)/organizer/static/organizer/vendor/htmx-2.0.4.min.js

clean:
	rm -rf var/ .pytest_cache .ruff_cache
