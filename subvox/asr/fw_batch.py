"""faster-whisper: many Whisper windows through CTranslate2's decoder in one generate call.

``WhisperModel.transcribe`` decodes one window at a time: on a 2-core CPU the decoder then
spends most of its time on per-step overhead for 5 beams (tiny.en, one 30-s window: 0.7 s;
8 windows in one ``generate``: 0.2-0.27 s each). Here the windows of a batch are encoded
(on a GPU together, on a CPU one after the other: see ``_encode``) and decoded together
(``generate`` on the stacked encoder output, one prompt per element), and everything
after the decoder is WhisperModel's own code, called per window exactly as its
``generate_segments`` calls it: timestamp splitting
(``_split_segments_by_timestamps``), the no-speech skip, word timings
(``add_word_timestamps``, with the cross-attention alignment computed for the whole batch
in one ``align`` call) and where the walk would continue. A window whose first decode
fails Whisper's compression-ratio or log-probability check is decoded again alone with
``generate_with_fallback`` (the full temperature schedule, seeded as the sequential path
seeds it), so its text never depends on what it was batched with.

A window decoded here gives the sequential path's segments and word times exactly (same
features, same encoder output bit for bit, same decoder choices on the bundled clips and
the 10-min track); word probabilities differ by up to ~0.002, from the batched ``align``.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import numpy as np

from subvox.asr import heap
from subvox.asr.base import DecodeOptions, Segment, Word
from subvox.asr.windows import WindowJob, WindowResult


class _Aligned:
    """Stands in for the WhisperModel in ``add_word_timestamps`` for one window: its
    alignment was already computed, with the rest of the batch's, in one ``align`` call."""

    def __init__(self, frames_per_second: float, alignment: list[dict[str, Any]]) -> None:
        self.frames_per_second = frames_per_second
        self._alignment = alignment

    def find_alignment(self, *args: Any, **kwargs: Any) -> list[list[dict[str, Any]]]:
        return [self._alignment]


def decode_kwargs(options: DecodeOptions) -> dict[str, Any]:
    """What subvox sets of ``WhisperModel.transcribe``'s decoding arguments (one mapping for
    the sequential and the batched path, so both decode alike)."""
    return {
        "beam_size": options.beam_size,
        "best_of": options.best_of,
        "patience": options.patience,
        "length_penalty": 1.0 if options.length_penalty is None else options.length_penalty,
        "temperature": list(options.temperature),
        "compression_ratio_threshold": options.compression_ratio_threshold,
        "log_prob_threshold": options.log_prob_threshold,
        "no_speech_threshold": options.no_speech_threshold,
        "condition_on_previous_text": options.condition_on_previous_text,
        "initial_prompt": options.initial_prompt,
        "word_timestamps": options.word_timestamps,
    }


def transcription_options(tokenizer: Any, options: DecodeOptions) -> Any:
    """The ``TranscriptionOptions`` that ``WhisperModel.transcribe`` builds from what
    subvox.asr.faster passes it (every other field: transcribe()'s own default)."""
    from faster_whisper.transcribe import TranscriptionOptions, WhisperModel, get_suppressed_tokens

    values = {k: p.default for k, p in inspect.signature(WhisperModel.transcribe).parameters.items()}
    chosen = decode_kwargs(options)
    chosen["temperatures"] = chosen.pop("temperature")  # TranscriptionOptions' name for it
    values.update(chosen)
    suppress = values["suppress_tokens"]
    values["suppress_tokens"] = get_suppressed_tokens(tokenizer, suppress) if suppress else suppress
    return TranscriptionOptions(**{f.name: values[f.name] for f in dataclasses.fields(TranscriptionOptions)})


def _first_pass(model: Any, encoder_output: Any, prompt: list[int], batch: int, tokenizer: Any, opts: Any) -> list:
    """``generate_with_fallback``'s first temperature for the whole batch: (result, avg_logprob,
    temperature, compression_ratio) per window, computed as that method computes them."""
    from faster_whisper.transcribe import get_compression_ratio

    temperature = opts.temperatures[0]
    if temperature > 0:
        kwargs = {"beam_size": 1, "num_hypotheses": opts.best_of, "sampling_topk": 0}
        kwargs["sampling_temperature"] = temperature
    else:
        kwargs = {"beam_size": opts.beam_size, "patience": opts.patience}
    max_length = len(prompt) + opts.max_new_tokens if opts.max_new_tokens is not None else model.max_length
    results = model.model.generate(
        encoder_output,
        [list(prompt) for _ in range(batch)],
        length_penalty=opts.length_penalty,
        repetition_penalty=opts.repetition_penalty,
        no_repeat_ngram_size=opts.no_repeat_ngram_size,
        max_length=min(max_length, model.max_length),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=opts.suppress_blank,
        suppress_tokens=opts.suppress_tokens,
        max_initial_timestamp_index=round(opts.max_initial_timestamp / model.time_precision),
        **kwargs,
    )
    out = []
    for result in results:
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * (len(tokens) ** opts.length_penalty) / (len(tokens) + 1)
        out.append((result, avg_logprob, temperature, get_compression_ratio(tokenizer.decode(tokens).strip())))
    return out


