"""Hallucination guards: keep Whisper from putting invented text on screen.

Whisper writes plausible text over silence, music, noise and laughter ("Thank you.",
"You", repeated phrases). Voice activity detection removes most non-speech before
decoding; these guards drop or repair what still gets through, and record every drop
so QA can report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from subvox.asr.base import Segment

# Whole-segment annotations of non-speech: [Music], (laughs), *applause*, ♪ ... ♪
_ANNOTATION = re.compile(r"^\W*(?:[\[(*][^\])*]{0,40}[\])*]\W*)+$|^[\s♪♫🎵🎶.,!-]*$")
_LAUGHTER = re.compile(r"^(?:\W*\b(?:ha|hah|haha|hahaha|he|hehe|heh|hee|ho)\b\W*)+$", re.IGNORECASE)


_PHRASE_KEYS = (
    "phrases",
    "phrase_no_speech",
    "phrase_first_word",
    "min_vad_share",
    "background_db",
    "unheard_no_speech",
)


@dataclass(frozen=True)
class GuardOptions:
    """Thresholds (the ``asr`` config section supplies Whisper's own three)."""

    no_speech_threshold: float | None = 0.6
    log_prob_threshold: float | None = -1.0
    compression_ratio_threshold: float | None = 2.4
    strong_no_speech: float = 0.85
    max_repeats: int = 3
    # known non-speech phrases ("Thank you.") checked against the audio (subvox.asr.hallucination)
    phrases: bool = True
    phrase_no_speech: float = 0.5
    phrase_first_word: float = 0.01
    min_vad_share: float = 0.3
    background_db: float = 8.0
    unheard_no_speech: float = 0.4
    snap: bool = True  # asr.timing.snap: word boundaries moved onto the speech (subvox.asr.snap)

    @classmethod
    def from_config(cls, asr: dict[str, Any]) -> GuardOptions:
        guards = asr.get("guards", {})
        return cls(
            no_speech_threshold=asr.get("no_speech_threshold", cls.no_speech_threshold),
            log_prob_threshold=asr.get("log_prob_threshold", cls.log_prob_threshold),
            compression_ratio_threshold=asr.get("compression_ratio_threshold", cls.compression_ratio_threshold),
            strong_no_speech=guards.get("strong_no_speech", cls.strong_no_speech),
            max_repeats=guards.get("max_repeats", cls.max_repeats),
            **{k: guards[k] for k in _PHRASE_KEYS if k in guards},
            snap=asr.get("timing", {}).get("snap", cls.snap),
        )


def _drop_reason(seg: Segment, opts: GuardOptions) -> str | None:
    text = seg.text.strip()
    nsp = seg.no_speech_prob or 0.0
    lp = seg.avg_logprob if seg.avg_logprob is not None else 0.0
    if not text:
        return "empty"
    if _ANNOTATION.match(text):
        return "non-speech annotation"
    if _LAUGHTER.match(text):
        return "laughter"
    if (
        opts.no_speech_threshold is not None
        and nsp > opts.no_speech_threshold
        and (opts.log_prob_threshold is None or lp < opts.log_prob_threshold)
    ):
        return "no speech (no_speech_prob and avg_logprob)"
    if nsp > opts.strong_no_speech:
        return "no speech (no_speech_prob)"
    cr = seg.compression_ratio or 0.0
    if opts.compression_ratio_threshold is not None and cr > opts.compression_ratio_threshold:
        return "repetitive text (compression ratio)"
    return None


def _loop_free(tokens: list[str], max_repeats: int, max_n: int = 8) -> list[int]:
    """Indices of ``tokens`` left after cutting each run of more than ``max_repeats``
    consecutive copies of a phrase (1 to ``max_n`` words) down to ``max_repeats`` copies."""
    keep = list(range(len(tokens)))
    for n in range(1, max_n + 1):
        toks = [tokens[k] for k in keep]
        out: list[int] = []
        i = 0
        while i < len(toks):
            gram = toks[i : i + n]
            reps = 1
            if len(gram) == n and any(gram):
                while toks[i + reps * n : i + (reps + 1) * n] == gram:
                    reps += 1
            if reps > max_repeats:
                out.extend(keep[i : i + max_repeats * n])
                i += reps * n
            else:
                out.append(keep[i])
                i += 1
        keep = out
    return keep


def collapse_loops(seg: Segment, max_repeats: int = 3) -> int:
    """Cut a phrase repeated more than ``max_repeats`` times in a row; return words removed.

    Keeps the first ``max_repeats`` copies, so genuine emphasis ("no, no, no") stays.
    """
    if seg.words:
        keep = _loop_free([re.sub(r"\W+", "", w.word.lower()) for w in seg.words], max_repeats)
        removed = len(seg.words) - len(keep)
        if removed:
            seg.words = [seg.words[k] for k in keep]
            seg.text = "".join(w.word for w in seg.words).strip()
            seg.end = seg.words[-1].end
        return removed
    raw = seg.text.split()
    keep = _loop_free([re.sub(r"\W+", "", w.lower()) for w in raw], max_repeats)
    seg.text = " ".join(raw[k] for k in keep)
    return len(raw) - len(keep)


def apply_guards(segments: list[Segment], opts: GuardOptions) -> tuple[list[Segment], list[dict[str, Any]]]:
    """Segments worth showing, and a record of every segment dropped or repaired (and why)."""
    kept: list[Segment] = []
    events: list[dict[str, Any]] = []
    for seg in segments:
        removed = collapse_loops(seg, opts.max_repeats)
        if removed:
            events.append(
                {
                    "start": round(seg.start, 3),
                    "end": round(seg.end, 3),
                    "action": "trimmed",
                    "reason": f"repeated phrase loop ({removed} words)",
                    "text": seg.text,
                }
            )
        reason = _drop_reason(seg, opts)
        if reason:
            events.append(
                {
                    "start": round(seg.start, 3),
                    "end": round(seg.end, 3),
                    "action": "dropped",
                    "reason": reason,
                    "text": seg.text.strip(),
                }
            )
        else:
            kept.append(seg)
    for i, seg in enumerate(kept):
        seg.id = i
    return kept, events
