"""Speech recognition behind one interface: faster-whisper, openai-whisper and whisper.cpp."""

from subvox.asr.base import DecodeOptions, Segment, Transcriber, Transcript, Word
from subvox.asr.registry import ModelSpec, load_transcriber

__all__ = ["DecodeOptions", "ModelSpec", "Segment", "Transcriber", "Transcript", "Word", "load_transcriber"]
