# make demo | make test | make bench: each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m deltaprop.demo

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .hypothesis

# make bench [BENCH_ARGS=--quick]: installs the bench extra (torch==2.13.0 CPU, threadpoolctl), then
# runs with OpenBLAS choosing its own kernel for this CPU (no forced OPENBLAS_CORETYPE / L2 size).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/bench.py $(BENCH_ARGS)

# make fuzz [FUZZ_RUNS=10000]: 10,000 Hypothesis cases per file reader, then atheris (coverage-guided)
# on each reader. The normal `make test` runs a few hundred Hypothesis cases per reader.
FUZZ_RUNS ?= 10000
FUZZ_STAMP := $(VENV)/.installed-fuzz
$(FUZZ_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP)
	DELTAPROP_FUZZ_EXAMPLES=$(FUZZ_RUNS) $(PY) -m pytest -q tests/test_fuzz.py
	for reader in idx model checkpoint csv npy npz inputs.csv inputs.npy inputs.npz; do \
	  log=$$(mktemp); \
	  $(PY) fuzz/fuzz_readers.py $$reader -runs=$(FUZZ_RUNS) -max_len=4096 -artifact_prefix=$$(dirname $$log)/ >$$log 2>&1 || { cat $$log; exit 1; }; \
	  echo "$$reader: $$(tail -n 1 $$log)"; rm -f $$log; \
	done
