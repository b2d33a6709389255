# minBERT Lab: `make study` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Where `data prepare` reads the CS224N CSVs: the public starter repository by default,
# or a local mirror folder (CI uses ../shared/data/cs224n).
DATA_SOURCE ?= https://raw.githubusercontent.com/gpoesia/minbert-default-final-project/7ac8260577fc12a86c7aaf38918056c30054ef39/data
# all-data: the committed study, regenerated from results/ without training (about a minute);
# quick trains a small study (about 35 minutes on 2 cores); smoke checks the pipeline.
PROFILE ?= all-data
# The Quora split: carved from quora-dev.csv (the split every committed result was trained on,
# so `make study` finds them whatever the source holds) or auto (the official one when the
# source has quora-train.csv: more training pairs, but no committed result matches it).
QUORA_SPLIT ?= carved
# Whether `make study` trains the runs not stored yet: no for all-data (its committed runs are
# the study; `make study TRAIN=yes` or `python -m minbert_lab queue seeds` trains the missing
# ones), yes for the others.
TRAIN ?= $(if $(filter all-data,$(PROFILE)),no,yes)
# The pretrained model every notebook starts from: a bundled name, a local Hugging Face BERT
# folder, or a hub name (fetched when online; `make study` stops at once when it cannot be).
CHECKPOINT ?= minilm-l6
# The notebooks `make study` runs; 04 (beyond the paper: seeds, PCGrad) has its own target.
STUDY_NOTEBOOKS ?= 01 02 03 05
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: install data study study-plan beyond notebooks test lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned first so no other requirement can pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# Editable: the repository itself goes on sys.path (pyproject.toml's package-dir), so the
	# build has nothing to warn about.
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

data/manifest.json: | $(VENV)/.installed
	$(PY) -m minbert_lab data prepare --source "$(DATA_SOURCE)" --quora-split $(QUORA_SPLIT)

data: install
	$(PY) -m minbert_lab data prepare --source "$(DATA_SOURCE)" --quora-split $(QUORA_SPLIT)

# The study notebooks top to bottom (papermill, explicit per-cell timeout) with PROFILE and
# CHECKPOINT injected into each one's parameters cell. Its first line says whether it trains.
# The terminal shows each notebook, its cells and one line per training run as it starts and
# ends. Executed copies and HTML land in outputs/$(PROFILE)/ (in the smoke and quick profiles
# with the best model and its CS224N prediction files, model/ and predictions/); figures and
# tables in figures/$(PROFILE)/ (smoke: outputs/smoke/figures). The kernels run with
# HF_HUB_OFFLINE=1 unless CHECKPOINT is a hub name.
study: study-plan install data/manifest.json
	$(PY) -m minbert_lab.run_notebooks --profile $(PROFILE) --checkpoint "$(CHECKPOINT)" \
		--out outputs --only $(STUDY_NOTEBOOKS) --train $(TRAIN)

study-plan:
	@echo "make study: profile $(PROFILE), $(if $(filter no,$(TRAIN)),loading stored runs only and training nothing (to train: make study PROFILE=quick; runs not stored yet: TRAIN=yes),training every run not stored yet)"

# Notebook 04 (gradient surgery and conflict, class balance, Table 4 over seeds, score vs cost).
# It trains several seeds, so it is not part of `make study`; run `make study PROFILE=quick`
# first, so the seed-0 runs load from the cache. Its profile is quick unless given
# (`make beyond PROFILE=all-data` only loads the stored runs; with TRAIN=yes it trains hours of
# them). It prints its own estimate of the time left to train when it starts.
beyond: PROFILE = quick
beyond: install data/manifest.json
	$(PY) -m minbert_lab.run_notebooks --profile $(PROFILE) --checkpoint "$(CHECKPOINT)" \
		--out outputs --only 04 --train $(TRAIN)

# Regenerate each notebooks/NN_*.ipynb from its py:percent twin (the file to edit): cell ids
# kept (--update), outputs stripped, so the committed .ipynb diffs stay small.
notebooks: install
	$(PY) -m jupytext --quiet --update --to ipynb notebooks/[0-9][0-9]_*.py
	$(VENV)/bin/jupyter nbconvert --log-level=WARN --clear-output --inplace notebooks/[0-9][0-9]_*.ipynb

# --durations: CI prints the slowest tests, so a growing suite shows where the time went.
test: install
	HF_HUB_OFFLINE=1 DATA_SOURCE="$(DATA_SOURCE)" $(PY) -m pytest -q -ra --durations=15 $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check minbert_lab tests benchmarks

bench: install data/manifest.json
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.bench_training
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.bench_qkv --threads 1,2
	HF_HUB_OFFLINE=1 $(PY) -m benchmarks.bench_epoch --data-dir data

clean:
	rm -rf data/raw data/clean data/cache data/manifest.json runs outputs
