# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m netlists demo --out demo_out
	$(BIN)/python -m accel report tpu_v1
	$(BIN)/python scripts/compare_placers.py --out demo_out/compare --no-progress
	$(BIN)/python scripts/train_agent.py --design TPUv1 --reward hpwl --grid 16 \
		--env-arg snap=true dead_end_penalty=300 --timesteps 20000 --max-minutes 1.5 \
		--compare-baselines --no-progress --out demo_out/ppo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m ''

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python scripts/bench_parsers.py
	$(BIN)/python scripts/bench_scoring.py

clean:
	rm -rf $(VENV) demo_out .pytest_cache
