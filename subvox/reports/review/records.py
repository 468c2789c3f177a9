"""What the review pages say about each file: its QA figures and the flags that need a person.

A file needs attention when it failed, or when QA flagged it: cues too fast to read,
hallucinated segments dropped, cues whose words Whisper was unsure of (mean word probability
under ``report.low_confidence``), dub cues that overflow their slot, or a dub whose round-trip
WER exceeds ``report.max_dub_wer``. The overview lists failures first, then files with more
kinds of flags, then more flagged items, then by name.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from typing import Any

from subvox.library.atomic import read_json
from subvox.library.failures import failure_reason

# (key, label on the overview, short badge text); a row's flags are a bit mask in this order
FLAGS = (
    ("failed", "failed", "failed"),
    ("fast", "fast cues", "fast"),
    ("dropped", "dropped hallucinations", "dropped"),
    ("low_confidence", "low-confidence cues", "low conf."),
    ("overflows", "dub overflows", "overflow"),
    ("dub_wer", "high round-trip WER", "dub WER"),
)


@dataclass
class Record:
    """One file of the library as the review pages show it."""

    stem: str
    media: str
    source: str
    failed: str | None = None  # "stage: reason" from failed.tsv
    qa: dict[str, Any] = field(default_factory=dict)
    dub: dict[str, Any] = field(default_factory=dict)
    rtf: float | None = None
    counts: dict[str, int] = field(default_factory=dict)  # flagged items per flag key
    has_page: bool = False

    @property
    def flags(self) -> int:
        return sum(1 << i for i, (key, _, _) in enumerate(FLAGS) if self.counts.get(key))

    def attention(self) -> tuple[int, int, int, str]:
        """Sort key: failures first, then more kinds of flags, then more flagged items."""
        kinds = sum(1 for k, n in self.counts.items() if n and k != "failed")
        return (0 if self.failed else 1, -kinds, -sum(self.counts.values()), self.source)


def cue_confidence(data: dict[str, Any]) -> list[float | None]:
    """Mean probability of the words inside each cue (None for a cue without word timings)."""
    words = sorted(
        (w for s in data.get("segments", []) for w in s.get("words") or [] if w.get("probability") is not None),
        key=lambda w: w["start"],
    )
    starts = [w["start"] for w in words]
    out: list[float | None] = []
    for cue in data.get("cues", []):
        k = bisect.bisect_left(starts, cue["start"] - 0.01)
        probs = []
        while k < len(words) and words[k]["start"] <= cue["end"] + 0.01:
            if words[k]["end"] <= cue["end"] + 0.01:
                probs.append(words[k]["probability"])
            k += 1
        out.append(sum(probs) / len(probs) if probs else None)
    return out


def low_confidence(confidence: list[float | None], threshold: float) -> int:
    return sum(1 for c in confidence if c is not None and c < threshold)


def collect(files: list[tuple[str, str, str]], layout: Any, conf: dict[str, Any]) -> list[Record]:
    """A record per library file, in attention order. Failures come from the per-file failure
    records (written as a job fails, cleared when the file succeeds), so a report made during
    a run is as current as one made after it."""
    records = []
    for stem, media, source in files:
        rec = Record(stem, media, source, failed=failure_reason(layout.out, stem))
        try:
            _fill(rec, layout, conf)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # one unreadable file costs only itself
            rec.failed = rec.failed or f"report: unreadable outputs ({type(exc).__name__}: {exc})"
            rec.has_page = False
        if rec.failed:
            rec.counts["failed"] = 1
        records.append(rec)
    return sorted(records, key=Record.attention)


def _fill(rec: Record, layout: Any, conf: dict[str, Any]) -> None:
    if not os.path.isfile(layout.qa(rec.stem)):
        return
    rec.qa = read_json(layout.qa(rec.stem))
    rec.counts["fast"] = rec.qa.get("fast_cues", 0)
    rec.counts["dropped"] = rec.qa.get("dropped_hallucinations", 0)
    timing = read_json(layout.timing(rec.stem)) if os.path.isfile(layout.timing(rec.stem)) else {}
    if timing.get("audio_s"):
        rec.rtf = round(timing["transcribe_s"] / timing["audio_s"], 3)
    transcript = layout.outputs(rec.stem).get("json")
    if transcript and os.path.isfile(transcript):
        data = read_json(transcript)
        rec.counts["low_confidence"] = low_confidence(cue_confidence(data), conf["low_confidence"])
        rec.qa["speakers_n"] = len(data.get("speakers", {}).get("speakers", {})) or None
        rec.has_page = True
    if layout.revoice and os.path.isfile(layout.dub_qa(rec.stem)):
        rec.dub = read_json(layout.dub_qa(rec.stem))
        rec.counts["overflows"] = rec.dub.get("overflows", 0)
        wer = rec.dub.get("roundtrip_wer")
        rec.counts["dub_wer"] = int(wer is not None and wer > conf["max_dub_wer"])
