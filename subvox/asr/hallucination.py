"""Text over non-speech, judged against the audio: Whisper's own scores are not enough.

A 0.7-s laugh or breath comes out as "Thank you." with a no-speech probability of 0.6-0.85
and an average log-probability just above -1.0, so Whisper's rule (both must fail) keeps
it. Here each segment that is a known non-speech phrase (subvox.asr.phrases), or that
Whisper itself doubts (no-speech probability at or above ``unheard_no_speech``), is
weighed on four pieces of evidence:

- ``no_speech``: Whisper's no-speech probability is at least ``phrase_no_speech``;
- ``unlikely_first_word``: the first word's probability is below ``phrase_first_word``;
- ``no_vad_speech``: Silero VAD (fine-grained, on the audio around the segment) hears
  speech in less than ``min_vad_share`` of the segment;
- ``background_energy``: the segment's loud frames are within ``background_db`` of the
  local noise floor (the quietest tenth of the 3 s each side and the segment).

A known phrase goes with any one of them; other text only when VAD hears no speech under
it and Whisper doubts it too. Every candidate's evidence and the verdict ("dropped" or
"kept") is recorded in the transcript's ``guards`` list, so a dropped line can be audited.
Audio is read only around candidates (a memory map is never read whole).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from subvox.asr.base import Segment, Transcript
from subvox.asr.guards import GuardOptions
from subvox.asr.phrases import known_phrase
from subvox.asr.snap import snap_words
from subvox.asr.speechmap import as_float, speech_spans

RATE = 16000
FRAME = 480  # 30 ms
CONTEXT_S = 3.0  # each side of a segment, for the local noise floor
VAD_PAD_S = 1.0  # each side of a segment, so Silero has context


def _frames_db(x: np.ndarray) -> np.ndarray:
    """Level of each 30-ms frame in dBFS (float samples in [-1, 1])."""
    n = len(x) // FRAME
    if n == 0:
        return np.array([-100.0])
    rms = np.sqrt(np.mean(x[: n * FRAME].reshape(n, FRAME).astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-5))


def vad_share(audio: np.ndarray, start: float, end: float, threshold: float = 0.5) -> float:
    """Share of [start, end] s that Silero VAD calls speech (heard with a second of context)."""
    if end <= start:
        return 0.0
    spans = speech_spans(audio, start - VAD_PAD_S, end + VAD_PAD_S, threshold)
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans) / (end - start)


def above_floor_db(audio: np.ndarray, start: float, end: float) -> float:
    """How far (dB) the segment's loud frames (90th percentile) rise above the local floor."""
    a, b = int(start * RATE), int(end * RATE)
    around = _frames_db(as_float(audio, a - int(CONTEXT_S * RATE), b + int(CONTEXT_S * RATE)))
    inside = _frames_db(as_float(audio, a, b))
    return float(np.percentile(inside, 90) - np.percentile(around, 10))


def evidence(seg: Segment, audio: np.ndarray, opts: GuardOptions, vad_threshold: float) -> dict[str, Any]:
    """The measured values for one segment and the signals they raise."""
    first = seg.words[0].probability if seg.words else None
    share = vad_share(audio, seg.start, seg.end, vad_threshold)
    rise = above_floor_db(audio, seg.start, seg.end)
    nsp = seg.no_speech_prob or 0.0
    signals = []
    if nsp >= opts.phrase_no_speech:
        signals.append("no_speech")
    if first is not None and first < opts.phrase_first_word:
        signals.append("unlikely_first_word")
    if share < opts.min_vad_share:
        signals.append("no_vad_speech")
    if rise < opts.background_db:
        signals.append("background_energy")
    return {
        "no_speech_prob": round(float(nsp), 4),
        "first_word_probability": None if first is None else round(float(first), 4),
        "vad_speech_share": round(share, 3),
        "above_floor_db": round(rise, 1),
        "signals": signals,
    }


def verdict(seg: Segment, found: dict[str, Any], opts: GuardOptions, phrase: bool) -> str | None:
    """Why the segment is dropped, or None to keep it."""
    signals = found["signals"]
    if phrase and signals:
        return "known non-speech phrase (" + ", ".join(signals) + ")"
    if (
        "no_vad_speech" in signals
        and found["vad_speech_share"] < 0.1
        and found["no_speech_prob"] >= opts.unheard_no_speech
    ):
        return "no speech heard (VAD) and doubted by Whisper (no_speech_prob)"
    return None


def screen(transcript: Transcript, audio: np.ndarray, opts: GuardOptions, vad_threshold: float = 0.5) -> None:
    """Drop the segments the audio shows to be non-speech; record every candidate's verdict."""
    if not opts.phrases or audio is None:
        return
    kept: list[Segment] = []
    for seg in transcript.segments:
        phrase = known_phrase(seg.text)
        if not phrase and (seg.no_speech_prob or 0.0) < opts.unheard_no_speech:
            kept.append(seg)
            continue
        found = evidence(seg, audio, opts, vad_threshold)
        reason = verdict(seg, found, opts, phrase)
        event = {
            "start": round(float(seg.start), 3),
            "end": round(float(seg.end), 3),
            "action": "dropped" if reason else "kept",
            "reason": reason
            or ("known non-speech phrase, but the audio shows speech" if phrase else "doubted, but heard"),
            "text": seg.text.strip(),
            "evidence": found,
        }
        transcript.guards.append(event)
        if not reason:
            kept.append(seg)
    transcript.guards.sort(key=lambda e: (e["start"], e["end"]))
    for i, seg in enumerate(kept):
        seg.id = i
    transcript.segments = kept


class AudioScreen:
    """Pairs each file request with its finished transcripts, then screens them with its audio.

    ``transcribe_files`` reads requests lazily and yields results as files finish; this
    remembers each request's audio (a memory map: no samples are held) until its result.
    """

    def __init__(self, requests: Iterable[Any]):
        self._requests = iter(requests)
        self._waiting: dict[int, deque[Any]] = {}

    def requests(self) -> Iterator[Any]:
        for request in self._requests:
            self._waiting.setdefault(id(request.key), deque()).append(request)
            yield request

    def results(self, finished: Iterable[Any]) -> Iterator[Any]:
        for done in finished:
            queue = self._waiting.get(id(done.key))
            request = queue.popleft() if queue else None
            if queue is not None and not queue:
                del self._waiting[id(done.key)]
            if request is not None and done.error is None:
                opts = request.guards or GuardOptions()
                for t in done.transcripts:
                    screen(t, request.audio, opts, request.decode.vad_threshold)
                    if opts.snap and request.audio is not None:
                        t.guards.append(snap_words(t.segments, request.audio, request.decode.vad_threshold))
            yield done
