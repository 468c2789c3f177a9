"""Where to cut a recording and which language each part is in: chunks, regions, pieces.

Whisper detects the language once, from the first 30 s, and then decodes everything in
that language: a file that switches from English to German loses its German half. Here
the language is detected on several windows spread over the speech; when they disagree,
every window is classified, consecutive windows of one language form a region, and each
region is transcribed in its own language. Region borders fall in pauses, never in words.

Language detection is written as generators that yield the clips they need classified
(``*_steps``), so that one driver (``run_steps``) can answer them at once and the batched
scheduler can answer the clips of several files with one encoder batch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from subvox.asr.base import DecodeOptions, Segment, Transcriber, Transcript
from subvox.asr.guards import GuardOptions, apply_guards
from subvox.media.ffmpeg import as_float, release_map

T = TypeVar("T")

SAMPLE_RATE = 16000
PIECE_PAUSE_MS = 500  # pieces are cut in pauses at least this long
PIECE_PAD_MS = 200  # speech kept on either side of a stretch (at most vad.speech_pad_ms)
PIECE_TAIL_S = 1.0  # after a piece's last segment, a shorter rest is padding, not left-over speech
PIECE_LEFTOVER_S = 2.0  # a longer rest with speech in it is decoded again (see left_over)


@dataclass(frozen=True)
class LanguageOptions:
    """How languages are detected when ``asr.language`` is ``auto``."""

    probe_windows: int = 8  # at most this many windows checked first, spread over the file
    probe_every_s: float = 60.0  # one probe per this much speech (each costs a full encoder pass)
    min_window_s: float = 2.0  # speech per window (shorter pieces are merged)
    max_window_s: float = 30.0
    min_probability: float = 0.5  # a window below this follows its neighbours
    min_speech_s: float = 3.0  # a file with less speech has an uncertain language (subvox.asr.routing)
    prior: str | None = None  # used instead of an uncertain detection ...
    folder_prior: bool = True  # ... else the language of the sure files of the same folder

    @classmethod
    def from_config(cls, asr: dict[str, Any]) -> LanguageOptions:
        conf = asr.get("language_detection", {})
        return cls(**{k: v for k, v in conf.items() if k in cls.__dataclass_fields__})


@dataclass
class Window:
    start: int  # samples
    end: int
    language: str = ""
    probability: float = 0.0


def speech_windows(audio: np.ndarray, lang_opts: LanguageOptions, decode: DecodeOptions) -> list[Window]:
    """Pieces of speech of ``min_window_s``..``max_window_s`` whose borders lie in pauses."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(
        audio, VadOptions(threshold=decode.vad_threshold, min_silence_duration_ms=300, speech_pad_ms=100)
    )
    if not chunks:
        return []
    lo, hi = int(lang_opts.min_window_s * SAMPLE_RATE), int(lang_opts.max_window_s * SAMPLE_RATE)
    windows: list[Window] = []
    for c in chunks:
        start, end = c["start"], c["end"]
        while end - start > hi:  # one long stretch of speech: fixed pieces
            windows.append(Window(start, start + hi))
            start += hi
        last = windows[-1] if windows else None
        if last is not None and last.end - last.start < lo and end - last.start <= hi:
            last.end = end
        else:
            windows.append(Window(start, end))
    if len(windows) > 1 and windows[-1].end - windows[-1].start < lo and windows[-1].end - windows[-2].start <= hi:
        tail = windows.pop()
        windows[-1].end = tail.end
    return windows


def detect_all(model: Transcriber, clips: list[np.ndarray], batch: int = 8) -> list[tuple[str, float]]:
    """Language and probability of each clip: ``batch`` encoder passes at once where the
    backend can (``detect_languages``; each clip still costs a full 30-s encoder pass), else
    one call each."""
    batched = getattr(model, "detect_languages", None)
    if batched is None:
        return [model.detect_language(c) for c in clips]
    return [found for i in range(0, len(clips), batch) for found in batched(clips[i : i + batch])]


