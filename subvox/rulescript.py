"""Glue for Snakemake rule scripts: logging to the rule's log and one-line failures.

Rule scripts stay thin: they call ``run(snakemake, main)``; all logic lives in the package.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from subvox.errors import SubvoxError

log = logging.getLogger("subvox")


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


def tune_allocator(mmap_threshold: int = 4 << 20) -> None:
    """Serve large allocations (audio pieces, features: >= 4 MiB) from their own mappings,
    returned to the system when freed. Otherwise glibc's heap fragments as a long recording is
    decoded piece after piece and RSS creeps up with file length. glibc only; else a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, mmap_threshold)


def run(smk: Any, main: Callable[[Any], None]) -> None:
    """Run ``main(smk)`` with stdout/stderr sent to the rule's log file, hub access off if offline.

    A SubvoxError becomes a single line ``subvox: <rule>: <reason>`` in the log and on
    the console; anything unexpected also gets its traceback in the log. Exit status 1
    tells Snakemake the job failed (its outputs are then removed).
    """
    tune_allocator()
    if smk.config.get("offline", True):
        os.environ["HF_HUB_OFFLINE"] = "1"  # no model hub access from jobs (air-gapped nodes)
    log_path = smk.log[0] if len(smk.log) else None
    sink = open(log_path, "w", encoding="utf-8") if log_path else contextlib.nullcontext(sys.stderr)  # noqa: SIM115
    with sink as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
        logging.basicConfig(stream=fh, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
        try:
            main(smk)
        except SubvoxError as exc:
            _fail(smk, fh, str(exc))
        except Exception as exc:
            traceback.print_exc(file=fh)
            _fail(smk, fh, f"unexpected {type(exc).__name__}: {exc}")


def _fail(smk: Any, log_file: Any, reason: str) -> None:
    """Report the reason in the log and on the console, then exit non-zero.

    (Per-file failures inside a batch are recorded for failed.tsv by subvox.batch.)
    """
    line = f"subvox: {smk.rule}: {' '.join(reason.split())}"
    for stream in (log_file, sys.__stderr__):
        print(line, file=stream, flush=True)
    sys.exit(1)