def _needs_fallback(decoded: tuple, opts: Any) -> bool:
    """``generate_with_fallback``'s test: too repetitive or too improbable, unless it is silence."""
    result, avg_logprob, _, ratio = decoded
    if (
        opts.no_speech_threshold is not None
        and result.no_speech_prob > opts.no_speech_threshold
        and opts.log_prob_threshold is not None
        and avg_logprob < opts.log_prob_threshold
    ):
        return False
    too_repetitive = opts.compression_ratio_threshold is not None and ratio > opts.compression_ratio_threshold
    return too_repetitive or (opts.log_prob_threshold is not None and avg_logprob < opts.log_prob_threshold)


def _skipped(decoded: tuple, opts: Any) -> bool:
    """``generate_segments``' no-speech check: the window holds no speech, nothing is kept."""
    result, avg_logprob, _, _ = decoded
    if opts.no_speech_threshold is None or result.no_speech_prob <= opts.no_speech_threshold:
        return False
    return opts.log_prob_threshold is None or avg_logprob <= opts.log_prob_threshold


def _encode(model: Any, stacked: np.ndarray) -> Any:
    """The encoder output of every window: on a GPU in one batch; on a CPU one window at a
    time (as an array), because there a batch is no faster per window and holds every
    window's attention matrices at once (tiny.en, 8 windows: peak 800 MB instead of 324 MB)."""
    if model.model.device != "cpu":
        return model.encode(stacked)
    return np.concatenate([np.asarray(model.encode(f)) for f in stacked])


def _align(model: Any, tokenizer: Any, tokens: list, encoded: Any, encoder_output: Any, sizes: list[int]) -> list:
    """``find_alignment`` of every window: on a GPU in one batch; on a CPU one window at a time,
    because a batch holds every window's cross-attention weights at once (tiny.en, 8 windows
    of the 10-min track: the job's peak, 640 MB instead of 380) and is no faster there."""
    if not isinstance(encoded, np.ndarray):
        return model.find_alignment(tokenizer, tokens, encoder_output, sizes)
    import ctranslate2

    out = []
    for i, (text, size) in enumerate(zip(tokens, sizes, strict=True)):
        one = np.ascontiguousarray(encoded[i : i + 1])
        out.extend(
            model.find_alignment(tokenizer, [text], ctranslate2.StorageView.from_array(one), size) if text else [[]]
        )
    return out


