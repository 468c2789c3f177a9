"""Who said each word: speaker turns laid on Whisper's word timings.

A word belongs to the speaker whose turns cover most of it; a word no turn touches (the
diarizer's VAD and Whisper's timings disagree at the edges) goes to the nearest turn, so
every word of a diarized file has a speaker. A segment's speaker is the one holding most of
its words' time; the cue segmenter never puts two speakers in one cue.
"""

from __future__ import annotations

import bisect
from typing import Any


def _overlaps(turns: list[dict[str, Any]], starts: list[float], a: float, b: float) -> dict[str, float]:
    """Seconds of ``a``-``b`` each speaker's turns cover (turns sorted by start)."""
    covered: dict[str, float] = {}
    k = bisect.bisect_right(starts, b)
    for t in turns[:k]:
        if t["end"] > a:
            covered[t["speaker"]] = covered.get(t["speaker"], 0.0) + min(b, t["end"]) - max(a, t["start"])
    return covered


def _nearest(turns: list[dict[str, Any]], a: float, b: float) -> str:
    mid = (a + b) / 2
    return min(turns, key=lambda t: (max(t["start"] - mid, mid - t["end"], 0.0), t["start"]))["speaker"]


def speaker_at(turns: list[dict[str, Any]], starts: list[float], a: float, b: float) -> str:
    """The speaker of the interval ``a``-``b``: most covered time, ties to the earlier label."""
    covered = _overlaps(turns, starts, a, b)
    if not covered or max(covered.values()) <= 0.0:
        return _nearest(turns, a, b)
    return max(sorted(covered), key=lambda s: covered[s])


def label_transcript(transcript: dict[str, Any], turns: list[dict[str, Any]]) -> None:
    """Give every word and segment of ``transcript`` (a transcript dict) a ``speaker``, in place.

    With no turns (no speech found by the diarizer) nothing is labelled.
    """
    if not turns:
        return
    turns = sorted(turns, key=lambda t: (t["start"], t["end"], t["speaker"]))
    starts = [t["start"] for t in turns]
    for seg in transcript["segments"]:
        weight: dict[str, float] = {}
        for w in seg.get("words") or []:
            w["speaker"] = speaker_at(turns, starts, w["start"], max(w["end"], w["start"] + 0.01))
            weight[w["speaker"]] = weight.get(w["speaker"], 0.0) + max(w["end"] - w["start"], 0.01)
        if weight:
            seg["speaker"] = max(sorted(weight), key=lambda s: weight[s])
        else:
            seg["speaker"] = speaker_at(turns, starts, seg["start"], max(seg["end"], seg["start"] + 0.01))
