"""Source sentences out of timed words, and translated text laid back on their timing.

Engines translate sentences, not subtitle cues: a cue is often half a sentence, and a half
sentence translates badly (word order moves across the cut). So the file's words are
grouped into sentences (a sentence end, a change of speaker or of language, a long pause,
or a sentence grown too long closes one), each sentence is translated whole, and its
translation is spread over the sentence's own speech: over the time its source words are
spoken (pauses inside the sentence stay empty), in proportion to characters. Those timed
target words then go through the same cue segmentation as the source (subvox.subtitles
.segment) under the target language's limits, so a translated cue never starts before its
sentence, never ends after the sentence's room, and never spans two speakers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from subvox.subtitles.scripts import is_spaceless, join_words, line_units
from subvox.subtitles.segment import SENTENCE_END

MAX_PAUSE_S = 2.0  # a longer pause ends a sentence (unpunctuated speech still gets cut)
MAX_SENTENCE_S = 20.0  # a sentence this long is closed at the next word


@dataclass
class Sentence:
    """Consecutive source words of one speaker and one language, ending a sentence."""

    words: list[dict[str, Any]]
    language: str
    speaker: str | None = None
    translation: str = ""

    @property
    def start(self) -> float:
        return self.words[0]["start"]

    @property
    def end(self) -> float:
        return self.words[-1]["end"]

    @property
    def text(self) -> str:
        return join_words([w["word"] for w in self.words])

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start": round(self.start, 3), "end": round(self.end, 3), "language": self.language,
            "source": self.text, "text": self.translation,
        }  # fmt: skip
        if self.speaker is not None:
            d["speaker"] = self.speaker
        return d


def language_at(regions: list[dict[str, Any]], t: float, default: str) -> str:
    """The language of the region holding time ``t`` (the nearest region when none does)."""
    if not regions:
        return default
    inside = [r for r in regions if r["start"] <= t <= r["end"]]
    if inside:
        return inside[0]["language"]
    return min(regions, key=lambda r: min(abs(r["start"] - t), abs(r["end"] - t)))["language"]


def _timed_words(segment: dict[str, Any]) -> list[dict[str, Any]]:
    """A segment's words; a segment without word timings becomes words sharing its time by characters."""
    words = [w for w in segment.get("words") or [] if w["word"].strip()]
    if words or not segment.get("text", "").strip():
        return words
    units = segment["text"].split()
    total = sum(len(u) + 1 for u in units)
    span, t, out = segment["end"] - segment["start"], segment["start"], []
    for u in units:
        d = span * (len(u) + 1) / total
        out.append({"word": " " + u, "start": round(t, 3), "end": round(t + d, 3)})
        t += d
    return out


def sentences(
    transcript: dict[str, Any], max_pause: float = MAX_PAUSE_S, max_s: float = MAX_SENTENCE_S
) -> list[Sentence]:
    """The transcript's words grouped into sentences (see the module docstring).

    Each word's language is that of the ``languages`` region it falls in, so a file that
    switches language mid-way is translated from each language in turn. Words carry a
    ``speaker`` once diarization labelled them; a sentence never holds two speakers."""
    regions = transcript.get("languages") or []
    default = transcript.get("language") or "en"
    out: list[Sentence] = []
    current: Sentence | None = None
    for seg in transcript.get("segments", []):
        for w in _timed_words(seg):
            speaker = w.get("speaker", seg.get("speaker"))
            language = language_at(regions, (w["start"] + w["end"]) / 2, default)
            if current is not None and (
                speaker != current.speaker
                or language != current.language
                or w["start"] - current.end > max_pause
                or current.end - current.start > max_s
            ):
                out.append(current)
                current = None
            if current is None:
                current = Sentence([], language, speaker)
            current.words.append(w)
            if w["word"].strip().endswith(SENTENCE_END):
                out.append(current)
                current = None
    if current is not None:
        out.append(current)
    return out


def _speech(words: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """The sentence's spoken intervals (its words, overlaps merged)."""
    spans: list[tuple[float, float]] = []
    for w in words:
        s, e = float(w["start"]), max(float(w["end"]), float(w["start"]))
        if spans and s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], e))
        else:
            spans.append((s, e))
    return spans


def _place(spans: list[tuple[float, float]], a: float, b: float) -> tuple[float, float]:
    """Clock times of the speech-time stretch [a, b] (seconds into ``spans``). A stretch that
    would run over a pause keeps to the side of it where most of it lies, so the pauses of
    the source stay silent in the translation and cues can break there."""
    best, best_len, before = None, -1.0, 0.0
    for s, e in spans:
        lo, hi = max(a, before), min(b, before + e - s)
        if hi - lo > best_len + 1e-9 or (best is None and lo <= hi):
            best, best_len = (s + lo - before, s + hi - before), hi - lo
        before += e - s
    return best if best is not None else (spans[-1][1], spans[-1][1])


def timed_translation(sentence: Sentence) -> list[dict[str, Any]]:
    """The sentence's translation as timed words over its source speech, by characters.

    Unspaced scripts (a translation into Japanese or Chinese) are cut into the characters a
    line may break between; a word's share is its length plus the space after it."""
    units = line_units(sentence.translation)
    if not units:
        return []
    spans = _speech(sentence.words)
    speech = sum(e - s for s, e in spans)
    if speech <= 0:  # words with no duration: the sentence's bare span, or a point
        spans, speech = [(sentence.start, sentence.end)], max(sentence.end - sentence.start, 0.0)
    spaced = not is_spaceless(sentence.translation)
    weights = [len(u) + (1 if spaced else 0) for _, u in units]
    total = float(sum(weights))
    out, done = [], 0.0
    for (sep, unit), weight in zip(units, weights, strict=True):
        start, end = _place(spans, speech * done / total, speech * (done + weight) / total)
        done += weight
        word = {"word": (" " if spaced or sep else "") + unit, "start": round(start, 3), "end": round(end, 3)}
        if sentence.speaker is not None:
            word["speaker"] = sentence.speaker
        out.append(word)
    return out


def translated_segments(sents: list[Sentence]) -> list[dict[str, Any]]:
    """One segment per translated sentence, with timed words, for ``segment_words``."""
    segments = []
    for k, s in enumerate(sents):
        words = timed_translation(s)
        if not words:
            continue
        seg = {"id": k, "start": words[0]["start"], "end": words[-1]["end"], "text": s.translation, "words": words}
        if s.speaker is not None:
            seg["speaker"] = s.speaker
        segments.append(seg)
    return segments
