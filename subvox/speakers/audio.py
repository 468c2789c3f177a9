"""Sample access for long recordings: float conversion, block iteration, page release.

The diarizer reads a memory-mapped int16 WAV one block at a time. Pages read through a
file map stay in this process's RSS until the map is dropped, so the map's pages are
released after every block: that is what keeps peak memory flat whether the file lasts
3 minutes or 3 hours.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator

import numpy as np

from subvox.media.ffmpeg import as_float

SAMPLE_RATE = 16000


def release(audio: np.ndarray) -> None:
    """Drop every page of ``audio`` from this process when it is a memory map (a no-op for
    ordinary arrays); the page cache keeps them, only our RSS shrinks.

    The whole map, not just the slice read: the kernel maps pages around each fault
    (fault-around, read-ahead), so releasing exactly the pages of a slice leaves a few
    neighbours behind each time, and over thousands of windows that adds up to most of a
    long file. Pages still needed fault back in from the page cache.
    """
    mm = getattr(audio, "_mmap", None)
    if mm is not None and hasattr(mm, "madvise") and len(mm):
        mm.madvise(mmap.MADV_DONTNEED)


def read(audio: np.ndarray, start: int, end: int) -> np.ndarray:
    """``audio[start:end]`` (clipped to the array) as a fresh float32 array."""
    start, end = max(0, start), min(len(audio), end)
    return as_float(np.array(audio[start:end]))


def blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive blocks of ``size`` samples covering ``n`` samples."""
    for start in range(0, n, size):
        yield start, min(n, start + size)
