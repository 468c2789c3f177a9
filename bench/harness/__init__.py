"""The bench/ scripts' shared harness: one place for what every benchmark needs.

    clips     the REAL English speech clips with human references (tests/data and
              ../shared/data manifests), decoded to 16 kHz mono, and looped tracks of them
    memory    this process's RSS (/proc/self/status), its peak (VmHWM), CPU seconds, and a
              thread sampling RSS while something runs
    worker    one workflow-job measurement (load a model, memory-map a WAV, transcribe_audio
              with config/config.yaml's options) in a fresh process, and running one
    staging   model files staged/converted as the workflow's `models` target does
    machine   CPU, cores, RAM, load average, package versions, commit
    stats     median [min, max], grouping of runs, markdown tables, grouped bar plots
    scoring   word error rate and word counts against the references (subvox.asr.wer)
    workflow  a Snakemake run of the repository's Snakefile in a fresh process

Importing it puts the repository root first on sys.path, so ``subvox`` imports from this
checkout. Nothing here imports numpy, torch or subvox at import time: a worker process times
its own imports.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
SAMPLE_RATE = 16000

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
