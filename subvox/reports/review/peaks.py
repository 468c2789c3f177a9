"""The waveform envelope a review page draws under its cues, cached per media file.

Decoding is the slow part of a report (a second or so per hour of audio), so each file's
envelope is kept under ``OUT/_subvox/review/peaks/`` with the media file's stamp and is
decoded again only when the media changes.
"""

from __future__ import annotations

import numpy as np

from subvox.library.atomic import read_json, write_json
from subvox.library.layout import made_from, stamp
from subvox.media.ffmpeg import decode_at

RATE = 4000  # Hz: enough for the envelope, and a 3-hour file is 86 MB of samples
PER_SECOND = 50  # envelope bins per second of audio ...
MAX_BINS = 3000  # ... up to this many per file


def envelope(samples: np.ndarray, rate: int) -> list[int]:
    """Peak level (0-100, linear) of each bin of ``samples`` (16-bit mono)."""
    if not len(samples):
        return []
    bins = int(min(MAX_BINS, max(1, round(len(samples) / rate * PER_SECOND)), len(samples)))
    edges = np.linspace(0, len(samples), bins + 1).astype(np.int64)
    peaks = np.maximum.reduceat(np.abs(samples.astype(np.int32)), edges[:-1])
    return [int(p) for p in np.minimum(100, np.ceil(peaks * 100 / 32768))]


def cached_envelope(path: str, media: str, stream: int) -> list[int]:
    """The envelope of ``media``'s audio stream ``stream``, from the cache at ``path`` when current."""
    if made_from(path, media):
        cached = read_json(path)
        if cached.get("stream") == stream and cached.get("rate") == RATE:
            return cached["peaks"]
    peaks = envelope(decode_at(media, RATE, stream), RATE)
    write_json(path, {"stream": stream, "rate": RATE, "peaks": peaks})
    stamp(path, media)
    return peaks
