"""RTTM (NIST Rich Transcription Time Marked) files: the usual exchange format for diarization.

One line per turn: ``SPEAKER <file> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``.
Writing is deterministic (turns sorted, times in milliseconds, fixed field layout) so the
same turns always give byte-identical files; reading accepts any whitespace and skips
other record types and comments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from subvox.speakers.base import Turn


def _check_token(value: str, what: str) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"RTTM {what} must be a non-empty token without whitespace: {value!r}")
    return value


def format_rttm(turns: Iterable[Turn], file_id: str) -> str:
    """RTTM text for one file's turns: sorted by start, end and speaker, times rounded to ms.
    Turns that round to zero duration are left out (RTTM durations must be positive)."""
    _check_token(file_id, "file id")
    lines = []
    for t in sorted(turns, key=lambda t: (round(t.start, 3), round(t.end, 3), t.speaker)):
        start = round(max(0.0, t.start) * 1000)
        dur = round(t.end * 1000) - start
        if dur <= 0:
            continue
        spk = _check_token(t.speaker, "speaker")
        lines.append(f"SPEAKER {file_id} 1 {start / 1000:.3f} {dur / 1000:.3f} <NA> <NA> {spk} <NA> <NA>\n")
    return "".join(lines)


def write_rttm(turns: Iterable[Turn], file_id: str, path: str | os.PathLike[str]) -> None:
    """Write one file's turns as RTTM (UTF-8, ``\\n`` line ends), replacing ``path``."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(format_rttm(turns, file_id))


def parse_rttm(text: str) -> dict[str, list[Turn]]:
    """File id -> turns (sorted) from RTTM text; only ``SPEAKER`` records are read."""
    out: dict[str, list[Turn]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";")) or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ValueError(f"RTTM line {n}: expected at least 8 fields, got {len(fields)}")
        try:
            start, dur = float(fields[3]), float(fields[4])
        except ValueError:
            raise ValueError(f"RTTM line {n}: bad start or duration {fields[3]!r} {fields[4]!r}") from None
        if dur < 0:
            raise ValueError(f"RTTM line {n}: negative duration")
        out.setdefault(fields[1], []).append(Turn(start, round(start + dur, 6), fields[7]))
    return {k: sorted(v) for k, v in out.items()}


def read_rttm(path: str | os.PathLike[str]) -> dict[str, list[Turn]]:
    """File id -> turns from an RTTM file."""
    with open(path, encoding="utf-8") as fh:
        return parse_rttm(fh.read())
