"""Which model and which language a file's transcript should come from, decided on evidence.

An English-only model (tiny.en) given Spanish speech writes fluent English nonsense with
``language: en``. Its own words give it away: on the clips of ../shared/data its mean word
probability is 0.82-0.95 on English and 0.36-0.53 on German, Spanish, French, Italian,
Japanese, Korean and Portuguese. So a first transcript is *doubtful* when its words are
(``RouteOptions``); only then is the multilingual model asked which languages the file holds
(a full encoder pass per probe window), and a file with any non-English region is either
transcribed again by that model (``route``) or marked "not transcribed" for those regions
(``flag``). An English library pays only for its doubtful files.

A multilingual model's detection on a clip of a second or two is a guess (a French "Bonjour"
heard as Polish). Such an *uncertain* detection gives way to the library's evidence: the
configured ``language_detection.prior``, else the language most files of the same folder in the
job were surely detected in (``prior_for``). Every decision is recorded in the transcript JSON.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections import Counter
from dataclasses import dataclass
from typing import Any

from subvox.asr.base import Transcript
from subvox.asr.pieces import LanguageOptions, Window

ENGLISH = "en"


@dataclass(frozen=True)
class RouteOptions:
    """``asr.routing``: what happens to speech an English-only model cannot transcribe."""

    mode: str = "route"  # route | flag | off
    model: str = "base"  # the multilingual model that detects (and, with route, transcribes)
    min_word_probability: float = 0.7  # a file's mean word probability below this is doubtful ...
    stretch_words: int = 6  # ... as is one with this many consecutive words ...
    stretch_probability: float = 0.6  # ... whose mean probability is below this
    wordless_s: float = 60.0  # a file up to this long without a single word is checked too

    @classmethod
    def from_config(cls, asr: dict[str, Any]) -> RouteOptions:
        conf = asr.get("routing", {})
        return cls(**{k: v for k, v in conf.items() if k in cls.__dataclass_fields__})


def routing_applies(asr: dict[str, Any], english_only: bool) -> bool:
    """Routing is for an English-only model told to find the language itself (``language: auto``)."""
    return english_only and asr.get("language", "auto") == "auto" and RouteOptions.from_config(asr).mode != "off"


def word_probability(segments: list[Any]) -> float | None:
    """Mean probability of the words (None without words)."""
    probs = [w.probability for s in segments for w in s.words]
    return sum(probs) / len(probs) if probs else None


def doubtful_spans(segments: list[Any], opts: RouteOptions) -> list[tuple[float, float]]:
    """Stretches (s) where ``stretch_words`` consecutive words have a mean probability below
    ``stretch_probability``: a few seconds of another language inside English speech."""
    words = [w for s in segments for w in s.words]
    k = opts.stretch_words
    spans: list[tuple[float, float]] = []
    for i in range(max(0, len(words) - k + 1)):
        run = words[i : i + k]
        if sum(w.probability for w in run) / k < opts.stretch_probability:
            if spans and run[0].start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], run[-1].end)
            else:
                spans.append((run[0].start, run[-1].end))
    return spans


def doubtful(transcript: Transcript, opts: RouteOptions) -> bool:
    """Whether an English-only model's transcript looks like another language heard as English:
    low word probability over the file or over a stretch of it, or no word at all in a short
    file (the check then costs a VAD pass, and an encoder pass if it hears speech)."""
    mean = word_probability(transcript.segments)
    if mean is None:  # nothing heard in a short file: a second of foreign speech can give no words at all
        return transcript.duration <= opts.wordless_s
    return mean < opts.min_word_probability or bool(doubtful_spans(transcript.segments, opts))


def speech_seconds(transcript: Transcript) -> float:
    """Seconds of transcribed speech (segment spans)."""
    return sum(max(0.0, s.end - s.start) for s in transcript.segments)


def uncertain(language_probability: float, speech_s: float, opts: LanguageOptions) -> bool:
    """A detection too weak to trust: low probability, or too little speech to hear a language in."""
    return speech_s > 0 and (language_probability < opts.min_probability or speech_s < opts.min_speech_s)


def prior_for(relpath: str, evidence: dict[str, str | None], opts: LanguageOptions) -> tuple[str | None, str]:
    """The language to use instead of an uncertain detection for the file ``relpath``, and why.

    ``evidence``: relpath -> sure language (None when unsure) of the job's other files. The
    configured prior wins; else the language most files of the same folder were surely detected
    in (ties: none, the detection stands)."""
    if opts.prior:
        return opts.prior, "language_detection.prior"
    if not opts.folder_prior:
        return None, "no prior configured"
    folder = posixpath.dirname(relpath)
    votes = Counter(
        lang for path, lang in evidence.items() if lang and path != relpath and posixpath.dirname(path) == folder
    ).most_common(2)
    if not votes or (len(votes) > 1 and votes[0][1] == votes[1][1]):
        return None, "no sure neighbours"
    return votes[0][0], f"{votes[0][1]} sure file(s) in the same folder"


def non_english(regions: list[Window]) -> list[Window]:
    """The detected regions in another language than English (no-speech regions excluded)."""
    return [r for r in regions if r.language and r.language != ENGLISH]


def drop_regions(transcript: Transcript, regions: list[Window], rate: int) -> Transcript:
    """The transcript without the segments whose middle lies in one of ``regions`` (sample ranges)."""
    spans = [(r.start / rate, r.end / rate) for r in regions]
    kept = [s for s in transcript.segments if not any(a <= (s.start + s.end) / 2 < b for a, b in spans)]
    return dataclasses.replace(transcript, segments=kept)


def region_summary(regions: list[Window], rate: int) -> list[dict[str, Any]]:
    """Detected regions as JSON: language, probability, start and end in seconds."""
    return [
        {
            "language": r.language or "und",
            "probability": round(r.probability, 4),
            "start": round(r.start / rate, 3),
            "end": round(r.end / rate, 3),
        }
        for r in regions
    ]
