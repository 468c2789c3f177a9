# Two commands do all set-up on a fresh machine (see README):
#   make example   set up .venv and subtitle the bundled example (example/media -> example/output)
#   make test      set up .venv and run the whole test suite (slow tests included)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# CPU-only machines elsewhere: make venv TORCH_INDEX=<PyTorch's CPU wheel index URL>
TORCH_INDEX ?=
PIP_TORCH_ARGS := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)
# Offline translation (translation.targets): Apertium and its language pairs (Debian packages);
# add the pairs your targets need, e.g. make venv APERTIUM_PAIRS="apertium apertium-eng-spa apertium-en-gl"
APERTIUM_PAIRS ?= apertium apertium-eng-spa apertium-eng-cat

.PHONY: example test venv system-deps test-deps lint clean

system-deps:
	@if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng >/dev/null; \
	else echo "subvox needs ffmpeg, ffprobe and espeak-ng on PATH (e.g. sudo apt-get install ffmpeg espeak-ng)" >&2; exit 1; fi
	@if $(PYTHON) -c 'import sys; sys.path.insert(0, "."); from subvox.workflow.allocator import find_jemalloc; sys.exit(not find_jemalloc())'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null; \
	else echo "optional: libjemalloc2 (jobs run faster with flat memory; see allocator in the README)" >&2; fi
	@if command -v apertium >/dev/null 2>&1 && dpkg-query -W $(APERTIUM_PAIRS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APERTIUM_PAIRS) >/dev/null; \
	else echo "translation (translation.targets) needs Apertium: sudo apt-get install $(APERTIUM_PAIRS)" >&2; fi

# The test suite also starts a real two-node SLURM (Debian's slurm-wlm and munge) and
# opens the HTML report in headless Chromium.
test-deps:
	@if command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge chromium >/dev/null; \
	else echo "the tests need slurm-wlm, munge and chromium (root): sudo apt-get install slurm-wlm munge chromium" >&2; fi

$(BIN)/.installed: envs/requirements.txt envs/requirements-dev.txt envs/requirements-nodeps.txt envs/requirements-outetts.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned: anything else asking for torch would pull a CUDA build
	$(BIN)/pip install -q $(PIP_TORCH_ARGS) torch==2.13.0
	$(BIN)/pip install -q -r envs/requirements.txt -r envs/requirements-dev.txt
	$(BIN)/pip install -q --no-deps -r envs/requirements-nodeps.txt
	# OuteTTS (optional engine, tested here with tiny models): --no-deps and torchaudio's
	# CUDA-linked extension removed; why: envs/requirements-outetts.txt
	$(BIN)/pip install -q --no-deps -r envs/requirements-outetts.txt
	$(BIN)/python -c "import importlib.util as u, pathlib as p; [f.unlink() for f in (p.Path(u.find_spec('torchaudio').origin).parent / 'lib').glob('*.so')]"
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -c "import faster_whisper, whisper, piper, resemblyzer, snakemake, subvox"
	touch $@

venv: system-deps $(BIN)/.installed

example: venv
	$(BIN)/snakemake --cores 2 --config input_dir=example/media output_dir=example/output
	@echo "Subtitles written under example/output/ (e.g. example/output/jfk.srt)"

test: venv test-deps
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint

clean:
	rm -rf example/output .snakemake
