# SafetyList: `make run` (web + worker + beat with demo data) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app safetylist
export FLASK_APP := safetylist

.PHONY: run test test-browser install install-dev translations bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: migrate, seed the demo (idempotent) and start web + worker + beat on http://127.0.0.1:5000
run: install
	$(FLASK) db upgrade
	$(FLASK) seed demo
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start -f Procfile

## test: the whole suite on SQLite (set TEST_DATABASE_URL to run it on PostgreSQL)
test: install-dev
	$(BIN)/python -m pytest

## test-browser: phone-sized browser tests with Playwright and Debian's chromium
test-browser: install-dev
	$(BIN)/python -m pytest tests/browser --browser-channel="" -p no:randomly --run-browser

## translations: extract UI strings and refresh the catalogues (then fill in msgstr and run again)
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -o safetylist/translations/messages.pot .
	$(BIN)/pybabel update -i safetylist/translations/messages.pot -d safetylist/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d safetylist/translations

bench: install-dev
	$(BIN)/python bench/enterprise_list.py
	$(BIN)/python bench/grid_coverage.py
	$(BIN)/python bench/hazard_board.py
	$(BIN)/python bench/reminder_scan.py
	$(BIN)/python bench/checklist_engine.py
	$(BIN)/python bench/fill_runs.py
	$(BIN)/python bench/run_pdf.py

clean:
	rm -rf $(VENV) instance .pytest_cache
