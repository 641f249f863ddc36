# The whole set-up is two commands: `make book` and `make test` (see README.md).
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CHECK   := _build/check
export PYTHONHASHSEED := 0

.PHONY: book test unit unit-jax nbval nbval-jax site site-check bench outputs strip clean help

help:
	@echo "make book   build the site with executed notebooks (book profile) into _build/html"
	@echo "make test   library and structure tests, notebooks under nbval (smoke), site build + browser check"
	@echo "make bench  run every notebook in the book profile; table of results and run times"
	@echo "make outputs  re-run notebooks (smoke) and store the outputs of # NBVAL_CHECK_OUTPUT cells"

# One environment for everything: exact pins, then the library (editable).
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	DLARCH_PROFILE=$${DLARCH_PROFILE:-book} $(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "Site: _build/html/index.html"

test: unit unit-jax nbval nbval-jax site site-check

# Unit tests run UNIT_WORKERS at a time (pytest-xdist); UNIT_WORKERS=0 runs them one by one.
UNIT_WORKERS ?= 2

unit: $(STAMP)
	DLARCH_PROFILE=smoke $(BIN)/python -m pytest tests -q --ignore=tests/site -n $(UNIT_WORKERS)

# The JAX backend (CPU). Keras on JAX compiles every new program with XLA, and the tests
# compile the same small programs again and again (a fresh closure per call defeats JAX's
# in-memory cache); JAX's persistent compilation cache, kept in _build, serves the repeats.
JAX_ENV := KERAS_BACKEND=jax JAX_COMPILATION_CACHE_DIR=$(CURDIR)/_build/jax-cache \
    JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=0

# The same unit tests on JAX: TensorFlow-only mechanisms skip with their reason (tests/conftest.py).
unit-jax: $(STAMP)
	$(JAX_ENV) DLARCH_PROFILE=smoke $(BIN)/python -m pytest tests -q --ignore=tests/site -n $(UNIT_WORKERS)

# Kernels for nbval and `make outputs` leave the C++ libraries' own log lines
# (TensorFlow's start-up and CUDA probes, which differ by machine and land in
# whichever cell is running) on the terminal; Python warnings still reach cells.
KERNEL_PROFILE := _build/ipython/profile_default/ipython_kernel_config.py
$(KERNEL_PROFILE):
	mkdir -p $(dir $@)
	echo "c.IPKernelApp.capture_fd_output = False" > $@

# Notebooks run NBVAL_WORKERS at a time (pytest-xdist); --dist loadscope keeps each
# notebook's cells in order on one worker. NBVAL_WORKERS=0 runs them one by one.
NBVAL_WORKERS ?= 2

nbval: $(STAMP) $(KERNEL_PROFILE)
	# Smoke numbers are meaningless as results: keep them out of _build/results.jsonl.
	IPYTHONDIR=$(CURDIR)/_build/ipython DLARCH_PROFILE=smoke DLARCH_RESULTS=$(CURDIR)/_build/smoke-results.jsonl $(BIN)/python -m pytest --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with nbval_sanitize.cfg -n $(NBVAL_WORKERS) --dist loadscope -q chapters/

# A handful of notebooks again on JAX, one per kind of model the library builds: an MLP,
# a CNN, recurrent cells, attention, Transformer blocks, a custom train_step (GAN, VAE).
# The GradientTape lessons (01/01, 01/03, 03/01, 06/01) are TensorFlow by design.
NBVAL_JAX := chapters/01-neurons/02-xor-and-mlp.ipynb chapters/02-cnn/03-lenet5.ipynb \
    chapters/03-rnn/03-lstm-gru.ipynb chapters/04-seq2seq/02-attention.ipynb \
    chapters/05-transformer/02-transformer-blocks.ipynb chapters/06-gan/02-dcgan.ipynb \
    chapters/07-autoencoder/04-vae.ipynb

nbval-jax: $(STAMP) $(KERNEL_PROFILE)
	$(JAX_ENV) IPYTHONDIR=$(CURDIR)/_build/ipython DLARCH_PROFILE=smoke DLARCH_RESULTS=$(CURDIR)/_build/smoke-results.jsonl $(BIN)/python -m pytest --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with nbval_sanitize.cfg -n $(NBVAL_WORKERS) --dist loadscope -q $(NBVAL_JAX)

# Site build with warnings as errors. Only the introduction and chapter 01 are
# executed (smoke profile), so the browser check has real figures to look at;
# every other notebook is already executed by the nbval step above.
site: $(STAMP)
	$(BIN)/python scripts/check_site_config.py $(CHECK)/_config.yml
	DLARCH_PROFILE=smoke DLARCH_RESULTS=$(CURDIR)/_build/smoke-results.jsonl $(BIN)/jupyter-book build . --config $(CHECK)/_config.yml \
	    --path-output $(CHECK) --warningiserror --keep-going

site-check: site
	DLARCH_SITE=$(CHECK)/_build/html $(BIN)/python -m pytest tests/site -q

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(NOTEBOOKS)

# Outputs of cells marked # NBVAL_CHECK_OUTPUT are committed and compared by nbval;
# after an intended change, refresh them (smoke profile, run twice) and review the diff.
outputs: $(STAMP) $(KERNEL_PROFILE)
	IPYTHONDIR=$(CURDIR)/_build/ipython $(BIN)/python scripts/notebook_outputs.py refresh $(NOTEBOOKS)

strip: $(STAMP)
	$(BIN)/python scripts/notebook_outputs.py strip $(NOTEBOOKS)

clean:
	rm -rf _build
