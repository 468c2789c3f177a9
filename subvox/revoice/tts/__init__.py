"""Text-to-speech engines behind one interface, for the re-voicing stage."""

from subvox.revoice.tts.base import Voice
from subvox.revoice.tts.registry import list_voices, load_voice, voice_language

__all__ = ["Voice", "list_voices", "load_voice", "voice_language"]
