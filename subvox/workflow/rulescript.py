"""Glue for Snakemake rule scripts: logging to the rule's log and one-line failures.

Rule scripts stay thin: they call ``run(snakemake, main)``; all logic lives in the package.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from subvox.errors import SubvoxError
from subvox.workflow import allocator

log = logging.getLogger("subvox")


def run(smk: Any, main: Callable[[Any], None]) -> None:
    """Run ``main(smk)`` with stdout/stderr sent to the rule's log file, hub access off if offline.

    A SubvoxError becomes a single line ``subvox: <rule>: <reason>`` in the log and on
    the console; anything unexpected also gets its traceback in the log. Exit status 1
    tells Snakemake the job failed (its outputs are then removed).
    """
    malloc = allocator.tune()
    if smk.config.get("offline", True):
        os.environ["HF_HUB_OFFLINE"] = "1"  # no model hub access from jobs (air-gapped nodes)
    log_path = smk.log[0] if len(smk.log) else None
    # backslashreplace: a stray name that is not UTF-8 is shown as \xNN, never a logging error
    sink = (
        open(log_path, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
        if log_path
        else contextlib.nullcontext(sys.stderr)
    )
    with sink as fh, contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
        logging.basicConfig(stream=fh, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
        log.info(malloc)
        try:
            main(smk)
        except SubvoxError as exc:
            _fail(smk, fh, str(exc))
        except Exception as exc:
            traceback.print_exc(file=fh)
            _fail(smk, fh, f"unexpected {type(exc).__name__}: {exc}")


def _fail(smk: Any, log_file: Any, reason: str) -> None:
    """Report the reason in the log and on the console, then exit non-zero.

    (Per-file failures inside a batch are recorded for failed.tsv by subvox.subtitles.job.)
    """
    line = f"subvox: {smk.rule}: {' '.join(reason.split())}"
    for stream in (log_file, sys.__stderr__):
        print(line, file=stream, flush=True)
    sys.exit(1)
