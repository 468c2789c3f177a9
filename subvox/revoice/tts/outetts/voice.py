"""Synthesis: one generation call per cue, with the speaker's codes checked in every prompt."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.revoice.tts.outetts.install import import_outetts
from subvox.revoice.tts.outetts.settings import (
    ENGINE,
    FRAMES_PER_SECOND,
    TOKENS_PER_FRAME,
    generation_options,
    interface_version,
    model_config,
    torch_device,
)
from subvox.revoice.tts.outetts.voices import builtin_speaker

log = logging.getLogger("subvox")


def prompt_codes(prompt: str, version: int) -> list[int]:
    """The audio codes written in a prompt (V3: the first codebook's)."""
    pattern = r"<\|c1_(\d+)\|>" if version == 3 else r"<\|(\d+)\|>"
    return [int(c) for c in re.findall(pattern, prompt)]


def speaker_codes(speaker: dict[str, Any], version: int) -> list[int]:
    """The audio codes of an OuteTTS speaker (V3: the first codebook's), in order."""
    key = "c1" if version == 3 else "codes"
    return [int(c) for w in speaker.get("words", []) for c in w[key]]


class OuteTTSVoice:
    """A loaded OuteTTS interface and speaker; ``synthesize`` makes one generation call per cue."""

    engine = ENGINE

    def __init__(self, interface: Any, speaker: dict[str, Any], generation: dict[str, Any], version: int) -> None:
        self.interface = interface
        self.speaker = speaker
        self.generation = generation
        self.version = version
        self.sample_rate = int(interface.audio_codec.sr)
        self.tokens_per_second = FRAMES_PER_SECOND * TOKENS_PER_FRAME[version]
        self.last_prompt_tokens = 0
        self.last_new_tokens = 0
        self.last_truncated = False
        self._banned = self._undecodable_tokens()

    def _undecodable_tokens(self) -> list[list[int]]:
        """Audio tokens the prompt processor maps but the codec cannot decode (banned from generation)."""
        pp = self.interface.prompt_processor
        codec = self.interface.audio_codec
        if self.version == 3:
            size = int(codec.model.codebook_size)
            mapping = {**pp.c1, **pp.c2}
        else:
            size = int(codec.decoder.codebook_weights.shape[0])
            mapping = pp.map_audio_tokens
        return [[token] for token, code in mapping.items() if code >= size]

    def prompt(self, text: str) -> str:
        """The completion prompt for ``text`` with this voice's speaker (passed by keyword)."""
        speaker = copy.deepcopy(self.speaker)  # V3 edits the speaker's last word in place
        prompt = self.interface.prompt_processor.get_completion_prompt(text, speaker=speaker)
        if speaker and prompt_codes(prompt, self.version) != speaker_codes(self.speaker, self.version):
            raise SubvoxError("OuteTTS left the speaker's audio codes out of the prompt (outetts version mismatch?)")
        return prompt

    def synthesize(self, text: str) -> np.ndarray:
        """Speak one cue: float32 mono at ``sample_rate`` (24 kHz), at most max_length tokens in all."""
        import torch

        text = " ".join(str(text).split())
        if not text:
            return np.zeros(0, dtype=np.float32)
        outetts = import_outetts()
        gen = self.generation
        max_length = int(gen["max_length"])
        input_ids = self.interface._prepare_prompt(self.prompt(text))
        n_prompt = int(input_ids.shape[-1])
        self.last_prompt_tokens = n_prompt
        if n_prompt >= max_length:
            raise SubvoxError(
                f"OuteTTS prompt for {text[:40]!r} is {n_prompt} tokens (reference clip + text), at or over "
                f"generation.max_length {max_length}: use a shorter reference clip or shorter cues"
            )
        config = outetts.GenerationConfig(
            text=text,
            generation_type=outetts.GenerationType.REGULAR,
            max_length=max_length,
            sampler_config=outetts.SamplerConfig(
                temperature=float(gen["temperature"]),
                repetition_penalty=float(gen["repetition_penalty"]),
                top_k=int(gen["top_k"]),
                top_p=float(gen["top_p"]),
                min_p=float(gen["min_p"]),
            ),
            additional_gen_config={"bad_words_ids": self._banned} if self._banned else {},
        )
        self.interface.check_generation_max_length(max_length)
        cuda = [torch.cuda.current_device()] if self.interface.model.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda), torch.inference_mode():
            torch.manual_seed(int(gen["seed"]))
            tokens = self.interface._generate(input_ids, config)
            self.last_new_tokens = len(tokens)
            self.last_truncated = n_prompt + len(tokens) >= max_length
            if self.last_truncated:
                log.warning(
                    "OuteTTS: %r reached generation.max_length %d (%d prompt tokens): its audio is cut at %.1f s",
                    text[:40],
                    max_length,
                    n_prompt,
                    (max_length - n_prompt) / self.tokens_per_second,
                )
            codes = self.interface.prompt_processor.extract_audio_from_tokens(tokens)
            if not (codes[0] if self.version == 3 else codes):
                raise SubvoxError(f"OuteTTS produced no audio for {text[:40]!r}")
            audio = self.interface.get_audio(tokens)
        samples = audio.detach().float().cpu().numpy().reshape(-1)
        return np.clip(np.nan_to_num(samples), -1.0, 1.0).astype(np.float32)

    def with_profile(self, profile: dict[str, Any]) -> OuteTTSVoice:
        """The same loaded interface speaking as another cloned ``profile`` (no second model load)."""
        voice = profile["speaker"]
        if self.version == 1:
            voice = v1_transcript_matching_words(self.interface.prompt_processor, voice)
        return OuteTTSVoice(self.interface, voice, self.generation, self.version)

    def max_seconds(self, prompt_tokens: int) -> float:
        """Longest audio one cue can get after a prompt of ``prompt_tokens`` tokens."""
        return max(0, int(self.generation["max_length"]) - prompt_tokens) / self.tokens_per_second


