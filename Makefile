# sxtriage — every target creates the virtualenv it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-loaded lint format bench soak interop compat reliability screenshots clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/sxtriage demo

test: $(STAMP)
	$(BIN)/python -m pytest -m "not interop and not slow and not compat"

# The default suite on a busy machine: two CPU-bound loops beside it, killed when it ends
# (pass or fail). A test that waits on time instead of a condition fails here.
test-loaded: $(STAMP)
	@$(PY) -c 'while True: pass' & a=$$!; $(PY) -c 'while True: pass' & b=$$!; \
	trap 'kill $$a $$b 2>/dev/null' EXIT INT TERM; \
	echo "test-loaded: busy loops $$a $$b"; \
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
	$(BIN)/python -m pytest -m slow --timeout 900

# The reliability + security suites three times over, to catch flakiness.
reliability: $(STAMP)
	for i in 1 2 3; do $(BIN)/python -m pytest tests/reliability tests/security -m "not slow and not interop" || exit 1; done

interop: $(STAMP)
	$(BIN)/python -m pytest -m interop --timeout 900

# Against a real GlitchTip (and Bugsink) built from ../shared/servers (tests/compat).
compat: $(STAMP)
	$(BIN)/python -m pytest -m compat tests/compat --timeout 1800

screenshots: $(STAMP)
	$(BIN)/python -m tests.scenes screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info
