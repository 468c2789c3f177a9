"""Per-file quality figures for subtitles, and the run summary that lists them."""

from __future__ import annotations

import csv
import io
import itertools
import os
from typing import Any

from subvox.asr.wer import wer
from subvox.library.atomic import read_json, write_text
from subvox.subtitles.segment import Cue, CueLimits

SUMMARY_COLUMNS = (
    "source",
    "duration_s",
    "language",
    "languages",
    "cues",
    "max_line_chars",
    "max_cps",
    "fast_cues",
    "short_cues",
    "overlaps",
    "speech_coverage",
    "dropped_hallucinations",
    "wer",
    "dub_wer",
    "dub_similarity",
    "dub_overflows",
    "notes",
)
# columns filled from the dub's QA (OUTPUT/_subvox/qa/<stem>.revoice.json) when there is one
DUB_COLUMNS = {"dub_wer": "roundtrip_wer", "dub_similarity": "similarity_to_source", "dub_overflows": "overflows"}


def _coverage(cues: list[Cue], duration: float) -> float:
    """Share of the file's duration during which a cue is on screen."""
    covered, last_end = 0.0, 0.0
    for c in sorted(cues, key=lambda c: c.start):
        start = max(c.start, last_end)
        if c.end > start:
            covered += c.end - start
            last_end = c.end
    return covered / duration if duration > 0 else 0.0


def file_qa(transcript: dict[str, Any], cues: list[Cue], limits: CueLimits, reference: str | None = None) -> dict:
    """QA figures for one file; ``reference`` is a human transcript when one was supplied."""
    duration = float(transcript.get("duration") or 0.0)
    events = transcript.get("guards", [])
    dropped = sum(1 for e in events if e["action"] == "dropped")
    notes = []
    if not cues:
        notes.append(
            "no speech detected: zero cues" + (f" ({dropped} hallucinated segments dropped)" if dropped else "")
        )
    fast = sum(1 for c in cues if "fast" in c.flags)
    if fast:
        notes.append(f"{fast} cues above {limits.max_cps:g} characters/s")
    condensed = sum(1 for c in cues if "condensed" in c.flags)
    if condensed:  # their text is no longer verbatim: each cue lists what it dropped
        notes.append(f"{condensed} fast cues condensed (disfluencies left out of the cue text)")
    languages = [s["language"] for s in transcript.get("languages", [])]
    if len(set(languages)) > 1:
        notes.append("languages: " + " -> ".join(languages))
    text = " ".join(s["text"] for s in transcript.get("segments", []))
    qa: dict[str, Any] = {
        "duration_s": round(duration, 3),
        "language": transcript.get("language"),
        "language_probability": transcript.get("language_probability"),
        "languages": transcript.get("languages", []),
        "cues": len(cues),
        "words": sum(len(s.get("words") or []) for s in transcript.get("segments", [])),
        "max_line_chars": max((len(line) for c in cues for line in c.lines), default=0),
        "max_lines": max((len(c.lines) for c in cues), default=0),
        "max_cps": round(max((c.cps for c in cues), default=0.0), 2),
        "fast_cues": fast,
        "short_cues": sum(1 for c in cues if "short" in c.flags),
        "long_line_cues": sum(1 for c in cues if "long-line" in c.flags),
        "condensed_cues": condensed,
        "max_cue_duration": round(max((c.end - c.start for c in cues), default=0.0), 3),
        "overlaps": sum(1 for a, b in itertools.pairwise(cues) if b.start < a.end),
        "speech_coverage": round(_coverage(cues, duration), 4),
        "dropped_hallucinations": dropped,
        "trimmed_loops": sum(1 for e in events if e["action"] == "trimmed"),
        "wer": None,
        "notes": notes,
    }
    if reference is not None:
        qa["wer"] = round(wer(reference, text, transcript.get("language") or "en"), 4)
    return qa


def summary_row(source: str, qa: dict[str, Any]) -> dict[str, Any]:
    """One run-summary line for a file."""
    row = {k: qa.get(k) for k in SUMMARY_COLUMNS}
    row["source"] = source
    row["languages"] = ",".join(dict.fromkeys(s["language"] for s in qa.get("languages", [])))
    row["notes"] = "; ".join(qa.get("notes", []))
    return {k: "" if v is None else v for k, v in row.items()}


def summary_tsv(rows: list[dict[str, Any]]) -> str:
    """The run summary as TSV (sorted by source, stable)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=lambda r: r["source"]):
        writer.writerow(row)
    return buf.getvalue()


def summary_sources(path: str) -> set[str]:
    """The sources a written summary lists (one row each)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["source"] for row in csv.DictReader(fh, delimiter="\t")}


def write_summary(path: str, layout: Any, media: dict[str, str]) -> int:
    """Write the run summary from the per-file QA files on disk; returns the number of rows."""
    rows = []
    for stem in sorted(media):
        qa_path = layout.qa(stem)
        if os.path.isfile(qa_path):
            qa = read_json(qa_path)
            dub_path = layout.dub_qa(stem)
            if layout.revoice and os.path.isfile(dub_path):
                dub = read_json(dub_path)
                qa.update({col: dub.get(key) for col, key in DUB_COLUMNS.items()})
                qa["notes"] = [*qa.get("notes", []), *(f"dub: {n}" for n in dub.get("notes", []))]
            rows.append(summary_row(qa["source"], qa))
    write_text(path, summary_tsv(rows))
    return len(rows)