def decode_windows(model: Any, jobs: list[WindowJob]) -> list[WindowResult]:
    """Decode one window of each job (all with the same ``WindowJob.key``) in one batch."""
    import ctranslate2
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import WhisperModel
    from faster_whisper.utils import get_end

    options = jobs[0].options
    multilingual = bool(model.model.is_multilingual)
    language = (options.language or "en") if multilingual else "en"
    tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task=options.task, language=language)
    opts = transcription_options(tokenizer, options)
    fe = model.feature_extractor
    features, sizes, contents = [], [], []
    frames = max(job.encoder_frames() for job in jobs)  # the scheduler batches equal lengths only
    for job in jobs:
        if job.features is None:  # a continuation window (same piece, later seek) has them already
            job.features = fe(job.samples)
        whole = job.features
        contents.append(whole.shape[-1] - 1)
        sizes.append(min(fe.nb_max_frames, frames, contents[-1] - job.seek))
        features.append(pad_or_trim(whole[:, job.seek : job.seek + sizes[-1]], frames))
        del whole
    stacked = np.stack(features)
    encoded = _encode(model, stacked)  # kept alive: a CPU StorageView borrows its memory
    if isinstance(encoded, np.ndarray):  # CPU: what the encoder freed goes back before the beams (heap)
        heap.release()
    encoder_output = encoded if not isinstance(encoded, np.ndarray) else ctranslate2.StorageView.from_array(encoded)
    previous = tokenizer.encode(" " + options.initial_prompt.strip()) if options.initial_prompt else []
    prompt = model.get_prompt(tokenizer, previous, without_timestamps=opts.without_timestamps, hotwords=opts.hotwords)
    decoded = _first_pass(model, encoder_output, prompt, len(jobs), tokenizer, opts)
    if len(opts.temperatures) > 1:
        for i, job in enumerate(jobs):
            if _needs_fallback(decoded[i], opts) and not job.packed:  # a failed pack: its pieces go alone
                ctranslate2.set_random_seed(job.options.seed)
                # on a CPU _encode ran each window alone: its output is this window's, no second pass
                # (``one`` stays referenced while the StorageView borrows its memory)
                one = np.ascontiguousarray(encoded[i : i + 1]) if isinstance(encoded, np.ndarray) else None
                alone = ctranslate2.StorageView.from_array(one) if one is not None else model.encode(stacked[i])
                decoded[i] = model.generate_with_fallback(alone, prompt, tokenizer, opts)
    per_window = []
    for job, d, size in zip(jobs, decoded, sizes, strict=True):
        offset = job.seek * fe.time_per_frame
        split = model._split_segments_by_timestamps(
            tokenizer=tokenizer,
            tokens=d[0].sequences_ids[0],
            time_offset=offset,
            segment_size=size,
            segment_duration=size * fe.time_per_frame,
            seek=job.seek,
        )
        per_window.append(None if _skipped(d, opts) else split)
    alignments: list[list[dict[str, Any]]] = [[] for _ in jobs]
    if opts.word_timestamps:
        tokens = [[t for s in (w[0] if w else []) for t in s["tokens"] if t < tokenizer.eot] for w in per_window]
        alignments = _align(model, tokenizer, tokens, encoded, encoder_output, sizes)
    out = []
    for i, job in enumerate(jobs):
        if per_window[i] is None:  # no speech: the walk moves on past the window
            nxt = job.seek + sizes[i]
            out.append(WindowResult([], nxt if nxt < contents[i] else None, job.last_speech))
            continue
        current, seek, single_ending = per_window[i]
        last_speech = job.last_speech
        if opts.word_timestamps:
            WhisperModel.add_word_timestamps(
                _Aligned(model.frames_per_second, alignments[i]),  # type: ignore[arg-type]
                [current],
                tokenizer,
                None,
                sizes[i],
                opts.prepend_punctuations,
                opts.append_punctuations,
                last_speech_timestamp=last_speech,
            )
            end = get_end(current)
            if not single_ending and end is not None and end > job.seek * fe.time_per_frame:
                seek = round(end * model.frames_per_second)
            last_speech = end if end is not None else last_speech
        segments, stopped = _segments(tokenizer, current, decoded[i], job)
        out.append(WindowResult(segments, None if stopped or seek >= contents[i] else seek, last_speech))
    return out


def _segments(tokenizer: Any, current: list[dict[str, Any]], decoded: tuple, job: WindowJob) -> tuple[list, bool]:
    """subvox Segments of a window, as subvox.asr.faster makes them from the sequential
    generator, and whether the piece is finished (only ``stop_tail_s`` of padding is left)."""
    result, avg_logprob, temperature, ratio = decoded
    duration = len(job.samples) / 16000
    out: list[Segment] = []
    for s in current:
        text = tokenizer.decode(s["tokens"])
        if s["start"] == s["end"] or not text.strip():
            continue
        out.append(
            Segment(
                id=len(out),
                start=s["start"],
                end=s["end"],
                text=text.strip(),
                words=[Word(w["start"], w["end"], w["word"], w["probability"]) for w in s.get("words") or []],
                avg_logprob=avg_logprob,
                no_speech_prob=result.no_speech_prob,
                compression_ratio=ratio,
                temperature=temperature,
            )
        )
        if job.options.stop_tail_s and duration - s["end"] < job.options.stop_tail_s:
            return out, True
    return out, False


def detect_languages(model: Any, clips: list[np.ndarray]) -> list[tuple[str, float]]:
    """``WhisperModel.detect_language(audio=clip)`` for each clip (the first 30 s, one
    segment: its most likely language), with the clips' encoder passes in one batch."""
    from faster_whisper.audio import pad_or_trim

    fe = model.feature_extractor
    import ctranslate2

    features = np.stack([pad_or_trim(fe(c[: fe.n_samples])[..., : fe.nb_max_frames]) for c in clips])
    encoded = _encode(model, features)
    found = model.model.detect_language(
        encoded if not isinstance(encoded, np.ndarray) else ctranslate2.StorageView.from_array(encoded)
    )
    return [(langs[0][0][2:-2], float(langs[0][1])) for langs in found]
