"""One interface for every TTS engine: load a voice once per job, speak one cue per call.

A *speaker* is an entry of the config's ``speakers:`` map (``engine`` plus engine options).
A *profile* is the JSON a speaker is turned into once, by the ``speaker_profile`` rule, and
reused by every file: for a built-in voice it just names the voice; for a cloned OuteTTS
voice it carries the reference clip's codec tokens and word timings, so it can be shipped
to machines that never saw the reference clip.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

ENGINES = ("piper", "espeak", "outetts")


class Voice(Protocol):
    """A loaded voice: ``synthesize`` as many cues as you like."""

    engine: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``: float32 mono samples in [-1, 1] at ``sample_rate``."""
        ...


def _engine(name: str) -> Any:
    if name == "piper":
        from subvox.tts import piper as mod
    elif name == "espeak":
        from subvox.tts import espeak as mod
    elif name == "outetts":
        from subvox.tts import outetts as mod
    else:
        raise ValueError(f"unknown TTS engine {name!r} (known: {', '.join(ENGINES)})")
    return mod


def list_voices(engine: str, speaker: dict[str, Any] | None = None) -> list[str]:
    """Built-in voices ``engine`` offers here (for OuteTTS: of the configured model)."""
    return _engine(engine).list_voices(speaker or {})


def build_profile(speaker: dict[str, Any], reference: dict[str, Any] | None, device: str = "cpu") -> dict[str, Any]:
    """The JSON profile of ``speaker``.

    ``reference`` is None for built-in voices, else ``{"audio": path to a WAV,
    "text": transcript, "words": [{"word", "start", "end"}, ...]}`` with word timings
    from subvox's own Whisper run, so no engine needs an aligner or a download.
    """
    return _engine(speaker["engine"]).build_profile(speaker, reference, device)


def load_voice(speaker: dict[str, Any], profile: dict[str, Any], device: str = "cpu") -> Voice:
    """Load the engine and model for ``speaker`` once, with its built ``profile``."""
    return _engine(speaker["engine"]).load_voice(speaker, profile, device)
