"""The backend-neutral transcript schema and the factory that loads a backend once per job."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

SCHEMA_VERSION = "subvox.transcript/1"


def _r(x: float | None, nd: int = 3) -> float | None:
    """Round times/scores so JSON is stable and readable (ms precision)."""
    return None if x is None else round(float(x), nd)


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": _r(self.start), "end": _r(self.end), "word": self.word, "probability": _r(self.probability, 4)}


@dataclass
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    temperature: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": _r(self.start),
            "end": _r(self.end),
            "text": self.text.strip(),
            "words": [w.to_dict() for w in self.words],
            "avg_logprob": _r(self.avg_logprob, 4),
            "no_speech_prob": _r(self.no_speech_prob, 4),
            "compression_ratio": _r(self.compression_ratio, 4),
            "temperature": _r(self.temperature, 2),
        }


@dataclass
class Transcript:
    """What every backend returns; serialised as the per-file JSON."""

    language: str
    language_probability: float
    duration: float
    segments: list[Segment]
    backend: str
    model: str
    options: dict[str, Any]
    languages: list[dict[str, Any]] = field(default_factory=list)  # per region, in time order
    guards: list[dict[str, Any]] = field(default_factory=list)  # hallucinations dropped/trimmed
    regions: list[Any] = field(default_factory=list, repr=False)  # pieces decoded (not serialised)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "language": self.language,
            "language_probability": _r(self.language_probability, 4),
            "languages": self.languages,
            "guards": self.guards,
            "duration": _r(self.duration),
            "backend": self.backend,
            "model": self.model,
            "options": self.options,
            "segments": [s.to_dict() for s in self.segments],
        }


@dataclass(frozen=True)
class DecodeOptions:
    """Decoding options shared by all backends (the ``asr`` config section)."""

    language: str | None = None  # None = detect
    task: str = "transcribe"
    beam_size: int = 5
    best_of: int = 5
    patience: float = 1.0
    length_penalty: float | None = None
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float | None = 2.4
    log_prob_threshold: float | None = -1.0
    no_speech_threshold: float | None = 0.6
    condition_on_previous_text: bool = False  # see the schema: prompts spoil long recordings
    initial_prompt: str | None = None
    word_timestamps: bool = True
    seed: int = 0
    batch_size: int = 4  # Whisper windows decoded at once (subvox.asr.batched); 1: one piece after the other
    pack_pieces: bool = False  # short pieces share windows: faster on clip libraries, but see the schema
    pack_tails: bool = True  # a region's unfinished tails share windows (subvox.asr.packing.first_fit)
    trim_windows: bool | str = "auto"  # short windows encoded shorter (subvox.asr.windows); auto: English-only models
    vad: bool = True
    vad_threshold: float = 0.5
    vad_min_speech_duration_ms: int = 250
    vad_min_silence_duration_ms: int = 2000
    vad_speech_pad_ms: int = 400
    vad_max_piece_s: float | None = 30.0  # speech decoded in VAD-cut pieces (see transcribe.decode_region)
    stop_tail_s: float = 0.0  # a piece: stop once less than this is left after the last segment

    @classmethod
    def from_config(cls, asr: dict[str, Any]) -> DecodeOptions:
        temp = asr.get("temperature", cls.temperature)
        temps = tuple(float(t) for t in (temp if isinstance(temp, list | tuple) else [temp]))
        vad = asr.get("vad", {})
        lang = asr.get("language", "auto")
        return cls(
            language=None if lang in (None, "auto") else lang,
            task=asr.get("task", cls.task),
            beam_size=asr.get("beam_size", cls.beam_size),
            best_of=asr.get("best_of", cls.best_of),
            patience=asr.get("patience", cls.patience),
            length_penalty=asr.get("length_penalty"),
            temperature=temps,
            compression_ratio_threshold=asr.get("compression_ratio_threshold", cls.compression_ratio_threshold),
            log_prob_threshold=asr.get("log_prob_threshold", cls.log_prob_threshold),
            no_speech_threshold=asr.get("no_speech_threshold", cls.no_speech_threshold),
            condition_on_previous_text=asr.get("condition_on_previous_text", cls.condition_on_previous_text),
            initial_prompt=asr.get("initial_prompt"),
            word_timestamps=asr.get("word_timestamps", True),
            seed=asr.get("seed", 0),
            batch_size=asr.get("batch_size", cls.batch_size),
            pack_pieces=asr.get("pack_pieces", cls.pack_pieces),
            pack_tails=asr.get("pack_tails", cls.pack_tails),
            trim_windows=asr.get("trim_windows", cls.trim_windows),
            vad=vad.get("enabled", True),
            vad_threshold=vad.get("threshold", cls.vad_threshold),
            vad_min_speech_duration_ms=vad.get("min_speech_duration_ms", cls.vad_min_speech_duration_ms),
            vad_min_silence_duration_ms=vad.get("min_silence_duration_ms", cls.vad_min_silence_duration_ms),
            vad_speech_pad_ms=vad.get("speech_pad_ms", cls.vad_speech_pad_ms),
            vad_max_piece_s=vad.get("max_piece_s", cls.vad_max_piece_s),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["temperature"] = list(self.temperature)
        return d

    def vad_options(self) -> Any:
        """faster-whisper's VadOptions (its bundled Silero model; nothing is downloaded)."""
        from faster_whisper.vad import VadOptions

        return VadOptions(
            threshold=self.vad_threshold,
            min_speech_duration_ms=self.vad_min_speech_duration_ms,
            min_silence_duration_ms=self.vad_min_silence_duration_ms,
            speech_pad_ms=self.vad_speech_pad_ms,
        )


def vad_speech(audio: np.ndarray, options: DecodeOptions) -> tuple[list[dict[str, int]] | None, np.ndarray]:
    """Silero VAD applied as faster-whisper applies it (for backends without their own).

    Returns the speech chunks (sample ranges) and the speech joined together, or
    ``(None, audio)`` when VAD is off; times decoded from the joined speech go back onto
    the original audio with ``restore_vad_times``.
    """
    if not options.vad:
        return None, audio
    from faster_whisper.vad import collect_chunks, get_speech_timestamps

    chunks = get_speech_timestamps(audio, options.vad_options())
    return chunks, np.concatenate(collect_chunks(audio, chunks)[0]) if chunks else audio[:0]


def restore_vad_times(segments: list[Segment], chunks: list[dict[str, int]] | None) -> list[Segment]:
    """Segment and word times in the joined speech of ``vad_speech`` -> times in the original audio."""
    if not chunks:
        return segments
    from faster_whisper.transcribe import restore_speech_timestamps

    return list(restore_speech_timestamps(segments, chunks, 16000))


def speech_language(model: Transcriber, speech: np.ndarray, options: DecodeOptions) -> tuple[str, float]:
    """The language to decode ``speech`` in: the configured one, else Whisper's detection.

    No speech: English for English-only models, ``und`` (probability 0) otherwise.
    """
    if options.language:
        return options.language, 1.0
    if len(speech):
        return model.detect_language(speech)
    return ("en", 1.0) if not model.multilingual else ("und", 0.0)


class Transcriber(Protocol):
    """A loaded model: call ``transcribe`` for as many files as you like."""

    backend: str
    model_name: str
    multilingual: bool

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        """Transcribe 16 kHz mono float32 audio (one language: given, or detected by Whisper)."""
        ...

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Most likely language of (up to 30 s of) audio and its probability."""
        ...