def run_steps(model: Transcriber, steps: Generator[list[np.ndarray], list[tuple[str, float]], T], batch: int = 8) -> T:
    """Drive a planning generator alone: each list of clips it yields is classified at once.

    The batched scheduler (subvox.asr.batched) drives the same generators for many files and
    classifies the clips of several files in one encoder batch instead.
    """
    try:
        clips = next(steps)
        while True:
            clips = steps.send(detect_all(model, clips, batch))
    except StopIteration as stop:
        return stop.value


def _smooth(windows: list[Window], min_probability: float) -> None:
    """Unsure windows take the language of the nearest sure one (so noise never splits a file)."""
    sure = [w for w in windows if w.probability >= min_probability] or windows
    for w in windows:
        if w.probability < min_probability:
            nearest = min(sure, key=lambda s: abs((s.start + s.end) - (w.start + w.end)))
            w.language = nearest.language


def probe_picks(windows: list[Window], lang_opts: LanguageOptions) -> list[int]:
    """Indices of the windows whose language is checked first: the first, the last and evenly between.

    Each check runs Whisper's encoder on a padded 30-s input whatever the window's length,
    so the count follows the amount of speech (one per ``probe_every_s``, plus one) instead
    of the number of pauses, capped by ``probe_windows``. Only when the probes disagree is
    every window checked.
    """
    speech_s = sum(w.end - w.start for w in windows) / SAMPLE_RATE
    wanted = 1 + math.ceil(speech_s / lang_opts.probe_every_s)
    count = max(1, min(lang_opts.probe_windows, len(windows), wanted))
    return sorted(set(np.linspace(0, len(windows) - 1, count).round().astype(int).tolist()))


def language_regions_steps(
    audio: np.ndarray, lang_opts: LanguageOptions, decode: DecodeOptions, focus: Sequence[tuple[int, int]] = ()
) -> Generator[list[np.ndarray], list[tuple[str, float]], list[Window]]:
    """Regions (sample ranges covering the whole file) with one language each.

    A generator: it yields the clips whose language it needs and is sent back their
    (language, probability), so whoever drives it decides how detections are batched.
    The windows overlapping a ``focus`` span (samples) are always among the first probes.
    """
    windows = speech_windows(audio, lang_opts, decode)
    if not windows:
        return []
    picks = set(probe_picks(windows, lang_opts))
    picks |= {i for i, w in enumerate(windows) if any(w.start < b and a < w.end for a, b in focus)}
    probes = [windows[i] for i in sorted(picks)]
    yield from _classify(audio, probes)
    _smooth(probes, lang_opts.min_probability)
    if len({w.language for w in probes}) > 1:
        yield from _classify(audio, [w for w in windows if not w.language])
        _smooth(windows, lang_opts.min_probability)
    else:
        for w in windows:
            if not w.language:
                w.language, w.probability = probes[0].language, float(np.mean([p.probability for p in probes]))
    regions: list[Window] = []
    for w in windows:
        if regions and regions[-1].language == w.language:
            r = regions[-1]
            span = (r.end - r.start) + (w.end - w.start)
            r.probability = (r.probability * (r.end - r.start) + w.probability * (w.end - w.start)) / span
            r.end = w.end
        else:
            regions.append(Window(w.start, w.end, w.language, w.probability))
    # cover the whole file: borders in the middle of the pause between regions
    regions[0].start = 0
    for a, b in itertools.pairwise(regions):
        a.end = b.start = (a.end + b.start) // 2
    regions[-1].end = len(audio)
    return regions


def _classify(audio: np.ndarray, windows: list[Window]) -> Generator[list[np.ndarray], list[tuple[str, float]], None]:
    found = yield [audio[w.start : w.end] for w in windows]
    for w, (language, probability) in zip(windows, found, strict=True):
        w.language, w.probability = language, probability


def language_regions(
    model: Transcriber, audio: np.ndarray, lang_opts: LanguageOptions, decode: DecodeOptions
) -> list[Window]:
    """``language_regions_steps`` with every detection answered at once by ``model``."""
    return run_steps(model, language_regions_steps(audio, lang_opts, decode))


