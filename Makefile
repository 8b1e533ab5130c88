# One task runner. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo_output

.PHONY: install browser postgres demo test test-slow test-all lint docs bench sample clean

# llama.cpp is built for AVX2 rather than for "this CPU": a native build on a CPU with AMX
# uses ggml's AMX kernels, which crash (SIGSEGV in ggml_backend_amx_mul_mat) where the VM does
# not grant AMX state. The wheel is built once into a cache folder named after the flags.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE   := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEELS        := $(HOME)/.cache/privsynth-wheels/avx2

# Torch first, pinned: it is the CPU build that lies on this machine's disk; an unpinned
# torch pulled in by SDV would be a multi-GB CUDA build. llama-cpp-python compiles once
# (about 8 minutes on 2 cores) into $(WHEELS).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(PY) -m pip wheel --quiet --no-cache-dir --no-deps \
	    -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PY) -m pip install --quiet --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PY) -m pip install --quiet -e '.[dev,dask,docs]'
	$(VENV)/bin/privsynth doctor
	touch $(STAMP)

install: $(STAMP)

demo: install
	@$(VENV)/bin/privsynth run sample_data/customers.csv -o $(DEMO_OUT) --rows 100 --force; \
	rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "demo: released; open $(DEMO_OUT)/report.html"; \
	elif [ $$rc -eq 3 ]; then echo "demo: the gate withheld the data; see $(DEMO_OUT)/report.html"; \
	else exit $$rc; fi

# The report's browser test renders it in Debian's headless Chromium; where it cannot be
# installed (no root, no apt), that test skips cleanly.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  >/dev/null 2>&1; } || echo "chromium not available: the browser test will skip"

# The database tests start a throwaway cluster of Debian's PostgreSQL (tests/database/
# pgserver.py: its own folder, a Unix socket only, no TCP); where the server cannot be
# installed, those tests skip cleanly.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) \
	  >/dev/null 2>&1; } || echo "postgresql not available: the PostgreSQL tests will skip"

# The default set: everything but the tests marked slow (the DP fits, the Dask cluster,
# the browser, the network namespace, SIGTERM and the property test). It still runs the real
# LLM and real Presidio. Under 8 minutes on 2 cores.
test: install browser postgres
	$(PY) -m pytest -q -m "not slow"

# The slow tests only; CI runs `make test` and then this.
test-slow: install browser postgres
	$(PY) -m pytest -q -m slow

# Everything, including the extended cases (1M rows, 1,000 columns, 40 property examples).
test-all: install browser postgres
	PRIVSYNTH_FULL_TESTS=1 $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check privsynth tests benchmarks sample_data
	$(VENV)/bin/mypy privsynth
	$(VENV)/bin/lint-imports

# The documentation site, built offline into site/.
docs: install
	$(VENV)/bin/mkdocs build --strict --quiet

bench: install
	$(PY) benchmarks/run_all.py

sample: install
	$(PY) sample_data/make_sample.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) site .pytest_cache .mypy_cache .ruff_cache
