# 保密检查 — `make run` serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
# Debian's own interpreter where there is one: what a bureau's server runs, not a newer one earlier on PATH.
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# 127.0.0.1 serves this machine only; HOST=0.0.0.0 make run serves the office network (tablets: docs/deploy.md).
HOST ?= 127.0.0.1
# make tls-demo: nginx's ports in front of the app.
TLS_PORT ?= 443
HTTP_PORT ?= 80
STAMPS := .make-stamps
FLASK := $(BIN)/flask --app wsgi

# Debian packages the app needs at run time, and those the tests need besides.
RUN_PACKAGES := python3 python3-venv fonts-noto-cjk fonts-arphic-gkai00mp libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
TEST_PACKAGES := poppler-utils chromium nginx-light redis-server openssl
# What building the offline bundle and its no-network test need besides.
BUNDLE_TOOLS := dpkg-dev iproute2 util-linux
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: FORCE run test bundle tls-demo reset-demo test-sqlite test-postgresql lint messages system-run system-test db demo proof benchmarks clean

run: system-run $(STAMPS)/venv translations db demo
	@host=$(HOST); [ "$$host" != 0.0.0.0 ] || host=$$(hostname -I 2>/dev/null | cut -d' ' -f1); \
	echo "保密检查 is at http://$${host:-$(HOST)}:$(PORT)  (demo accounts: on the login page; stop with Ctrl+C)"
	INSPECT_DEMO=1 BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

test: system-test $(STAMPS)/venv-dev $(STAMPS)/node translations lint test-sqlite test-postgresql

test-sqlite:
	env -u DATABASE_URL -u TEST_DATABASE_URL $(BIN)/pytest -q -n 2

# Runs again on PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) names one, as .ci/run sets up. The browser
# tests and the tests marked db_independent (rendering, parsing, crypto, deployments on a database of their own)
# would only repeat on PostgreSQL what the SQLite run has shown; every test that reads or writes through the
# database under test runs on both.
test-postgresql:
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [[ "$$url" == postgres* ]]; then \
		echo "--- the same suite on PostgreSQL"; \
		TEST_DATABASE_URL="$$url" $(BIN)/pytest -q -n 2 -m "not e2e and not db_independent"; \
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
	$(BIN)/python benchmarks/registers.py

# The demo over HTTPS behind nginx with a demo CA, for tablets on the office network (docs/deploy.md).
tls-demo: system-run $(STAMPS)/venv translations db demo
	$(call install_missing,nginx-light openssl)
	$(SUDO) env PORT=$(PORT) TLS_PORT=$(TLS_PORT) HTTP_PORT=$(HTTP_PORT) deploy/tls-demo.sh

# The offline bundle for a closed network (docs/deploy.md): dist/baomi-jiancha-<version>.tar.gz.
# TESTS=1 adds the test tools and packages, so the SQLite suite runs from the bundle too.
bundle: system-test $(STAMPS)/venv $(if $(TESTS),$(STAMPS)/node)
	deploy/bundle.sh $(or $(DIST),dist) "$(RUN_PACKAGES)" "$(TEST_PACKAGES)" $(if $(TESTS),tests)

lint: $(STAMPS)/venv-dev
	$(BIN)/ruff check .

# The demo's database: in demo mode, so the audit key is generated into instance/ (production keeps it outside).
db: $(STAMPS)/venv translations
	INSPECT_DEMO=1 $(FLASK) db upgrade
	INSPECT_DEMO=1 $(FLASK) checklists sync
	INSPECT_DEMO=1 $(FLASK) appraisals sync

demo: db
	INSPECT_DEMO=1 $(FLASK) seed-demo

# Throws the demo's data away and loads it afresh; the instance's secret and audit keys and TLS demo CA stay.
reset-demo: $(STAMPS)/venv translations
	@[ -z "$${DATABASE_URL:-}" ] || { echo "reset-demo resets the SQLite demo only; DATABASE_URL is set"; exit 1; }
	rm -rf instance/inspect.db instance/inspect.db-wal instance/inspect.db-shm \
		instance/attachments instance/documents instance/jobs
	$(MAKE) --no-print-directory demo

# Install the Debian packages that are missing (needs root or sudo the first time only).
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
endef

system-run:
	$(call install_missing,$(RUN_PACKAGES))

system-test: system-run
	$(call install_missing,$(TEST_PACKAGES) $(BUNDLE_TOOLS))

# A venv made by another interpreter (a newer Python earlier on PATH) is made again with $(PYTHON).
define fresh_venv
	want=$$($(PYTHON) -c 'import sys; print(sys.version)'); \
	have=$$([ -x $(BIN)/python ] && $(BIN)/python -c 'import sys; print(sys.version)'); \
	if [ "$$want" != "$$have" ]; then echo "venv: $(PYTHON) $$want"; $(PYTHON) -m venv --clear $(VENV); fi
endef

# Records which interpreter the venv is for; rewritten (so the venv is remade) only when that changes.
$(STAMPS)/interpreter: FORCE
	@mkdir -p $(STAMPS); v="$$($(PYTHON) -c 'import sys; print(sys.executable, sys.version)')"; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@

$(STAMPS)/venv: requirements.txt $(STAMPS)/interpreter
	@mkdir -p $(STAMPS)
	@$(call fresh_venv)
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# axe-core for the accessibility checks of the browser tests, pinned in package.json and package-lock.json,
# into the git-ignored node_modules/. Debian's npm is installed when no npm is on the machine.
$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	@command -v npm >/dev/null || { echo "installing: nodejs npm"; $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMPS)/venv-dev: requirements.txt requirements-dev.txt $(STAMPS)/interpreter
	@mkdir -p $(STAMPS)
	@$(call fresh_venv)
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