def plan_regions_steps(
    multilingual: bool, audio: np.ndarray, decode: DecodeOptions, lang_opts: LanguageOptions
) -> Generator[list[np.ndarray], list[tuple[str, float]], list[Window]]:
    """One region in the configured language, or the detected regions when ``language`` is auto.

    A region with an empty language (no speech found) lets the backend decide.
    """
    if decode.language is not None or not multilingual:
        return [Window(0, len(audio), decode.language or "en", 1.0)]
    regions = yield from language_regions_steps(audio, lang_opts, decode)
    return (
        regions
        if len(regions) > 1
        else [Window(0, len(audio), r.language, r.probability) for r in regions] or [Window(0, len(audio))]
    )


def plan_regions(
    model: Transcriber, audio: np.ndarray, decode: DecodeOptions, lang_opts: LanguageOptions
) -> list[Window]:
    """``plan_regions_steps`` with every detection answered at once by ``model``."""
    return run_steps(model, plan_regions_steps(model.multilingual, audio, decode, lang_opts))


def detect_regions(
    model: Transcriber,
    audio: np.ndarray,
    decode: DecodeOptions,
    lang_opts: LanguageOptions,
    chunk_s: float | None,
    focus: Sequence[tuple[int, int]] = (),
) -> list[Window]:
    """The language regions of a whole file as ``model`` (multilingual) hears them, a chunk at a
    time (memory stays flat); nothing is transcribed. Regions without speech have no language.
    The speech overlapping a ``focus`` span (samples) is always classified."""
    found: list[Window] = []
    for a, b in plan_chunks(audio, chunk_s):
        samples = as_float(audio[a:b])
        near = [(max(0, x - a), min(b, y) - a) for x, y in focus if x < b and a < y]
        steps = language_regions_steps(samples, lang_opts, decode, near)
        regions = run_steps(model, steps) or [Window(0, b - a)]
        found += [Window(a + r.start, a + r.end, r.language, r.probability) for r in regions]
        del samples
        release_map(audio)
    return found


