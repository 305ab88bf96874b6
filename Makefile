# Two commands: `make run` (the tool and the sandbox LMS) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TOOL_PORT ?= 5000
SANDBOX_PORT ?= 5001
TOOL_URL := http://localhost:$(TOOL_PORT)
SANDBOX_URL := http://localhost:$(SANDBOX_PORT)
# The sandbox LMS receives the tool's e-mails (reminders) here and shows each person's inbox at $(SANDBOX_URL)/mail;
# without Celery beat, `peerlti reminders send --every 60` sends what is due each minute.
SANDBOX_SMTP_PORT ?= 8025
SANDBOX_SMTP_URL := smtp://127.0.0.1:$(SANDBOX_SMTP_PORT)
# axe-core, pinned in tests/e2e/package-lock.json, for the browser tests' accessibility checks.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
# pdf.js, pinned in vendor/package-lock.json: its built files are committed under lti_tool/static/pdfjs, so the tool
# serves them itself and `make run` needs no npm. `make vendor` refreshes them after the pin changes;
# tests/unit/test_vendored_files.py checks they are the pinned package's, byte for byte.
PDFJS_PACKAGE := vendor/node_modules/pdfjs-dist
PDFJS_FILES := build/pdf.min.mjs build/pdf.worker.min.mjs LICENSE
PDFJS_STATIC := lti_tool/static/pdfjs

# Exact versions of every package, extras included: installs take them as constraints, so a changed lock reinstalls.
LOCK := requirements.lock

# Catalogues: the .po files are committed; the .mo files the app reads are compiled from them here.
TRANSLATIONS := lti_tool/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
# The marker functions besides gettext's usual names: lazy labels in forms, and N_ for the domain's messages.
EXTRACT_KEYWORDS := -k _l -k lazy_gettext -k N_

.PHONY: run test lint lock clean translations catalogues vendor mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[sandbox]"
	touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test,sandbox]"
	touch $@ $(VENV)/.installed

# After changing the dependencies in pyproject.toml; pins that still fit are kept (`make lock LOCK_FLAGS=--upgrade`
# moves every package to its newest version that fits).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet $(LOCK_FLAGS) --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra test --extra sandbox --extra mutation --output-file $(LOCK) pyproject.toml

translations: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# For developers after changing user-facing text: extract every string, merge it into each catalogue,
# then translate the new entries (tests/unit/test_i18n.py names any left untranslated).
catalogues: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(EXTRACT_KEYWORDS) --add-location=file --sort-by-file --project peerlti -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete

run: $(VENV)/.installed translations
	mkdir -p instance
	$(BIN)/peerlti db upgrade
	$(BIN)/python -m sandbox registration --base-url $(SANDBOX_URL) > instance/sandbox-registration.json
	$(BIN)/peerlti platform add --json instance/sandbox-registration.json
	@echo ""
	@echo "  peerlti is ready. Open the sandbox LMS:  $(SANDBOX_URL)/"
	@echo "  and press a 'Launch as' button to open the tool as the instructor or a student."
	@echo "  Reminder e-mails arrive in the sandbox's inboxes: $(SANDBOX_URL)/mail"
	@echo ""
	$(BIN)/python -m sandbox serve --port $(SANDBOX_PORT) --base-url $(SANDBOX_URL) --tool-url $(TOOL_URL) \
		--instance-path instance/sandbox --smtp-port $(SANDBOX_SMTP_PORT) & SANDBOX_PID=$$!; \
	TOOL_BASE_URL=$(TOOL_URL) SMTP_URL=$(SANDBOX_SMTP_URL) $(BIN)/peerlti reminders send --every 60 & REMINDERS_PID=$$!; \
	trap 'kill $$SANDBOX_PID $$REMINDERS_PID 2>/dev/null' EXIT INT TERM; \
	TOOL_BASE_URL=$(TOOL_URL) SMTP_URL=$(SANDBOX_SMTP_URL) $(BIN)/peerlti serve --port $(TOOL_PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

$(AXE):
	npm ci --prefix tests/e2e --no-audit --no-fund

# npm ci checks the package against the lock's integrity hash; its optional Node canvas is for servers, not browsers.
$(PDFJS_PACKAGE)/package.json: vendor/package-lock.json
	npm ci --prefix vendor --omit=optional --no-audit --no-fund
	touch $@

vendor: $(PDFJS_PACKAGE)/package.json
	mkdir -p $(PDFJS_STATIC)
	cp $(addprefix $(PDFJS_PACKAGE)/,$(PDFJS_FILES)) $(PDFJS_STATIC)/

# The suite runs on pytest-xdist workers, one per CPU the machine reports (`auto`): most tests wait on a database, a
# live server or a subprocess, and spreading them roughly halves the run on two cores. At most four workers: each
# holds its own PostgreSQL database, live servers and browser, and Redis gives each worker two of its databases
# (tests/support/services.py). PYTEST_WORKERS=0 runs serially. The slowest tests are listed after every run.
PYTEST_WORKERS ?= auto
PYTEST_FLAGS ?= -n $(PYTEST_WORKERS) --maxprocesses 4 --dist worksteal --durations 20

test: lint translations $(AXE) $(PDFJS_PACKAGE)/package.json
	$(BIN)/python -m pytest $(PYTEST_FLAGS)

# Mutation testing of the pure core (minutes per module; not part of `make test`): mutmut changes the code one small
# edit at a time and runs tests/unit against each change; a change no test notices is a gap in the tests. Prints
# each module's score and the surviving mutants not judged equivalent in tests/mutation/equivalents.toml.
# `make mutation MODULES=assessment/rubric.py` for one module; MUTATION_CHILDREN test processes at a time.
MUTATION_MODULES := aggregation allocation anonymity assignment_settings calibration contribution coverage errors grading messages \
	personal_dates phases reading reminders reviewer_warnings rich_text rubric score_explanation score_progress \
	student_progress team_formation teammate_evaluation teammate_warnings triage visibility write_rules
MODULES ?= $(addprefix assessment/,$(addsuffix .py,$(MUTATION_MODULES)))
MUTATION_CHILDREN ?= 2

$(VENV)/.installed-mutation: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test,sandbox,mutation]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

mutation: $(VENV)/.installed-mutation
	$(BIN)/python -m tests.mutation.report --children $(MUTATION_CHILDREN) $(MODULES)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache mutants tests/e2e/node_modules vendor/node_modules $(MO_FILES)
