"""faster-whisper (CTranslate2) backend: one piece at a time (``transcribe``), or a batch of
Whisper windows in one encoder and generate call (``decode_windows``, subvox.asr.fw_batch)."""

from __future__ import annotations

import numpy as np

from subvox.asr import features, fw_batch
from subvox.asr.base import DecodeOptions, Segment, Transcript, Word
from subvox.asr.windows import WindowJob, WindowResult


class FasterWhisperTranscriber:
    backend = "faster-whisper"
    trims_windows = True  # CTranslate2's encoder reads fewer than 3000 frames (subvox.asr.windows)

    def __init__(self, model_path: str, model_name: str, device: str, compute_type: str, threads: int) -> None:
        from faster_whisper import WhisperModel

        self.model_name = model_name
        self.model = WhisperModel(
            model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=threads,
            num_workers=1,
            local_files_only=True,
        )
        features.install(self.model)  # same features, memory bounded per block (long chunks)
        self.multilingual = bool(self.model.model.is_multilingual)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        if not self.multilingual:
            return "en", 1.0
        lang, prob, _ = self.model.detect_language(audio=audio)
        return lang, float(prob)

    def detect_languages(self, clips: list[np.ndarray]) -> list[tuple[str, float]]:
        """``detect_language`` of each clip, their encoder passes in one batch."""
        if not self.multilingual:
            return [("en", 1.0)] * len(clips)
        return fw_batch.detect_languages(self.model, clips)

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        """One Whisper window of each job, all in one batch (same language, task and prompt)."""
        return fw_batch.decode_windows(self.model, jobs)

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        import ctranslate2

        ctranslate2.set_random_seed(options.seed)
        segments, info = self.model.transcribe(
            audio,
            language=options.language,
            task=options.task,
            **fw_batch.decode_kwargs(options),
            vad_filter=options.vad,
            vad_parameters=options.vad_options() if options.vad else None,
        )
        out = []
        duration = len(audio) / 16000
        for s in segments:  # a generator: each further 30-s window is decoded only when asked for
            out.append(
                Segment(
                    id=len(out),
                    start=s.start,
                    end=s.end,
                    text=s.text.strip(),
                    words=[Word(w.start, w.end, w.word, w.probability) for w in (s.words or [])],
                    avg_logprob=s.avg_logprob,
                    no_speech_prob=s.no_speech_prob,
                    compression_ratio=s.compression_ratio,
                    temperature=s.temperature,
                )
            )
            if options.stop_tail_s and duration - s.end < options.stop_tail_s:
                break  # only padding is left: no window (a full encoder pass) for it
        return Transcript(
            language=info.language,
            language_probability=info.language_probability,
            duration=duration,
            segments=out,
            backend=self.backend,
            model=self.model_name,
            options=options.to_dict(),
        )
