"""Word boundaries moved onto the speech the audio shows (``asr.timing.snap``).

Whisper's word timings come from cross-attention and drift at pauses: the first word
after a silence often starts in the silence (a cue then appears before anyone speaks),
the last word before one ends late. A word boundary that lies where fine Silero VAD
(subvox.asr.speechmap) hears no speech is moved to the nearest edge of the speech inside
the word; words already on speech, and words with no speech under them, keep their times.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from subvox.asr.base import Segment
from subvox.asr.speechmap import speech_spans

CONTEXT_S = 1.0


def _inside(t: float, spans: list[tuple[float, float]]) -> bool:
    return any(a <= t <= b for a, b in spans)


def snap_segment(seg: Segment, spans: list[tuple[float, float]]) -> int:
    """Move the segment's word boundaries that lie in silence onto its speech; returns words moved."""
    moved = 0
    for w in seg.words:
        under = [(max(a, w.start), min(b, w.end)) for a, b in spans if b > w.start and a < w.end]
        if not under:
            continue
        start, end = w.start, w.end
        if not _inside(w.start, spans):
            start = under[0][0]
        if not _inside(w.end, spans):
            end = under[-1][1]
        if end > start and (start, end) != (w.start, w.end):
            w.start, w.end = float(start), float(end)
            moved += 1
    if seg.words:
        seg.start, seg.end = seg.words[0].start, seg.words[-1].end
    return moved


def snap_words(segments: list[Segment], audio: np.ndarray, vad_threshold: float = 0.5) -> dict[str, Any]:
    """Snap every segment's words; a summary for the transcript (words moved, total shift)."""
    moved, shift = 0, 0.0
    for seg in segments:
        if not seg.words:
            continue
        spans = speech_spans(audio, seg.start - CONTEXT_S, seg.end + CONTEXT_S, vad_threshold)
        before = [(w.start, w.end) for w in seg.words]
        moved += snap_segment(seg, spans)
        shift += sum(abs(w.start - a) + abs(w.end - b) for w, (a, b) in zip(seg.words, before, strict=True))
    ends = [s.end for s in segments]
    return {
        "start": 0.0,
        "end": round(float(max(ends, default=0.0)), 3),
        "action": "snapped",
        "reason": "word boundaries in silence moved onto the speech (asr.timing.snap)",
        "words": moved,
        "shift_s": round(shift, 3),
    }
