# `make run` and `make test` work on a fresh clone: the venv is created on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit e2e bench clean migrate messages

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/meetline serve --explain-setup

migrate: $(STAMP)
	$(BIN)/meetline migrate

lint: $(STAMP)
	$(BIN)/ruff check bot handlers adapters storage tests bench
	$(BIN)/ruff format --check bot handlers adapters storage tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Tests run in parallel (pytest-xdist; `make test PYTEST_WORKERS=4`, or 0 for one
# process). --dist loadscope keeps a module's tests on one worker, so module fixtures
# (a drill's running app) are built once. PostgreSQL tests run when TEST_DATABASE_URL
# is set (.ci/run sets it).
# 3 on 2 cores: tests spend much of their time waiting on served processes and sockets
# (measured: make test 255 s with 3 workers, 275 s with 2, on an idle 2-core machine).
PYTEST_WORKERS ?= 3
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadscope
COVERAGE := --cov=bot --cov=handlers --cov=adapters --cov=storage --cov-report=term:skip-covered

# Everything: lint, then every test with a coverage summary.
test: lint
	$(PYTEST) $(COVERAGE)

# Fast feedback: unit tests, the Slack harness and storage/adapter integration tests
# (no served `meetline` process).
unit: $(STAMP)
	$(PYTEST) tests/unit tests/harness tests/integration

# The app as users meet it: `meetline serve` end to end, and the fault drills.
e2e: $(STAMP)
	$(PYTEST) tests/e2e tests/drills

# Regenerate handlers/locale/meetline.pot, add new messages to every .po, list what to translate.
messages: $(STAMP)
	$(BIN)/python -m handlers.i18n_tools update

# Benchmarks (README "Benchmarks"): a Markdown table on stdout and in bench/results.md.
# `make bench BENCH_ARGS=--quick` for a small run; PostgreSQL scratch databases go to
# BENCH_DATABASE_URL (default: TEST_DATABASE_URL, else the local server).
BENCH_DATABASE_URL ?= $(or $(TEST_DATABASE_URL),postgresql+psycopg://postgres@127.0.0.1:5432/test)
bench: $(STAMP)
	BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" TEST_DATABASE_URL="$(or $(TEST_DATABASE_URL),$(BENCH_DATABASE_URL))" \
		$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
