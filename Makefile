# The course's commands. `make lab` to learn, `make test` to check everything.
# Each target creates or reuses the virtual environment in .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Two cores: one BLAS thread per process keeps the test workers from fighting.
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# The Agg backend would drop the inline figures that the notebooks' stored outputs hold.
RUN := env -u MPLBACKEND $(THREADS) PYDEVD_DISABLE_FILE_VALIDATION=1

LESSONS   := $(sort $(wildcard notebooks/*.ipynb))
SOLUTIONS := $(sort $(wildcard solutions/*.ipynb))

NBVAL := --nbval --nbval-current-env --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help lab test course notebooks scripts lint exercises benchmark env clean

help:
	@echo "make lab        install the course into .venv (if needed) and start JupyterLab"
	@echo "make test       install (if needed) and run the whole test suite"
	@echo "make course     execute every lesson headless into build/ (HTML + index.html with timings)"
	@echo "make notebooks  sync scripts, re-execute lessons and solutions in place, refresh scripts (authors)"
	@echo "make scripts    bring each notebook and its script in python_scripts/ into step (authors)"
	@echo "make lint       ruff on course_utils/ and python_scripts/"
	@echo "make exercises  generate exercises/ from solutions/ (authors)"
	@echo "make benchmark  print lesson run times, the floor and the sweep time"

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (poisoning course)"
	touch $(STAMP)

# As root it adds --allow-root, with no display --no-browser, and says so (course_utils/lab.py).
# Further options for JupyterLab: make lab LAB_ARGS="--port=8890".
lab: $(STAMP)
	$(RUN) $(BIN)/python -m course_utils.lab $(LAB_ARGS)

test: $(STAMP)
	$(RUN) $(BIN)/python -m pytest -n 2 --dist loadfile tests $(LESSONS) $(SOLUTIONS) $(NBVAL)

course: $(STAMP)
	$(RUN) $(BIN)/python -m course_utils build --out build

# An edited script is brought into its notebook first, the notebooks are executed, and the scripts
# are rewritten from the executed notebooks. The shell's glob (not $(LESSONS)) also executes a
# notebook that the first step has just created from a new script.
notebooks: $(STAMP)
	$(RUN) $(BIN)/python -m course_utils scripts
	$(RUN) $(BIN)/python -m course_utils execute notebooks/*.ipynb solutions/*.ipynb
	$(RUN) $(BIN)/python -m course_utils scripts --from notebooks

scripts: $(STAMP)
	$(RUN) $(BIN)/python -m course_utils scripts

lint: $(STAMP)
	$(BIN)/ruff check

exercises: $(STAMP)
	$(RUN) $(BIN)/python -m course_utils exercises

benchmark: $(STAMP)
	$(RUN) $(BIN)/python benchmarks/run.py

clean:
	rm -rf build
