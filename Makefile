# Railguard's entry points. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint check bench bench-session bench-audit bench-sql bench-pii bench-schema bench-lint bench-injection bench-otel bench-drift bench-breakers docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench,ner]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/railguard lint policies/ examples/
	$(BIN)/python examples/run_trace.py examples/trace.jsonl -p policies/finance
	$(BIN)/python examples/run_trace.py examples/flaky_trace.jsonl -p policies/flaky-tools

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check railguard tests bench examples policies
	$(BIN)/ruff format --check railguard tests bench examples policies
	$(BIN)/mypy railguard

check: test lint

bench: $(STAMP)
	$(BIN)/python bench/bench_evaluate.py
	$(BIN)/python bench/bench_sidecar.py
	$(BIN)/python bench/bench_session.py
	$(BIN)/python bench/bench_breakers.py
	$(BIN)/python bench/bench_audit.py
	$(BIN)/python bench/bench_drift.py
	$(BIN)/python bench/bench_injection.py
	$(BIN)/python bench/bench_lint.py
	$(BIN)/python bench/bench_otel.py

bench-otel: $(STAMP)
	$(BIN)/python bench/bench_otel.py

bench-lint: $(STAMP)
	$(BIN)/python bench/bench_lint.py

bench-drift: $(STAMP)
	$(BIN)/python bench/bench_drift.py

bench-breakers: $(STAMP)
	$(BIN)/python bench/bench_breakers.py

bench-session: $(STAMP)
	$(BIN)/python bench/bench_session.py

bench-audit: $(STAMP)
	$(BIN)/python bench/bench_audit.py

bench-sql: $(STAMP)
	$(BIN)/python bench/bench_sql.py
	$(BIN)/python bench/sql_false_deny.py

bench-pii: $(STAMP)
	$(BIN)/python bench/bench_pii.py

bench-schema: $(STAMP)
	$(BIN)/python bench/bench_schema.py

bench-injection: $(STAMP)
	$(BIN)/python bench/bench_injection.py
	$(BIN)/python bench/injection_quality.py

docs: $(STAMP)
	$(BIN)/railguard builtins --format markdown > docs/builtins.md
	$(BIN)/railguard explain --markdown > docs/errors.md
	$(BIN)/railguard explain --lint --markdown > docs/lint.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
