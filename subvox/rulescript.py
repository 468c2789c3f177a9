"""Glue for Snakemake rule scripts: logging to the rule's log and one-line failures.

Rule scripts stay thin: they call ``run(snakemake, main)``; all logic lives in the package.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

from subvox.errors import SubvoxError

log = logging.getLogger("subvox")


def run(smk: Any, main: Callable[[Any], None]) -> None:
    """Run ``main(smk)`` with stdout/stderr sent to the rule's log file.

    A SubvoxError becomes a single line ``subvox: <rule>: <reason>`` in the log and on
    the console; anything unexpected also gets its traceback in the log. Exit status 1
    tells Snakemake the job failed (its outputs are then removed).
    """
    console = sys.__stderr__
    log_path = smk.log[0] if len(smk.log) else None
    with open(log_path, "w", encoding="utf-8") if log_path else contextlib.nullcontext(sys.stderr) as fh:
        with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
            logging.basicConfig(stream=fh, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                                force=True)
            try:
                main(smk)
            except SubvoxError as exc:
                line = f"subvox: {smk.rule}: {exc}"
                print(line, file=fh, flush=True)
                print(line, file=console, flush=True)
                sys.exit(1)
            except Exception as exc:
                traceback.print_exc(file=fh)
                line = f"subvox: {smk.rule}: unexpected {type(exc).__name__}: {exc}"
                print(line, file=fh, flush=True)
                print(line, file=console, flush=True)
                sys.exit(1)
