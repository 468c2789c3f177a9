"""Self-cloning: each speaker of a file dubbed in a clone of their own voice (OuteTTS).

A speakers entry with ``self_clone: true`` has no reference clip of its own: for every file
and speaker it is given, the reference is that speaker's *cleanest* 10-15 s of the file,
chosen from subvox's own word timings: consecutive words of that speaker alone (no other
speaker's turn over them, no pause over ``MAX_PAUSE_S``), the stretch with the highest mean
word probability, the earliest on a tie. The clip is cut from the original audio at the
codec's rate, its words shifted to the clip, and the OuteTTS profile built from them, so no
aligner and no download is needed. The interface loads once per job; each clone reuses it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.revoice import timing
from subvox.revoice.profiles import REFERENCE_LIMITS_S, REFERENCE_RATE
from subvox.revoice.tts.registry import build_profile, load_voice

WANT_S = (10.0, 15.0)  # what cloning wants
MIN_S = REFERENCE_LIMITS_S[0]  # a speaker with less clean speech than this cannot be cloned
MAX_PAUSE_S = 1.0
MARGIN_S = 0.1


def _runs(words: list[dict[str, Any]], speaker: str | None, turns: list[dict[str, Any]]) -> list[list[dict]]:
    """Stretches of consecutive words of ``speaker`` alone, split at long pauses."""

    def alone(w: dict[str, Any]) -> bool:
        others = (t for t in turns if t["speaker"] != speaker)
        return not any(t["start"] < w["end"] and w["start"] < t["end"] for t in others)

    runs: list[list[dict]] = [[]]
    for w in words:
        ok = w.get("speaker") == speaker and (speaker is None or alone(w))
        if not ok or (runs[-1] and w["start"] - runs[-1][-1]["end"] > MAX_PAUSE_S):
            runs.append([])
        if ok:
            runs[-1].append(w)
    return [r for r in runs if r]


def cleanest_span(
    words: list[dict[str, Any]], speaker: str | None, turns: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The words of ``speaker``'s cleanest stretch: 10-15 s when there is one, else the longest
    clean one of at least ``MIN_S``; [] when the speaker has too little clean speech."""
    best: tuple[float, float, float] | None = None
    chosen: list[dict[str, Any]] = []
    for run in _runs(words, speaker, turns):
        for i in range(len(run)):
            j = i
            while j + 1 < len(run) and run[j + 1]["end"] - run[i]["start"] <= WANT_S[1]:
                j += 1
            span = run[i : j + 1]
            length = span[-1]["end"] - span[0]["start"]
            if length < MIN_S:
                continue
            score = (min(length, WANT_S[0]), float(np.mean([w["probability"] for w in span])), -span[0]["start"])
            if best is None or score > best:
                best, chosen = score, span
    return chosen


class SelfClones:
    """Clones of a job's speakers, one per (file, speaker), sharing one loaded OuteTTS interface."""

    def __init__(self, speaker: dict[str, Any], device: str) -> None:
        self.speaker = speaker
        self.device = device
        self._base: Any = None

    def voice(
        self, words: list[dict[str, Any]], label: str | None, turns: list, original: Any, rate: int, tmp: str
    ) -> Any:
        """The voice of ``label`` cloned from its cleanest stretch of ``original`` (mono float at ``rate``)."""
        span = cleanest_span(words, label, turns)
        if not span:
            raise SubvoxError(f"speaker {label or 'of the file'}: less than {MIN_S:g} s of clean speech to clone")
        a = max(0.0, span[0]["start"] - MARGIN_S)
        b = span[-1]["end"] + MARGIN_S
        clip = timing.resample(
            np.asarray(original[round(a * rate) : round(b * rate)], np.float32), rate, REFERENCE_RATE
        )
        import soundfile

        wav = os.path.join(tmp, f"self-{label or 'all'}.wav")
        soundfile.write(wav, clip, REFERENCE_RATE, subtype="PCM_16")
        ref = {
            "audio": wav,
            "text": " ".join(w["word"].strip() for w in span),
            "words": [
                {"word": w["word"].strip(), "start": round(w["start"] - a, 3), "end": round(w["end"] - a, 3)}
                for w in span
                if w["word"].strip()
            ],
        }
        profile = build_profile(self.speaker, ref, self.device)
        if self._base is None:
            self._base = load_voice(self.speaker, profile, self.device)
            return self._base
        return self._base.with_profile(profile)
