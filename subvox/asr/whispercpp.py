"""whisper.cpp backend (pywhispercpp), on a ggml file converted from the same weights.

Decoding options map onto whisper.cpp's ``whisper_full_params``:

* ``beam_size`` > 1: beam search (whisper.cpp allows at most 8 decoders, so beam_size and
  best_of are capped at 8); 1: greedy. ``best_of`` is the number of samples at
  temperatures above 0. ``patience`` is passed on but whisper.cpp does not implement it.
* ``temperature``: whisper.cpp falls back from the first temperature in even steps
  (the first step of the list) up to 1.0, not along an arbitrary list.
* ``log_prob_threshold`` and ``no_speech_threshold`` trigger fallback and drop windows of
  no speech exactly as in openai-whisper. ``compression_ratio_threshold`` has no
  equivalent: whisper.cpp's repetition check is a token-entropy threshold (kept at its
  default 2.4; ``null`` turns it off). The compression ratio is still computed per
  segment, so subvox's guards apply the configured threshold afterwards.
* ``condition_on_previous_text``: whisper.cpp always conditions on the previous window
  inside one call; false turns that off only when there is no ``initial_prompt``. Text
  never carries over from one call (file, region or chunk) to the next: subvox passes
  the previous text as the prompt itself, as for the other backends.
* ``no_speech_prob`` per segment and the temperature a segment was decoded at are not
  exposed by pywhispercpp 1.5.1: those fields stay null.
* ``seed``: whisper.cpp seeds its samplers itself (fixed seeds); every transcription
  runs on a freshly loaded context, so the result never depends on earlier calls.
* ``compute_type``: the model file decides (f16, or quantized if you give such a file);
  whisper.cpp 1.8.5 cannot run all-f32 ggml models (it aborts), they are refused.

Word timings come from whisper.cpp's DTW alignment on the cross-attention heads of the
model (its presets, chosen from the model's dimensions; other models use every head of
the top half of the decoder layers, openai-whisper's default). Silero VAD is applied as
for openai-whisper; language detection uses whisper.cpp's own (``whisper_lang_auto_detect``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from subvox.asr.base import (
    DecodeOptions,
    Segment,
    Transcript,
    Word,
    restore_vad_times,
    speech_language,
    vad_speech,
)
from subvox.errors import SubvoxError
from subvox.models.ggml import GgmlModel, read_ggml

SAMPLE_RATE = 16000
MAX_DECODERS = 8  # WHISPER_MAX_DECODERS
NO_SPACE_LANGUAGES = {"zh", "ja", "th", "lo", "my", "yue"}  # words are characters (as openai-whisper splits them)

log = logging.getLogger("subvox")
logging.getLogger("pywhispercpp").setLevel(logging.WARNING)  # "Transcribing ..." for every call

# ggml_log_level: 3 warn, 4 error (2 info, 1 debug, 5 continuation)
_LOG_WARN, _LOG_ERROR = 3, 4
_load_lock = threading.Lock()


@contextlib.contextmanager
def _captured_whisper_log() -> Iterator[list[str]]:
    """Collect whisper.cpp's error lines (and drop its chatty info lines) while a model loads.

    whisper.cpp reports a failed load only there; it returns a context that must not be
    used. The Python callback is removed again afterwards: whisper.cpp would call it after
    the interpreter has shut down (freeing a model at exit), and it is quiet once loaded.
    """
    import _pywhispercpp as pw

    errors: list[str] = []

    def collect(level: int, text: str) -> None:
        text = text.rstrip()
        if level == _LOG_ERROR:
            errors.append(text)
            log.error("whisper.cpp: %s", text)
        elif level == _LOG_WARN and text:
            log.warning("whisper.cpp: %s", text)

    with _load_lock:
        pw.whisper_log_set(collect)
        try:
            yield errors
        finally:
            pw.whisper_log_set(None)


def _alignment_heads(model: GgmlModel) -> tuple[str, int]:
    """whisper.cpp's DTW alignment-head preset for a model, from its dimensions.

    Returns (preset name, n_top); ``N_TOP_MOST`` with every head of the top half of the
    decoder layers when the dimensions match no released model unambiguously.
    """
    h = model.hparams
    sizes = {(4, 384): "TINY", (6, 512): "BASE", (12, 768): "SMALL", (24, 1024): "MEDIUM"}
    size = sizes.get((h["n_text_layer"], h["n_text_state"]))
    if size:
        return (size if model.multilingual else f"{size}_EN"), 0
    if h["n_text_state"] == 1280 and h["n_vocab"] == 51866 and h["n_mels"] == 128:
        if h["n_text_layer"] == 32:
            return "LARGE_V3", 0
        if h["n_text_layer"] == 4:
            return "LARGE_V3_TURBO", 0
    return "N_TOP_MOST", max(1, h["n_text_layer"] // 2)


class WhisperCppTranscriber:
    backend = "whisper.cpp"

    def __init__(self, model_path: str, model_name: str, device: str, compute_type: str, threads: int) -> None:
        del compute_type  # ggml uses the precision of its file: compute_type is CTranslate2's and unused
        self.model_name = model_name
        self.model_path = os.path.abspath(model_path)  # an existing file: pywhispercpp never downloads it
        self.device = device
        self.threads = max(1, threads)
        self.info = read_ggml(model_path)  # a clear error for a missing or broken file
        if self.info.ftype == 0:  # whisper.cpp would abort the process in its f16-only conv kernel
            raise SubvoxError(
                f"{model_path}: an all-f32 ggml model; whisper.cpp 1.8.5 can only run f16 (or quantized) "
                "models: convert with `subvox convert-model --format ggml`"
            )
        self.multilingual = self.info.multilingual
        self.alignment_heads, self._n_top = _alignment_heads(self.info)
        self.model: Any = None
        self._load()

    def _load(self) -> None:
        """A fresh whisper.cpp context (the model loaded anew).

        Each transcription gets one: whisper.cpp's state remembers earlier calls (the
        beam-search cells of its shared KV cache, the random generator of its first
        decoder), so a file decoded after another would not always give the same text as
        decoded alone. Loading costs about 0.15 s for tiny, a few seconds for large models.
        """
        import _pywhispercpp as pw
        from pywhispercpp.model import Model

        self.model = None  # free the previous context first (memory)
        with _captured_whisper_log() as errors:
            model = Model(
                self.model_path,
                redirect_whispercpp_logs_to=False,
                context_params={
                    "use_gpu": self.device == "cuda",
                    "flash_attn": False,  # whisper.cpp computes no DTW timings with flash attention
                    "dtw_token_timestamps": True,
                    "dtw_aheads_preset": getattr(
                        pw.whisper_alignment_heads_preset, f"WHISPER_AHEADS_{self.alignment_heads}"
                    ),
                    "dtw_n_top": self._n_top,
                },
                n_threads=self.threads,
                print_progress=False,
                print_realtime=False,
                print_timestamps=False,
            )
        if errors:
            model._ctx = None  # a failed load leaves a null context: never use (or free) it
            raise SubvoxError(f"{self.model_path}: whisper.cpp could not load the model: {errors[0]}")
        self.model = model
        self.eot = pw.whisper_token_eot(model._ctx)
        self._used = False

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        if not self.multilingual:
            return "en", 1.0
        self._used = True
        (lang, prob), _ = self.model.auto_detect_language(
            np.ascontiguousarray(audio[: 30 * SAMPLE_RATE], dtype=np.float32), offset_ms=0, n_threads=self.threads
        )
        return lang, float(prob)

    def _params(self, options: DecodeOptions, language: str) -> dict[str, Any]:
        import _pywhispercpp as pw

        temps = options.temperature or (0.0,)
        beam = min(options.beam_size, MAX_DECODERS)
        strategy = pw.whisper_sampling_strategy
        return {
            "strategy": strategy.WHISPER_SAMPLING_BEAM_SEARCH if beam > 1 else strategy.WHISPER_SAMPLING_GREEDY,
            "beam_search": {"beam_size": beam, "patience": options.patience},
            "greedy": {"best_of": min(options.best_of, MAX_DECODERS)},
            "language": language,
            "translate": options.task == "translate",
            "temperature": temps[0],
            "temperature_inc": max(0.0, temps[1] - temps[0]) if len(temps) > 1 else 0.0,
            "length_penalty": -1.0 if options.length_penalty is None else options.length_penalty,
            "entropy_thold": 0.0 if options.compression_ratio_threshold is None else 2.4,
            "logprob_thold": float("-inf") if options.log_prob_threshold is None else options.log_prob_threshold,
            "no_speech_thold": 1.0 if options.no_speech_threshold is None else options.no_speech_threshold,
            "initial_prompt": options.initial_prompt or "",
            "no_context": True,
            "n_max_text_ctx": 16384 if options.condition_on_previous_text or options.initial_prompt else 0,
            "suppress_blank": True,
            "suppress_nst": True,  # openai-whisper's and faster-whisper's suppress_tokens=[-1]
            "token_timestamps": False,
            "n_threads": self.threads,
            "vad": False,
            "print_progress": False,
            "print_realtime": False,
        }

    def _segments(self, options: DecodeOptions, language: str, duration: float) -> list[Segment]:
        """The last call's segments, with words from the DTW token times."""
        import _pywhispercpp as pw
        from faster_whisper.transcribe import get_compression_ratio

        ctx = self.model._ctx
        segments: list[Segment] = []
        for i in range(pw.whisper_full_n_segments(ctx)):
            start = pw.whisper_full_get_segment_t0(ctx, i) / 100
            end = min(max(pw.whisper_full_get_segment_t1(ctx, i) / 100, start), max(duration, start))
            tokens = [pw.whisper_full_get_token_data(ctx, i, j) for j in range(pw.whisper_full_n_tokens(ctx, i))]
            text_tokens = [(t, pw.whisper_token_to_bytes(ctx, t.id)) for t in tokens if t.id < self.eot]
            text = b"".join(b for _, b in text_tokens).decode("utf-8", errors="replace").strip()
            if not text:
                continue
            words = _words(text_tokens, start, end, language) if options.word_timestamps else []
            segments.append(
                Segment(
                    id=len(segments),
                    start=start,
                    end=end,
                    text=text,
                    words=words,
                    avg_logprob=float(np.mean([t.plog for t in tokens])) if tokens else None,
                    no_speech_prob=None,
                    compression_ratio=get_compression_ratio(text),
                    temperature=None,
                )
            )
        return segments

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        duration = len(audio) / SAMPLE_RATE
        chunks, speech = vad_speech(audio, options)
        lang, lang_prob = speech_language(self, speech, options)
        segments: list[Segment] = []
        if len(speech):
            if self._used:
                self._load()
            self._used = True
            self.model.transcribe(np.ascontiguousarray(speech, dtype=np.float32), **self._params(options, lang))
            text_lang = "en" if options.task == "translate" else lang
            segments = restore_vad_times(self._segments(options, text_lang, len(speech) / SAMPLE_RATE), chunks)
        return Transcript(
            language=lang,
            language_probability=lang_prob,
            duration=duration,
            segments=segments,
            backend=self.backend,
            model=self.model_name,
            options=options.to_dict(),
        )


