# SGC Bono Vida Mejor — `make run` serves the app, `make test` runs the whole suite.
# Both set up everything a fresh Debian machine lacks (venv, pinned requirements, system
# libraries via apt when root, front-end assets, compiled translations, database).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?= -n 2 -p no:logging

# Debian packages: WeasyPrint's libraries and fonts with Spanish glyphs (run), plus the
# browser, PostgreSQL server and PDF tools the tests use (test).
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core
TEST_DEBS := chromium postgresql poppler-utils qpdf wrk

.PHONY: run serve test setup setup-test lint babel-extract clean help

help:
	@echo "make run    set everything up and serve http://$(HOST):$(PORT)"
	@echo "make serve  the same under gunicorn, as production serves it (deploy/gunicorn.conf.py)"
	@echo "make test   set everything up and run ruff + the whole pytest suite"

run: setup
	$(FLASK) qms init
	$(FLASK) qms seed-demo
	@$(FLASK) qms demo-logins  # on every start, not only the first
	@echo "Serving http://$(HOST):$(PORT) with the reminder scheduler beside it (Ctrl+C stops both)."
	@echo "Mail goes to instance/mail/*.eml unless QMS_SMTP_HOST is set."
	@trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) qms scheduler & scheduler=$$!; \
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: setup
	$(FLASK) qms init
	$(FLASK) qms seed-demo
	@$(FLASK) qms demo-logins
	@trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) qms scheduler & scheduler=$$!; \
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: setup setup-test lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

setup: system-deps $(VENV)/.installed qms/static/vendor/.installed translations-compiled

setup-test: system-deps-test $(VENV)/.dev-installed

# ---------------------------------------------------------------- system packages
.PHONY: system-deps system-deps-test translations-compiled
system-deps:
	@./scripts/ensure-debs.sh $(RUN_DEBS)
	@command -v npm >/dev/null || ./scripts/ensure-debs.sh nodejs npm

system-deps-test:
	@./scripts/ensure-debs.sh $(TEST_DEBS)

# ---------------------------------------------------------------- python
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# ---------------------------------------------------------------- assets (npm, served locally)
qms/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p qms/static/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css qms/static/vendor/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js qms/static/vendor/
	cp node_modules/axe-core/axe.min.js qms/static/vendor/  # accessibility tests only
	touch $@

# ---------------------------------------------------------------- translations
translations-compiled: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations --statistics

babel-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs ".* node_modules" -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules qms/static/vendor
