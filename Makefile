# sxtriage — every target creates the virtualenv it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench soak interop compat reliability screenshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sxtriage demo

test: $(STAMP)
	$(BIN)/python -m pytest -m "not interop and not slow and not compat"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks

soak: $(STAMP)
	$(BIN)/python -m pytest -m slow

# The reliability + security suites three times over, to catch flakiness.
reliability: $(STAMP)
	for i in 1 2 3; do $(BIN)/python -m pytest tests/reliability tests/security -m "not slow and not interop" || exit 1; done

interop: $(STAMP)
	$(BIN)/python -m pytest -m interop

# Against a real GlitchTip (and Bugsink) built from ../shared/servers (tests/compat).
compat: $(STAMP)
	$(BIN)/python -m pytest -m compat tests/compat

screenshots: $(STAMP)
	$(BIN)/python -m tests.scenes screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info
