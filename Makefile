# Two commands matter: `make run` and `make test`. Both set everything up from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-stamp

# `make run` is local development: debug on, console email, the Stripe sandbox unless keys are set.
RUN_ENV := DJANGO_DEBUG=1 EMAIL_MODE=console PORT=$(PORT)
# The same rule as settings.py: no key, or a sandbox key, means the embedded Stripe sandbox.
SANDBOX_MODE := [[ -z "$${STRIPE_SECRET_KEY:-}" || "$${STRIPE_SECRET_KEY}" == sk_test_sandbox* ]]

.PHONY: help run serve load test test-fast e2e lint format setup migrate demo lock clean check-deploy bench screenshots mutate

help:
	@echo "make run    - set up, migrate, load demo data, serve http://127.0.0.1:$(PORT) with the task worker"
	@echo "make serve  - production-like: debug off, gunicorn + task worker on http://127.0.0.1:$(PORT)"
	@echo "make load   - start the serve stack on a free port and drive concurrent buyers (LOAD_ARGS)"
	@echo "make test   - set up and run the whole test suite (browser tests included)"
	@echo "make lint   - ruff (style, imports, the Stripe gateway rule)"
	@echo "make screenshots - PNGs of the key pages at 1280 and 390 px into screenshots/ (from the accessibility browser test)"
	@echo "make lock   - re-pin requirements.lock after changing pyproject.toml"
	@echo "make bench  - time the dashboards at 1,000 and 100,000 sales (throwaway database; DATABASE_URL picks the engine)"
	@echo "make mutate - mutation testing of the money and access code (slow; MUTATE_MODULES=catalog.money for one module)"

$(PYTHON):
	@python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && "$$python" -m venv $(VENV)

# Reinstall only when the declared or pinned dependencies change.
$(INSTALLED): pyproject.toml requirements.lock | $(PYTHON)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $@

setup: $(INSTALLED)

migrate: setup
	$(RUN_ENV) $(PYTHON) manage.py migrate --noinput
	@if $(SANDBOX_MODE); then $(RUN_ENV) $(PYTHON) manage.py migrate --database stripe_sandbox --noinput; fi

demo: migrate
	@if $(SANDBOX_MODE); then $(RUN_ENV) $(PYTHON) manage.py sandbox_seed_demo; fi
	$(RUN_ENV) $(PYTHON) manage.py load_demo_data

run: demo
	$(RUN_ENV) scripts/run-dev

# Production-like: gunicorn + the task worker, debug off (see README "Production").
serve: demo
	PORT=$(PORT) scripts/serve

# Starts its own serve stack on free ports (PostgreSQL when DATABASE_URL names it) and drives it.
load: setup
	$(PYTHON) scripts/load.py $(LOAD_ARGS)

test: setup
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-fast: setup
	$(PYTHON) -m pytest -m "not e2e" $(PYTEST_ARGS)

e2e: setup
	$(PYTHON) -m pytest -m e2e $(PYTEST_ARGS)

# The accessibility browser test saves every page it checks, desktop and phone, as it goes.
screenshots: setup
	rm -rf screenshots
	SCREENSHOTS_DIR=screenshots $(PYTHON) -m pytest -p no:randomly tests/e2e/test_accessibility.py $(PYTEST_ARGS)
	@echo "Screenshots in screenshots/"

lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=site_config.settings_test $(PYTHON) manage.py makemigrations --check --dry-run

# Seeds and times throwaway test databases only, never the database DATABASE_URL names.
bench: setup
	DJANGO_SETTINGS_MODULE=site_config.settings_test $(PYTHON) -W ignore::UserWarning manage.py dashboards_bench $(BENCH_ARGS)

# Mutation testing (mutmut, configured in pyproject.toml) of the modules that guard money and
# access. Hours for all of them: pick modules with MUTATE_MODULES (dotted names; a prefix such as
# dashboards.selectors takes the package). Results are kept in mutants/, so a second run only
# re-checks what changed; `mutmut show NAME` prints a surviving mutant's diff.
MUTATE_MODULES ?= catalog.money catalog.forms checkout.claims checkout.selectors \
	checkout.services.orders checkout.services.refunds checkout.services.sale_totals \
	checkout.services.webhook_handlers checkout.stripe_webhooks accounts.services \
	dashboards.exports dashboards.selectors
MUTATE_JOBS ?= 2

mutate: setup
	$(VENV)/bin/mutmut run --max-children $(MUTATE_JOBS) $(foreach module,$(MUTATE_MODULES),"$(module).*")
	$(PYTHON) scripts/mutate-score $(MUTATE_MODULES)

# A production-like environment (real-looking keys, debug off) must pass Django's deploy checks
# and build the compressed, hashed static files.
PROD_ENV := DJANGO_SECRET_KEY=check-deploy-$$RANDOM-$$RANDOM-not-a-real-secret-0123456789abcdef \
	DJANGO_ALLOWED_HOSTS=courses.example.com SITE_URL=https://courses.example.com \
	STRIPE_SECRET_KEY=sk_test_placeholder STRIPE_PUBLISHABLE_KEY=pk_test_placeholder \
	STRIPE_CONNECT_CLIENT_ID=ca_placeholder STRIPE_WEBHOOK_SECRET=whsec_placeholder \
	STRIPE_CONNECT_WEBHOOK_SECRET=whsec_placeholder

check-deploy: setup
	$(PROD_ENV) $(PYTHON) manage.py check --deploy --fail-level WARNING
	$(PROD_ENV) $(PYTHON) manage.py collectstatic --noinput --verbosity 0
	rm -rf staticfiles

format: setup
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix .

# Pin every package (runtime and dev) that pyproject.toml asks for, for reproducible installs.
lock: $(PYTHON)
	rm -rf .lock-venv && "$$(scripts/find-python)" -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check ".[dev]"
	.lock-venv/bin/pip freeze --exclude course-marketplace > requirements.lock
	rm -rf .lock-venv build *.egg-info

clean:
	rm -rf $(VENV) staticfiles .pytest_cache mutants