def load_voice(speaker: dict[str, Any], profile: dict[str, Any], device: str = "cpu") -> OuteTTSVoice:
    """Load the OuteTTS interface (LLM + codec) once for ``speaker`` with its built ``profile``."""
    version = interface_version(speaker)
    if profile.get("engine") != ENGINE:
        raise SubvoxError(f"speaker profile is for engine {profile.get('engine')!r}, not {ENGINE}")
    if int(profile.get("interface_version", version)) != version:
        raise SubvoxError(
            f"OuteTTS profile was built for interface_version {profile.get('interface_version')}, the speaker uses "
            f"{version}: rebuild the profile"
        )
    gen = generation_options(speaker, version)
    outetts = import_outetts()
    cfg = model_config(outetts, speaker, version, torch_device(device), with_llm=True)
    try:
        interface = outetts.Interface(cfg)
    except (OSError, ValueError, RuntimeError) as exc:
        raise SubvoxError(f"OuteTTS could not load {speaker.get('model_path')}: {exc}") from exc
    if isinstance(profile.get("speaker"), dict):
        voice = profile["speaker"]
    elif profile.get("default") and version != 3:
        voice = builtin_speaker(version, str(profile["default"]).lower())
    elif profile.get("default"):
        try:
            voice = interface.load_default_speaker(profile["default"])
        except (ValueError, OSError) as exc:
            raise SubvoxError(f"OuteTTS built-in voice {profile['default']!r}: {exc}") from exc
    else:
        raise SubvoxError("OuteTTS profile has neither `default` nor `speaker`: rebuild it")
    if not voice.get("words"):
        raise SubvoxError("OuteTTS speaker has no words: rebuild the profile")
    if version == 1:
        voice = v1_transcript_matching_words(interface.prompt_processor, voice)
    return OuteTTSVoice(interface, voice, gen, version)


def v1_transcript_matching_words(processor: Any, speaker: dict[str, Any]) -> dict[str, Any]:
    """The V1 speaker with a transcript that outetts 0.4.4 normalises to exactly the speaker's words.

    The V1 prompt lists the normalised transcript, then each word's audio codes; 0.4.4 splits
    contractions that 0.3.3, which made the built-in speakers, kept whole (``it's`` -> ``its``), so
    without this the prompt's text would have more words than its audio.
    """
    words = [str(w["word"]) for w in speaker["words"]]
    if processor.process_text(str(speaker.get("text", ""))) == words:
        return speaker
    log.debug("OuteTTS: V1 speaker transcript does not normalise to its words; using the words")
    return {**speaker, "text": " ".join(words)}