def _words(tokens: list[tuple[Any, bytes]], start: float, end: float, language: str) -> list[Word]:
    """Words of one segment from its text tokens (token data, bytes).

    A word starts at a token beginning with a space (at every complete character in
    languages written without spaces). whisper.cpp's DTW time of a token is where it
    ends, so a word ends at its last token's time and starts where the previous word
    ended (the segment start for the first). A word without a DTW time (whisper.cpp
    skipped the alignment) gets its share of the time around it by length.
    """
    groups: list[list[tuple[Any, bytes]]] = []
    per_char = language in NO_SPACE_LANGUAGES
    for tok, raw in tokens:
        new = not groups or raw.startswith(b" ")
        if per_char and groups:
            try:
                b"".join(r for _, r in groups[-1]).decode("utf-8")
                new = True
            except UnicodeDecodeError:
                new = False  # an unfinished multi-byte character continues
        if new:
            groups.append([])
        groups[-1].append((tok, raw))
    texts = [b"".join(r for _, r in g).decode("utf-8", errors="replace") for g in groups]
    kept = [(g, t) for g, t in zip(groups, texts, strict=True) if t.strip()]
    ends = [g[-1][0].t_dtw / 100 if g[-1][0].t_dtw >= 0 else None for g, _ in kept]
    for i in range(len(ends)):  # fill gaps in proportion to the characters of the words
        if ends[i] is None:
            j = next((k for k in range(i, len(ends)) if ends[k] is not None), len(ends))
            t0 = ends[i - 1] if i else start
            t1 = ends[j] if j < len(ends) else end
            chars = [len(t.strip()) for _, t in kept[i : j + 1]]  # the words between t0 and t1
            ends[i] = t0 + (t1 - t0) * chars[0] / sum(chars)
    words: list[Word] = []
    prev_end = start
    for (group, text), e in zip(kept, ends, strict=True):
        w_start = min(prev_end, end)
        w_end = min(max(e, w_start), end)
        words.append(Word(w_start, w_end, text, float(np.mean([t.p for t, _ in group]))))
        prev_end = w_end
    return words
