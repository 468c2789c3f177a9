"""Separate a recording of any length in overlapping chunks, so memory stays flat.

A chunk of ``chunk_s`` seconds is separated alone; consecutive chunks overlap by
``overlap_s`` and are cross-faded there, so no seam is heard (the network sees context on
both sides of every sample). Channels go through the stereo network in pairs (mono as a
pair of itself, 5.1 as three pairs), so the stems keep the source's channels. Input and
output are memory-mapped / streamed: only a chunk is ever in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from subvox.soundtrack.base import Separator


def vocals_of(separator: Separator, block: np.ndarray) -> np.ndarray:
    """The voice of ``block`` ((frames, channels) float32), channel pair by channel pair."""
    channels = block.shape[1]
    if channels == 1:
        return separator.vocals(np.stack([block[:, 0], block[:, 0]])).mean(axis=0)[:, None]
    out = np.empty_like(block)
    for c in range(0, channels, 2):
        pair = [c, c + 1] if c + 1 < channels else [c, c]
        voice = separator.vocals(np.ascontiguousarray(block[:, pair].T))
        out[:, c] = voice[0]
        if c + 1 < channels:
            out[:, c + 1] = voice[1]
    return out


def chunk_bounds(n: int, chunk: int, overlap: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of each chunk; each starts ``overlap`` before the previous one's stop."""
    start = 0
    while True:
        stop = min(n, start + chunk)
        yield start, stop
        if stop >= n:
            return
        start = stop - overlap


def separate_stream(
    separator: Separator,
    source: np.ndarray,
    write: Callable[[np.ndarray, np.ndarray], None],
    chunk_s: float,
    overlap_s: float,
) -> None:
    """Separate ``source`` ((frames, channels) int16 at the separator's rate) chunk by chunk;
    ``write(vocals, background)`` gets consecutive float32 blocks covering every frame once."""
    rate = separator.sample_rate
    chunk = max(round(chunk_s * rate), 1)
    overlap = min(round(overlap_s * rate), chunk // 2)
    tail: np.ndarray | None = None
    n = source.shape[0]
    for start, stop in chunk_bounds(n, chunk, overlap):
        mix = np.asarray(source[start:stop], dtype=np.float32) / 32768.0
        voice = vocals_of(separator, mix)
        if tail is not None:  # cross-fade the overlap with the previous chunk's estimate
            k = tail.shape[0]
            ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)[:, None]
            voice[:k] = tail * (1.0 - ramp) + voice[:k] * ramp
        keep = voice.shape[0] if stop >= n else voice.shape[0] - overlap
        tail = voice[keep:].copy()
        if keep:
            write(voice[:keep], mix[:keep] - voice[:keep])
