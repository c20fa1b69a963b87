# Two commands do all the set-up on a fresh machine (Python 3.11):
#   make run    create .venv if missing, install the pins, run every params/*/*.yaml into reports/
#   make test   same set-up, then unit tests + nbval on the committed notebooks
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# The project kernel "myositis (.venv)", installed into the venv (so it runs this venv's Python wherever
# JupyterLab is started from); the notebooks name it in their metadata.
KERNEL := $(VENV)/share/jupyter/kernels/myositis/kernel.json
# JupyterLab refuses to start as root without --allow-root (containers, a fresh VM): added only then.
LAB_UID ?= $(shell id -u)

.PHONY: venv run sweeps test lab refresh crf manifest sysdeps benchmark clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

$(KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name myositis --display-name "myositis (.venv)"

venv: $(STAMP) $(KERNEL)

# Only runs whose notebook, params, package code, inputs or requirements changed re-run; FORCE=1 re-runs all.
run: venv
	$(BIN)/python -m myositis run --jobs $(JOBS) $(if $(FORCE),--force)
	@echo "open reports/index.html"

# The example parameter sweeps (params/*/sweeps/*.yaml): one table and figure each, linked from the index.
sweeps: venv
	$(BIN)/python -m myositis run --jobs $(JOBS) $(if $(FORCE),--force) $(wildcard params/*/sweeps/*.yaml)
	@echo "open reports/index.html"

# System packages for the browser and R reference tests (Chromium, chromedriver, R survival).
sysdeps:
	@bash tools/system-deps.sh

test: venv sysdeps
	$(BIN)/python -m pytest -n 2 --dist loadfile tests --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg

# Same paths as the batch: notebooks resolve every file from the repository root (myositis.paths).
lab: venv
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(LAB_UID)),--allow-root)

# Re-execute the committed notebooks (after editing a notebooks/*.py) so their outputs are current.
refresh: venv
	$(BIN)/python -m myositis refresh

crf: venv
	$(BIN)/python -m myositis crf --out build/crf

manifest: venv
	$(BIN)/python -m myositis manifest

benchmark: venv
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/survival.py

clean:
	rm -rf reports build .pytest_cache
