"""Sample access for long recordings: float conversion, block iteration.

The diarizer reads a memory-mapped int16 WAV one block at a time and releases the map's
pages after every block (subvox.media.ffmpeg.release_map): that is what keeps peak memory
flat whether the file lasts 3 minutes or 3 hours.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from subvox.media.ffmpeg import as_float

SAMPLE_RATE = 16000


def read(audio: np.ndarray, start: int, end: int) -> np.ndarray:
    """``audio[start:end]`` (clipped to the array) as a fresh float32 array."""
    start, end = max(0, start), min(len(audio), end)
    return as_float(np.array(audio[start:end]))


def blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive blocks of ``size`` samples covering ``n`` samples."""
    for start in range(0, n, size):
        yield start, min(n, start + size)