def plan_chunks(audio: np.ndarray, chunk_s: float | None, search_s: float = 20.0) -> list[tuple[int, int]]:
    """Cut a long recording into pieces of at most ``chunk_s`` seconds, each cut in a pause.

    Only the last ``search_s`` seconds before each cut are examined (Silero VAD), so memory
    does not grow with the length of the file. Without a pause there, the cut falls at the
    limit. ``None`` or a file shorter than ``chunk_s``: one piece.
    """
    n = len(audio)
    limit = int(chunk_s * SAMPLE_RATE) if chunk_s else n
    if n <= limit:
        return [(0, n)]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks, start = [], 0
    search = min(int(search_s * SAMPLE_RATE), limit // 2)  # every piece keeps at least half the limit
    while n - start > limit:
        lo, hi = start + limit - search, start + limit
        speech = get_speech_timestamps(as_float(audio[lo:hi]), VadOptions(min_silence_duration_ms=200, speech_pad_ms=0))
        release_map(audio)
        edges = [0, *[e for c in speech for e in (c["start"], c["end"])], hi - lo]
        gaps = [(edges[i + 1] - edges[i], (edges[i] + edges[i + 1]) // 2) for i in range(0, len(edges) - 1, 2)]
        width, middle = max(gaps)
        cut = lo + middle if width > 0 else hi
        chunks.append((start, cut))
        start = cut
    chunks.append((start, n))
    return chunks


def speech_pieces(samples: np.ndarray, decode: DecodeOptions) -> list[tuple[int, int]]:
    """Sample ranges of speech, each at most ``vad_max_piece_s`` long (padding included), cut in pauses.

    Silero VAD finds the stretches of speech between pauses of ``PIECE_PAUSE_MS`` (a
    stretch longer than a piece is split at its last short pause); neighbouring stretches
    are merged while they fit one piece, so each piece is one Whisper window holding as
    much speech as fits, and every cut lies in a real pause. Cut only at 2-s pauses (the
    VAD's joining setting) and split elsewhere at any 0.1-s gap, pieces began mid-sentence:
    WER 8.8 % instead of 3.3 % on the looped 10-min track (tiny.en).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    limit = int((decode.vad_max_piece_s or 30.0) * SAMPLE_RATE)
    pad_ms = min(decode.vad_speech_pad_ms, PIECE_PAD_MS)
    vad = VadOptions(
        threshold=decode.vad_threshold,
        min_speech_duration_ms=decode.vad_min_speech_duration_ms,
        max_speech_duration_s=max(1.0, limit / SAMPLE_RATE - 2 * pad_ms / 1000),
        min_silence_duration_ms=min(decode.vad_min_silence_duration_ms, PIECE_PAUSE_MS),
        speech_pad_ms=pad_ms,
    )
    spans = get_speech_timestamps(samples, vad)
    pieces: list[tuple[int, int]] = []
    for c in spans:
        start, end = c["start"], min(c["end"], c["start"] + limit)
        if pieces and end - pieces[-1][0] <= limit:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


def left_over(samples: np.ndarray, last_end: float | None, a: int, b: int, options: DecodeOptions) -> int:
    """Where undecoded speech of the piece ``a:b`` resumes, or ``b`` when nothing is left.

    ``last_end``: the end (s, in ``samples``) of the last segment decoded from ``a`` on, None
    when there was none. Whisper sometimes ends a window early with an end-of-text whose
    timestamp jumps past the rest (whisper.cpp and openai-whisper then move on: a whole
    sentence lost). When more than ``PIECE_LEFTOVER_S`` follows the last segment and VAD hears
    speech there, that rest is decoded as a piece of its own.
    """
    from faster_whisper.vad import get_speech_timestamps

    if last_end is None:
        return b
    end = int(last_end * SAMPLE_RATE)
    if end <= a or b - end < PIECE_LEFTOVER_S * SAMPLE_RATE:
        return b
    speech = get_speech_timestamps(samples[end:b], options.vad_options())
    return end if speech else b


def shift(segments: list[Any], seconds: float) -> None:
    """Move segment and word times by ``seconds`` (piece or region times -> times in the file)."""
    for seg in segments:
        seg.start += seconds
        seg.end += seconds
        for w in seg.words:
            w.start += seconds
            w.end += seconds


def prompt_tail(segments: list[Any], words: int = 40) -> str | None:
    """The end of what was said so far: context for the next piece, as Whisper uses it."""
    text = " ".join(s.text for s in segments[-5:]).split()
    return " ".join(text[-words:]) or None


def add_span(spans: list[dict[str, Any]], region: Window) -> None:
    """Record a decoded region in the transcript's ``languages``; consecutive regions of one
    language (e.g. the chunks of a long file) read as one, their probabilities weighted by length."""
    span = {
        "language": region.language,
        "probability": round(region.probability, 4),
        "start": round(region.start / SAMPLE_RATE, 3),
        "end": round(region.end / SAMPLE_RATE, 3),
    }
    if spans and spans[-1]["language"] == region.language:
        last = spans[-1]
        weight = (last["end"] - last["start"], span["end"] - span["start"])
        last["probability"] = round(
            (last["probability"] * weight[0] + region.probability * weight[1]) / max(sum(weight), 1e-9), 4
        )
        last["end"] = span["end"]
    else:
        spans.append(span)


def finish(
    model: Transcriber,
    decode: DecodeOptions,
    guards: GuardOptions,
    duration: float,
    planned: list[Window],
    segments: list[Segment],
    spans: list[dict[str, Any]],
) -> Transcript:
    """The file's transcript from its decoded segments (file times, in order): ids, guards, main language."""
    for i, seg in enumerate(segments):
        seg.id = i
    kept, events = apply_guards(segments, guards)
    main = max(spans, key=lambda s: s["end"] - s["start"])
    transcript = Transcript(
        language=main["language"] if decode.task == "transcribe" else "en",
        language_probability=main["probability"],
        duration=duration,
        segments=kept,
        backend=model.backend,
        model=model.model_name,
        options=decode.to_dict(),
        languages=spans,
        guards=events,
    )
    transcript.regions = planned
    return transcript
