"""Transcribe files: languages per region, speech cut into pieces at pauses, guards applied.

The pieces (at most 30 s, cut at pauses, no prompt from the text before them) are
independent, so where the backend can decode several Whisper windows at once
(``decode_windows``: faster-whisper, openai-whisper) they are decoded ``asr.batch_size``
windows at a time, across the files of a job too, short pieces packed several to a
window (subvox.asr.batched, subvox.asr.packing; a batch of one window when ``batch_size``
is 1, so that the tails are packed alike). Otherwise (whisper.cpp, ``batch_size`` 1 with
``pack_tails`` off), and always with ``condition_on_previous_text`` (each piece's prompt is
the text before it), one piece after the other (``decode_region``); the log says why.

Where to cut and how languages are found: subvox.asr.pieces (re-exported here).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from subvox.asr.base import DecodeOptions, Transcriber, Transcript, speech_language
from subvox.asr.batched import Batcher, FileRequest, Finished
from subvox.asr.guards import GuardOptions
from subvox.asr.hallucination import AudioScreen
from subvox.asr.pieces import (
    PIECE_LEFTOVER_S,
    PIECE_PAD_MS,
    PIECE_PAUSE_MS,
    PIECE_TAIL_S,
    SAMPLE_RATE,
    LanguageOptions,
    Window,
    add_span,
    as_float,
    finish,
    language_regions,
    left_over,
    plan_chunks,
    plan_regions,
    probe_picks,
    prompt_tail,
    shift,
    speech_pieces,
    speech_windows,
)
from subvox.media.ffmpeg import release_map

__all__ = [
    "PIECE_LEFTOVER_S",
    "PIECE_PAD_MS",
    "PIECE_PAUSE_MS",
    "PIECE_TAIL_S",
    "FileRequest",
    "Finished",
    "LanguageOptions",
    "Window",
    "as_float",
    "decode_region",
    "language_regions",
    "plan_chunks",
    "plan_regions",
    "probe_picks",
    "regions_of",
    "speech_pieces",
    "speech_windows",
    "transcribe_audio",
    "transcribe_files",
    "why_sequential",
]

log = logging.getLogger("subvox")


def decode_region(model: Transcriber, samples: np.ndarray, options: DecodeOptions) -> Transcript:
    """One region (one language) decoded: piece by piece when VAD is on, else by the backend alone.

    A backend given a long stretch walks through it 30 s at a time, each window starting
    where the previous one's last timestamp ended; when Whisper ends a window early or
    without a timestamp, what follows is skipped (on a looped 10-min track: 4-8 % of the
    words). Pieces cut at pauses and decoded one window each lose nothing that way.
    With the previous-text prompt on, the first piece keeps ``options.initial_prompt`` (the
    caller's) and each later one gets the end of the region's text so far.
    """
    if not options.vad or not options.vad_max_piece_s:
        return model.transcribe(samples, options)
    pieces = speech_pieces(samples, options)
    first = samples[pieces[0][0] : pieces[0][1]] if pieces else samples[:0]
    language, probability = speech_language(model, first, options)
    segments: list[Any] = []
    for a, b in pieces:
        while a < b:
            prompt = options.initial_prompt
            if options.condition_on_previous_text and segments:
                prompt = prompt_tail(segments) or prompt
            piece = dataclasses.replace(
                options, vad=False, language=language, initial_prompt=prompt, stop_tail_s=PIECE_TAIL_S
            )
            part = model.transcribe(samples[a:b], piece)
            shift(part.segments, a / SAMPLE_RATE)
            segments.extend(part.segments)
            a = left_over(samples, part.segments[-1].end if part.segments else None, a, b, options)

    return Transcript(
        language=language,
        language_probability=probability,
        duration=len(samples) / SAMPLE_RATE,
        segments=segments,
        backend=model.backend,
        model=model.model_name,
        options=options.to_dict(),
    )


def _pieces(
    model: Transcriber,
    audio: np.ndarray,
    decode: DecodeOptions,
    lang_opts: LanguageOptions,
    chunk_s: float | None,
    regions: list[Window] | None,
) -> Iterator[tuple[Window, np.ndarray]]:
    """(region, float samples) to decode, one at a time: each chunk is read and converted once,
    its languages planned, its regions decoded, and its pages released before the next."""
    if regions is not None:
        for r in regions:
            yield r, as_float(audio[r.start : r.end])
            release_map(audio)
        return
    for a, b in plan_chunks(audio, chunk_s):
        samples = as_float(audio[a:b])
        for r in plan_regions(model, samples, decode, lang_opts):
            yield Window(a + r.start, a + r.end, r.language, r.probability), samples[r.start : r.end]
        del samples
        release_map(audio)


def _sequential(
    model: Transcriber,
    audio: np.ndarray,
    decode: DecodeOptions,
    guards: GuardOptions,
    lang_opts: LanguageOptions,
    regions: list[Window] | None,
    chunk_s: float | None,
) -> Transcript:
    """One file, one piece after the other; each region gets the end of the previous text as
    its prompt when ``condition_on_previous_text`` is on."""
    planned: list[Window] = []
    segments: list[Any] = []
    spans: list[dict[str, Any]] = []
    for r, samples in _pieces(model, audio, decode, lang_opts, chunk_s, regions):
        planned.append(r)
        prompt = decode.initial_prompt
        if segments and decode.condition_on_previous_text and spans and spans[-1]["language"] == r.language:
            prompt = prompt_tail(segments) or prompt
        options = dataclasses.replace(decode, language=r.language or None, initial_prompt=prompt)
        part = decode_region(model, samples, options)
        del samples
        shift(part.segments, r.start / SAMPLE_RATE)
        segments.extend(part.segments)
        if not r.language:
            r.language, r.probability = part.language, part.language_probability
        add_span(spans, r)
    return finish(model, decode, guards, len(audio) / SAMPLE_RATE, planned, segments, spans)


def why_sequential(model: Transcriber, decode: DecodeOptions) -> str | None:
    """Why this file's pieces cannot be decoded in batches, or None when they can."""
    if decode.condition_on_previous_text:
        return "asr.condition_on_previous_text is true: each piece's prompt is the text before it"
    if decode.batch_size <= 1 and not decode.pack_tails:
        return "asr.batch_size is 1"
    if not decode.vad or not decode.vad_max_piece_s:
        return "without VAD pieces (asr.vad) the backend walks each region window by window itself"
    if not hasattr(model, "decode_windows"):
        return f"{model.backend} has no batched decoding"
    return None


def transcribe_files(model: Transcriber, requests: Iterable[FileRequest], batch_size: int) -> Iterator[Finished]:
    """Transcribe many files, their pieces sharing decode batches of ``batch_size`` windows.

    ``requests`` is read lazily (a file is opened only when the batches need more work);
    each file's result is yielded as soon as its last window is decoded, and a file that
    fails fails alone (``Finished.error``).
    """
    said: set[str] = set()

    def batchable(request: FileRequest) -> bool:
        reason = why_sequential(model, request.decode)
        if reason is not None and reason not in said:
            said.add(reason)
            log.info("pieces decoded one at a time: %s", reason)
        return reason is None

    def sequential(request: FileRequest) -> list[Transcript]:
        guards, lang_opts = request.guards or GuardOptions(), request.lang_opts or LanguageOptions()
        first = _sequential(model, request.audio, request.decode, guards, lang_opts, request.regions, request.chunk_s)
        if request.then is None:
            return [first]
        return [first, _sequential(model, request.audio, request.then, guards, lang_opts, regions_of(first), None)]

    screen = AudioScreen(requests)  # known non-speech phrases judged against each file's audio
    return screen.results(Batcher(model, batch_size, screen.requests(), sequential, batchable).run())


def transcribe_audio(
    model: Transcriber,
    audio: np.ndarray,
    decode: DecodeOptions,
    guards: GuardOptions | None = None,
    lang_opts: LanguageOptions | None = None,
    regions: list[Window] | None = None,
    chunk_s: float | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono audio, handling languages per region and dropping hallucinations.

    ``audio`` may be int16 PCM (a memory map of the extracted file): long recordings are
    cut into ``chunk_s`` pieces at pauses and only one piece at a time is converted and
    decoded (plus the pieces of one decode batch), so memory stays flat with file length.
    ``regions`` reuses a previous pass's regions (to translate exactly what was transcribed).
    """
    request = FileRequest(None, audio, decode, guards, lang_opts, chunk_s, regions)
    [done] = transcribe_files(model, [request], decode.batch_size)
    if done.error is not None:
        raise done.error
    return done.transcripts[0]


def regions_of(transcript: Transcript) -> list[Window]:
    """The regions (pieces and languages) a transcript was made with, as sample ranges."""
    return [Window(r.start, r.end, r.language, r.probability) for r in transcript.regions]
