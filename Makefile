# The two commands: `make run` (the portal with demo data) and `make test` (the whole suite).
# Both install what they need, system packages included, and skip what is already there.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
DEPS_STAMP := $(VENV)/.deps-$(shell cat pyproject.toml | md5sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# WeasyPrint needs Pango; libharfbuzz-subset0 makes its font subsetting ~2.5x faster; fonts
# ship from Debian so PDFs render the same everywhere. libkpimitinerary-bin is KDE Itinerary's
# extractor, which reads booking e-mails (bookings.mail; without it, schema.org markup alone).
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core \
	libkpimitinerary-bin
TEST_PACKAGES := chromium poppler-utils

.PHONY: run test install system-packages test-system-packages lint check worker beat clean load serve bench

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) loaddemo
	@bash scripts/run-dev.sh

test: install test-system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

install: system-packages $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.deps-*
	touch $@

system-packages:
	@bash scripts/apt-ensure.sh $(RUN_PACKAGES)

test-system-packages:
	@bash scripts/apt-ensure.sh $(TEST_PACKAGES)

# Every performance target of issue 18, each a ratio against a baseline measured in the same
# run: PostgreSQL (its own database, "bench"), Redis db 11, real workers and gunicorn; prints a
# table and writes bench/results.json (docs/performance.md). Not part of `make test` (a tiny
# smoke run of it is). Sizes: `make bench BENCH_ARGS="--trips 100"`.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Two minutes of locust against gunicorn + PostgreSQL + Redis + a worker, on its own database
# (docs/reliability.md has the figures); needs the machine's PostgreSQL and Redis.
load: install
	$(BIN)/python -c 'import locust' 2>/dev/null || $(BIN)/pip install --quiet -e '.[load]'
	@bash bench/load.sh

# The production processes on this machine: gunicorn, a Celery worker and beat, DEBUG off
# (README, "Deploying"); one Ctrl-C stops all three.
serve: install
	@bash scripts/serve.sh

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

worker: install
	$(BIN)/celery -A portal worker -l info

beat: install
	$(BIN)/celery -A portal beat -l info

clean:
	rm -rf data/broker data/private data/portal.sqlite3*
