"""openai-whisper (PyTorch) backend, with a safe checkpoint loader and Silero VAD; batches of
Whisper windows go through subvox.asr.ow_batch."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from subvox.asr import ow_batch
from subvox.asr.base import DecodeOptions, Segment, Transcript, Word, restore_vad_times, speech_language, vad_speech
from subvox.asr.windows import WindowJob, WindowResult
from subvox.errors import SubvoxError

SAMPLE_RATE = 16000


def _alignment_mask(heads: list[list[int]], n_layer: int, n_head: int) -> Any:
    import torch

    mask = torch.zeros(n_layer, n_head, dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    return mask.to_sparse()


def load_checkpoint(path: str | os.PathLike[str], device: str = "cpu") -> Any:
    """Load an openai-whisper checkpoint with ``torch.load(weights_only=True)``.

    openai-whisper's own ``load_model`` unpickles arbitrary objects; this does not. The
    alignment heads stored by subvox's converter are applied, so word timings use the
    same cross-attention heads as faster-whisper.
    """
    import torch
    from whisper.model import ModelDimensions, Whisper

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise SubvoxError(f"{path}: not a loadable openai-whisper checkpoint ({type(exc).__name__})") from exc
    if not isinstance(ckpt, dict) or "dims" not in ckpt or "model_state_dict" not in ckpt:
        raise SubvoxError(f"{path}: not an openai-whisper checkpoint (no dims/model_state_dict)")
    dims = ModelDimensions(**ckpt["dims"])
    model = Whisper(dims)
    model.load_state_dict(ckpt["model_state_dict"])
    heads = ckpt.get("alignment_heads")
    if heads:
        model.register_buffer(
            "alignment_heads", _alignment_mask(heads, dims.n_text_layer, dims.n_text_head), persistent=False
        )
    return model.to(device)


class OpenAIWhisperTranscriber:
    backend = "openai-whisper"

    def __init__(self, model_path: str, model_name: str, device: str, compute_type: str, threads: int) -> None:
        del compute_type  # torch decodes in float32 here: compute_type is CTranslate2's and unused
        import torch

        torch.set_num_threads(max(1, threads))
        self.model_name = model_name
        self.device = device
        self.model = load_checkpoint(model_path, device)
        self.multilingual = bool(self.model.is_multilingual)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        import whisper

        if not self.multilingual:
            return "en", 1.0
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), self.model.dims.n_mels).to(self.device)
        _, probs = self.model.detect_language(mel)
        lang = max(probs, key=probs.get)
        return lang, float(probs[lang])

    def detect_languages(self, clips: list[np.ndarray]) -> list[tuple[str, float]]:
        """``detect_language`` of each clip, their encoder passes in one batch."""
        if not self.multilingual:
            return [("en", 1.0)] * len(clips)
        return ow_batch.detect_languages(self.model, self.device, clips)

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        """One Whisper window of each job in one batched decode (subvox.asr.ow_batch)."""
        return ow_batch.decode_windows(self.model, self.device, jobs)

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        import torch

        torch.manual_seed(options.seed)
        duration = len(audio) / SAMPLE_RATE
        chunks, speech = vad_speech(audio, options)
        lang, lang_prob = speech_language(self, speech, options)
        segments: list[Segment] = []
        if len(speech):
            result = self.model.transcribe(
                speech,
                language=lang,
                task=options.task,
                temperature=options.temperature,
                compression_ratio_threshold=options.compression_ratio_threshold,
                logprob_threshold=options.log_prob_threshold,
                no_speech_threshold=options.no_speech_threshold,
                condition_on_previous_text=options.condition_on_previous_text,
                initial_prompt=options.initial_prompt,
                word_timestamps=options.word_timestamps,
                beam_size=options.beam_size,
                best_of=options.best_of,
                patience=options.patience,
                length_penalty=options.length_penalty,
                fp16=self.device == "cuda",
                verbose=None,
            )
            segments = [
                Segment(
                    id=i,
                    start=s["start"],
                    end=s["end"],
                    text=s["text"].strip(),
                    words=[Word(w["start"], w["end"], w["word"], w["probability"]) for w in s.get("words", [])],
                    avg_logprob=s["avg_logprob"],
                    no_speech_prob=s["no_speech_prob"],
                    compression_ratio=s["compression_ratio"],
                    temperature=s["temperature"],
                )
                for i, s in enumerate(result["segments"])
            ]
            segments = restore_vad_times(segments, chunks)
        return Transcript(
            language=lang,
            language_probability=lang_prob,
            duration=duration,
            segments=segments,
            backend=self.backend,
            model=self.model_name,
            options=options.to_dict(),
        )
