"""openai-whisper: the first decode of many Whisper windows as one batched ``model.decode``.

openai-whisper's ``transcribe`` decodes one 30-s window at a time. Its ``decode`` takes a
batch of log-Mel windows (encoder and beam search over all of them at once), so here a
batch of windows is decoded together at the first temperature, and everything else
follows ``transcribe`` per window, with openai-whisper's own functions where it has them:

* the log-Mel of each piece as ``transcribe`` computes it (the whole piece, 30 s of
  padding), the window sliced from it;
* temperature fallback per window, alone, in ``transcribe``'s order and with its rule
  (the last temperature tried is kept), seeded as subvox.asr.openai seeds a piece;
* the no-speech skip, and word timings with ``whisper.timing.add_word_timestamps``;
* timestamp splitting with faster-whisper's ``_split_segments_by_timestamps`` (the same
  algorithm as ``transcribe``'s inline code, which openai-whisper does not expose; the
  token ids are the same vocabulary). Segments that are instantaneous or empty are kept
  with no text, as ``transcribe`` returns them (the guards then drop them, as before).

What openai-whisper's API cannot batch: the word alignment (``add_word_timestamps`` runs the
whole model again on one window: the cost of word timings stays per window) and fallback
decodes. As in subvox.asr.openai, pieces are decoded to their end (no ``stop_tail_s``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from subvox.asr.base import DecodeOptions, Segment, Word
from subvox.asr.windows import WindowJob, WindowResult

_STRIDE = SimpleNamespace(time_precision=0.02, input_stride=2)  # what the splitting method reads from self


def _decode_options(options: DecodeOptions, fp16: bool) -> dict[str, Any]:
    """The ``decode_options`` subvox.asr.openai's call leaves ``transcribe`` to pass on (the
    prompt: the initial prompt on a piece's first window, nothing on later ones)."""
    return {
        "task": options.task,
        "language": options.language,
        "beam_size": options.beam_size,
        "best_of": options.best_of,
        "patience": options.patience,
        "length_penalty": options.length_penalty,
        "fp16": fp16,
        "prompt": [],
    }


def _decoding(kwargs: dict[str, Any], temperature: float) -> Any:
    """``transcribe``'s DecodingOptions for one temperature (beam search at 0, sampling above)."""
    from whisper.decoding import DecodingOptions

    kwargs = dict(kwargs)
    for key in ("beam_size", "patience") if temperature > 0 else ("best_of",):
        kwargs.pop(key, None)
    return DecodingOptions(**kwargs, temperature=temperature)


def _needs_fallback(result: Any, options: DecodeOptions) -> bool:
    """``transcribe``'s test: too repetitive or too improbable, unless it is silence."""
    if (
        options.no_speech_threshold is not None
        and result.no_speech_prob > options.no_speech_threshold
        and options.log_prob_threshold is not None
        and result.avg_logprob < options.log_prob_threshold
    ):
        return False
    ratio = options.compression_ratio_threshold
    return (ratio is not None and result.compression_ratio > ratio) or (
        options.log_prob_threshold is not None and result.avg_logprob < options.log_prob_threshold
    )


def decode_windows(model: Any, device: str, jobs: list[WindowJob]) -> list[WindowResult]:
    """Decode one window of each job (all with the same ``WindowJob.key``) as one batch."""
    import torch
    from faster_whisper.transcribe import WhisperModel
    from whisper.audio import HOP_LENGTH, N_FRAMES, N_SAMPLES, SAMPLE_RATE, log_mel_spectrogram, pad_or_trim
    from whisper.timing import add_word_timestamps
    from whisper.tokenizer import get_tokenizer
    from whisper.utils import get_end

    options = jobs[0].options
    dtype = torch.float16 if device == "cuda" else torch.float32
    tokenizer = get_tokenizer(
        model.is_multilingual, num_languages=model.num_languages, language=options.language, task=options.task
    )
    kwargs = _decode_options(options, dtype == torch.float16)
    if options.initial_prompt:
        kwargs["prompt"] = tokenizer.encode(" " + options.initial_prompt.strip())
    mels, sizes, contents = [], [], []
    for job in jobs:
        mel = log_mel_spectrogram(job.samples, model.dims.n_mels, padding=N_SAMPLES)
        contents.append(mel.shape[-1] - N_FRAMES)
        sizes.append(min(N_FRAMES, contents[-1] - job.seek))
        mels.append(pad_or_trim(mel[:, job.seek : job.seek + sizes[-1]], N_FRAMES).to(model.device).to(dtype))
        del mel
    temperatures = list(options.temperature)
    results = model.decode(torch.stack(mels), _decoding(kwargs, temperatures[0]))
    for i, job in enumerate(jobs):
        if _needs_fallback(results[i], options) and len(temperatures) > 1 and not job.packed:
            torch.manual_seed(job.options.seed)
            for t in temperatures[1:]:
                results[i] = model.decode(mels[i], _decoding(kwargs, t))
                if not _needs_fallback(results[i], options):
                    break
    out = []
    for job, result, mel, size, content in zip(jobs, results, mels, sizes, contents, strict=True):
        skip = options.no_speech_threshold is not None and result.no_speech_prob > options.no_speech_threshold
        if skip and not (options.log_prob_threshold is not None and result.avg_logprob > options.log_prob_threshold):
            nxt = job.seek + size
            out.append(WindowResult([], nxt if nxt < content else None, job.last_speech))
            continue
        offset = float(job.seek * HOP_LENGTH / SAMPLE_RATE)
        current, seek, single_ending = WhisperModel._split_segments_by_timestamps(
            _STRIDE,  # type: ignore[arg-type]
            tokenizer=tokenizer,
            tokens=list(result.tokens),
            time_offset=offset,
            segment_size=size,
            segment_duration=size * HOP_LENGTH / SAMPLE_RATE,
            seek=job.seek,
        )
        last_speech = job.last_speech
        for s in current:
            s["words"] = []
        if options.word_timestamps:
            add_word_timestamps(
                segments=current,
                model=model,
                tokenizer=tokenizer,
                mel=mel,
                num_frames=size,
                last_speech_timestamp=last_speech,
            )
            end = get_end(current)
            if not single_ending and end is not None and end > offset:
                seek = round(end * 100)
            last_speech = end if end is not None else last_speech
        segments = []
        for s in current:
            text = tokenizer.decode([t for t in s["tokens"] if t < tokenizer.eot])
            empty = s["start"] == s["end"] or not text.strip()
            words = [Word(w["start"], w["end"], w["word"], w["probability"]) for w in s["words"]]
            segments.append(
                Segment(
                    id=len(segments),
                    start=s["start"],
                    end=s["end"],
                    text="" if empty else text.strip(),
                    words=[] if empty else words,
                    avg_logprob=result.avg_logprob,
                    no_speech_prob=result.no_speech_prob,
                    compression_ratio=result.compression_ratio,
                    temperature=result.temperature,
                )
            )
        out.append(WindowResult(segments, seek if seek < content else None, last_speech))
    return out


def detect_languages(model: Any, device: str, clips: list[np.ndarray]) -> list[tuple[str, float]]:
    """subvox.asr.openai's ``detect_language`` for each clip, the clips' encoder passes in one batch."""
    import torch
    import whisper

    mels = torch.stack([whisper.log_mel_spectrogram(whisper.pad_or_trim(c), model.dims.n_mels) for c in clips])
    _, probs = model.detect_language(mels.to(device))
    return [(max(p, key=p.get), float(p[max(p, key=p.get)])) for p in probs]
