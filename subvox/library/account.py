"""The end-of-run account: what this run finished, what failed, what was done before it."""

from __future__ import annotations

import contextlib
import json
import os

from subvox.library.layout import Layout, batch_results_path, markers

FILE_CLOCK_SLACK_S = 0.05  # file times come from the kernel's coarse clock, a tick behind time.time()


def worked_on(layout: Layout, stem: str, since: float) -> bool:
    """Some stage finished ``stem`` at or after ``since`` (markers carry the media's mtime, see
    ``stamp``; their ctime is when they were written)."""
    for path in markers(layout, stem):
        with contextlib.suppress(OSError):
            if os.stat(path).st_ctime >= since - FILE_CLOCK_SLACK_S:
                return True
    return False


def run_account(
    layout: Layout, batches: list[str], paths: dict[str, str], done: set[str], failed: list[str], since: float
) -> str:
    """One line: files some stage finished in this run, failed, already done before it (``paths``:
    stem -> media; ``done``: the stems done now), and the hours and real-time factor of what was
    transcribed."""
    audio = seconds = 0.0
    for key in batches:
        path = batch_results_path(layout, key)
        with contextlib.suppress(OSError):
            if os.path.getmtime(path) < since:
                continue  # left by an earlier run of the same batch
        try:
            with open(path, encoding="utf-8") as fh:
                files = json.load(fh)["files"]
        except (OSError, ValueError):
            continue
        for f in files:
            if f.get("status") == "done":
                audio += f.get("audio_s", 0.0)
                seconds += f.get("prepare_s", 0.0) + f.get("transcribe_s", 0.0)
    worked = {s for s in paths if worked_on(layout, s, since)}
    rtf = f", real-time factor {seconds / audio:.3f}" if audio else ""
    return (
        f"{len(worked)} files processed, {len(failed)} failed, {len(done - worked)} already done; "
        f"{audio / 3600:.2f} h of audio{rtf}"
    )
