"""Per-file failure records, so one broken file costs nothing but its own outputs.

A failing job leaves a small marker (input, stage, one-line reason) under
``OUTPUT/_subvox/failed/``; when the run ends, ``OUTPUT/failed.tsv`` lists every file
of the library that has one. A rerun retries exactly those files (their outputs are
missing), and a success clears the marker.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from subvox.errors import SubvoxError
from subvox.library.atomic import read_json, write_json, write_text
from subvox.library.discover import WORK_DIRNAME, Skipped

if TYPE_CHECKING:
    from subvox.library.layout import Item, Layout

log = logging.getLogger("subvox")

COLUMNS = ("input", "stage", "reason")


def marker_path(output_dir: str | os.PathLike[str], stem: str) -> Path:
    return Path(output_dir) / WORK_DIRNAME / "failed" / f"{stem}.json"


def record_failure(output_dir: str | os.PathLike[str], stem: str, source: str, stage: str, reason: str) -> None:
    write_json(marker_path(output_dir, stem), {"input": source, "stage": stage, "reason": reason})


def failure_reason(output_dir: str | os.PathLike[str], stem: str) -> str | None:
    """The recorded reason of a file's last failure ("stage: reason"), if any."""
    path = marker_path(output_dir, stem)
    if not path.is_file():
        return None
    record = read_json(path)
    return f"{record['stage']}: {record['reason']}"


def clear_failure(output_dir: str | os.PathLike[str], stem: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        marker_path(output_dir, stem).unlink()


def failed_tsv(output_dir: str | os.PathLike[str], stems: list[str]) -> tuple[str, list[str]]:
    """``failed.tsv`` text and the inputs it names: those of ``stems`` (files without current
    outputs) that have a failure record."""
    rows = []
    for stem in sorted(stems):
        path = marker_path(output_dir, stem)
        if path.is_file():
            rows.append(read_json(path))
    return _tsv(COLUMNS, rows), [row["input"] for row in rows]


def _tsv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:  # unchanged: keep its mtime
        write_text(path, text)


def write_failed_tsv(output_dir: str | os.PathLike[str], stems: list[str]) -> list[str]:
    """Write ``OUTPUT/failed.tsv`` (header only when nothing failed); return the inputs it names."""
    text, inputs = failed_tsv(output_dir, stems)
    _write_if_changed(Path(output_dir) / "failed.tsv", text)
    return inputs


def write_skipped_tsv(output_dir: str | os.PathLike[str], skipped: list[Skipped]) -> int:
    """Write ``OUTPUT/skipped.tsv``: entries named like media that discovery left out, and why."""
    rows = [{"entry": s.name, "reason": s.reason} for s in skipped]
    _write_if_changed(Path(output_dir) / "skipped.tsv", _tsv(("entry", "reason"), rows))
    return len(rows)


def report_failure(layout: Layout, item: Item, stage: str, exc: BaseException) -> dict[str, Any]:
    """Say why ``item`` failed (console, job log, failure marker) and give its batch-result row."""
    if isinstance(exc, SubvoxError):
        reason = str(exc).replace(item.media, item.relpath)  # as the library names it: reports move
    else:
        traceback.print_exc()
        reason = f"{item.relpath}: unexpected {type(exc).__name__}: {' '.join(str(exc).split())}"
    print(f"subvox: {stage}: {reason}", file=sys.__stderr__, flush=True)
    log.error("%s: %s", stage, reason)
    record_failure(layout.out, item.stem, item.relpath, stage, reason)
    return {"source": item.relpath, "status": "failed", "stage": stage, "reason": reason}
