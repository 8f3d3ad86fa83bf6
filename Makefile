# 保密检查 — `make run` serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMPS := .make-stamps
FLASK := $(BIN)/flask --app wsgi

# Debian packages the app needs at run time, and those the tests need besides.
RUN_PACKAGES := python3 python3-venv fonts-noto-cjk fonts-arphic-gkai00mp libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
TEST_PACKAGES := poppler-utils chromium nginx-light redis-server openssl
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test test-sqlite test-postgresql lint messages system-run system-test db demo proof benchmarks clean

run: system-run $(STAMPS)/venv translations db demo
	@echo "保密检查 is at http://127.0.0.1:$(PORT)  (demo accounts: see README.md)"
	INSPECT_DEMO=1 BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: system-test $(STAMPS)/venv-dev translations lint test-sqlite test-postgresql

test-sqlite:
	env -u DATABASE_URL -u TEST_DATABASE_URL $(BIN)/pytest -q -n 2

# Runs again on PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) names one, as .ci/run sets up.
test-postgresql:
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [[ "$$url" == postgres* ]]; then \
		echo "--- the same suite on PostgreSQL"; \
		TEST_DATABASE_URL="$$url" $(BIN)/pytest -q -n 2 -m "not e2e"; \
	else \
		echo "--- PostgreSQL run skipped: DATABASE_URL does not name a PostgreSQL database"; \
	fi

# The long proof under load (ten minutes a database): not part of make test. Figures: benchmarks/README.md.
proof: system-test $(STAMPS)/venv-dev translations
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	$(BIN)/python benchmarks/proof.py $$([[ "$$url" == postgres* ]] && echo "--postgres $$url")

# The benchmarks the issues name, each printing its figures.
benchmarks: system-test $(STAMPS)/venv-dev translations
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/pdf.py --quick
	$(BIN)/python benchmarks/dashboard.py

lint: $(STAMPS)/venv-dev
	$(BIN)/ruff check .

db: $(STAMPS)/venv translations
	$(FLASK) db upgrade
	$(FLASK) checklists sync

demo: db
	INSPECT_DEMO=1 $(FLASK) seed-demo

# Install the Debian packages that are missing (needs root or sudo the first time only).
system-run:
	@missing=$$(for p in $(RUN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

system-test: system-run
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(STAMPS)/venv: requirements.txt
	@mkdir -p $(STAMPS)
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(STAMPS)/venv-dev: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(STAMPS)/venv

.PHONY: translations
translations: $(STAMPS)/venv
	$(BIN)/pybabel compile -d inspect_app/translations

# After changing user-facing strings: extract them and merge into the English catalogue.
messages: $(STAMPS)/venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k pgettext:1c,2 -o inspect_app/translations/messages.pot .
	$(BIN)/pybabel update -i inspect_app/translations/messages.pot -d inspect_app/translations --no-fuzzy-matching

clean:
	rm -rf $(STAMPS) .pytest_cache .ruff_cache
