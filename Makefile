# Sprechstunde: `make run` starts the platform on the embedded default with demo data;
# `make test` installs and starts what the suite needs, then runs lint and the whole suite
# against PostgreSQL, Redis and headless Chromium.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1

# The suite's services (defaults: the local servers of this kind of machine).
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/sprechstunde
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/0

.PHONY: run test lint messages install install-test clean bench-queue bench-statistics bench-relay bench-video bench-navigator bench-recording bench-live

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@mkdir -p var
	@bash scripts/transcript-font
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py compilemessages --ignore='.venv/*' -v 0
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py migrate --noinput -v 0
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py collectstatic --noinput -v 0
	env -u DATABASE_URL -u REDIS_URL PORT=$(PORT) $(PY) manage.py load_demo --base-url http://$(HOST):$(PORT)
	env -u DATABASE_URL -u REDIS_URL SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
		$(VENV)/bin/daphne -b $(HOST) -p $(PORT) \
		--websocket-max-message-size 65536 --access-log /dev/null config.asgi:application

# Installs and starts what the suite needs (scripts/test-services: Chromium, gettext, PostgreSQL
# with its role, Redis; silent when all is there), then lint (ruff, mypy, import-linter), pytest.
TEST_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)}

test: install-test
	@$(TEST_ENV) bash scripts/test-services
	@mkdir -p var/static
	$(PY) manage.py compilemessages --ignore='.venv/*' -v 0
	$(MAKE) --no-print-directory lint
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy config consult signaling frontend
	$(VENV)/bin/lint-imports --no-logo --no-cache

# Refresh the .po files after changing user-facing strings, then translate the new entries.
messages: install
	$(PY) manage.py makemessages -l de -l en --no-obsolete -i '.venv/*' -i 'var/*' -i 'tests/*'
	$(PY) manage.py makemessages -d djangojs -l de -l en --no-obsolete -i '.venv/*' -i 'var/*'

clean:
	rm -rf $(VENV) var

# Benchmarks print figures (docs/performance.md); they need PostgreSQL like the tests.
bench-queue: install-test
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m tests.bench.queue_sim

bench-statistics: install-test
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m tests.bench.statistics_bench

# Relay CPU, pass-through against aiortc's MediaRelay (aiortc peers only; no database).
bench-relay: install-test
	$(PY) -m tests.bench.relay_bench

# Media worker CPU and received frame rate, recording on against off (aiortc peers only).
bench-recording: install-test
	$(PY) -m tests.bench.recording_bench

# Video set-up time in Chromium on the embedded default (no PostgreSQL or Redis needed).
bench-video: install-test
	env -u DATABASE_URL -u REDIS_URL $(PY) -m tests.bench.video_bench

bench-navigator: install-test
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m tests.bench.navigator_bench

# Live path (issue 12): two daphne processes on PostgreSQL + Redis, driven over the protocol,
# against a bare websockets + Redis relay. SCENARIO=chat|rooms|idle|dispatch (or all) and the
# sizes as variables, e.g. `make bench-live SCENARIO=rooms CITIZENS=1000`; see
# `python -m tests.bench.live_bench --help`. Drops and creates the database named below.
BENCH_DATABASE_URL ?= postgres://root@127.0.0.1:5432/sprechstunde_bench
BENCH_REDIS_URL    ?= redis://127.0.0.1:6379/8

bench-live: install-test
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m tests.bench.live_bench
