"""Which TTS engine a speaker names, imported only when a job needs it.

Each engine module (``piper``, ``espeak``, ``outetts``) offers ``list_voices``,
``build_profile`` and ``load_voice`` (and ``voice_language`` where a voice says what it
speaks); it depends on ``base`` for the ``Voice`` interface, never the reverse.
"""

from __future__ import annotations

import importlib
from typing import Any

from subvox.revoice.tts.base import Voice

ENGINES = ("piper", "espeak", "outetts")


def _engine(name: str) -> Any:
    if name not in ENGINES:
        raise ValueError(f"unknown TTS engine {name!r} (known: {', '.join(ENGINES)})")
    return importlib.import_module(f"subvox.revoice.tts.{name}")


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


def voice_language(speaker: dict[str, Any]) -> str | None:
    """The language ``speaker``'s voice speaks, as Whisper names it; None where the engine does not
    say (OuteTTS: a clone speaks what its model can)."""
    engine = _engine(speaker["engine"])
    return engine.voice_language(speaker) if hasattr(engine, "voice_language") else None
