# `make run` and `make test` work on a fresh clone: the venv is created on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench clean migrate messages

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
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

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
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
