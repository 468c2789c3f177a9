"""Where the speech is, finely: Silero VAD with short minimum speech and pause.

The decoding VAD (asr.vad) is coarse on purpose (2-s pauses, 400-ms padding) so pieces
keep their context; judging a segment (subvox.asr.hallucination) or placing a word
boundary (subvox.asr.snap) needs the speech itself, to within tens of milliseconds.
"""

from __future__ import annotations

import numpy as np

from subvox.media.ffmpeg import release_map

RATE = 16000


def as_float(audio: np.ndarray, a: int, b: int) -> np.ndarray:
    """Samples ``a:b`` (clipped to the audio) as float32 in [-1, 1]; int16 memory maps read only
    there, and their pages dropped again (media.ffmpeg.release_map): the guards and the word
    snapping read around every segment after decoding, i.e. most of the file, which otherwise
    stayed in RSS (20-min file: +33 MB at the end of the job, a 3-h file ~300 MB)."""
    piece = np.asarray(audio[max(0, a) : max(0, b)])
    out = piece.astype(np.float32) / 32768.0 if piece.dtype == np.int16 else piece.astype(np.float32)
    release_map(audio)
    return out


def speech_spans(audio: np.ndarray, start: float, end: float, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Speech (s, file times) that Silero hears between ``start`` and ``end``."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    a = max(0, int(start * RATE))
    x = as_float(audio, a, int(end * RATE))
    if len(x) < 512:
        return []
    opts = VadOptions(threshold=threshold, min_speech_duration_ms=60, min_silence_duration_ms=100, speech_pad_ms=30)
    return [((c["start"] + a) / RATE, (c["end"] + a) / RATE) for c in get_speech_timestamps(x, opts)]
