# One task runner. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo_output

.PHONY: install browser demo test test-all lint bench sample clean

# Torch first, pinned: it is the CPU build that lies on this machine's disk; an unpinned
# torch pulled in by SDV would be a multi-GB CUDA build. llama-cpp-python compiles once
# (about 8 minutes on 2 cores) and pip caches the wheel.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,dask]'
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

test: install browser
	$(PY) -m pytest -q

# Everything, including the extended slow cases that are skipped by default.
test-all: install browser
	PRIVSYNTH_FULL_TESTS=1 $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check privsynth tests benchmarks sample_data
	$(VENV)/bin/mypy privsynth

bench: install
	$(PY) benchmarks/run_all.py

sample: install
	$(PY) sample_data/make_sample.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
