"""Text-to-speech engines behind one interface, for the re-voicing stage."""

from subvox.tts.base import Voice, list_voices, load_voice

__all__ = ["Voice", "list_voices", "load_voice"]
