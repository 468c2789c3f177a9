"""One Whisper window as a unit of work: what a backend's batched decoder takes and gives back.

Whisper reads 30 s at a time. WhisperModel.transcribe walks a piece window by window,
each window starting where the previous one's last timestamp (or word) ended. To decode
the windows of many pieces (and files) in one batch, that walk is turned inside out: a
``WindowJob`` is one window (a piece, and the frame it starts at), a ``WindowResult`` its
segments plus the frame the walk would continue at, and the scheduler
(subvox.asr.batched) queues the continuation as a job of its own for a later batch.

A window holding less than 30 s of speech (a clip, a tail) need not cost a 30-s encoder pass:
Whisper's encoder reads any number of frames up to 3000, and its cost grows with them
(tiny.en: 0.15 s for 30 s, 0.02 s for 10 s). With ``asr.trim_windows`` a window is encoded
at the speech it has left plus ``TRIM_MARGIN`` of padding, rounded up to ``TRIM_STEP``
(``encoder_frames``): a length decided by the window alone, so its text never depends on
what shares its batch, and windows of one length batch together (``batch_key``). On 100
clips of 3-10 s (tiny.en) that took the WER from 8.0 % to 6.9 %. The scheduler trims only
the windows of short files (subvox.asr.batched.trimmed_windows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from subvox.asr.base import DecodeOptions, Segment

HOP = 160  # samples per 10-ms frame
FULL_FRAMES = 3000  # Whisper's 30-s window
TRIM_STEP = 500  # a trimmed window's encoder length is a multiple of 5 s ...
TRIM_MARGIN = 200  # ... with at least 2 s of padding after its speech


def encoder_frames(samples: int, trim: bool) -> int:
    """Frames the encoder reads for a window with ``samples`` of audio left in it (``trim``: as the
    scheduler resolved ``asr.trim_windows`` for its file; an unresolved ``auto`` reads 30 s)."""
    if trim is not True:
        return FULL_FRAMES
    return min(FULL_FRAMES, -(-(samples // HOP + TRIM_MARGIN) // TRIM_STEP) * TRIM_STEP)


@dataclass(eq=False)
class WindowJob:
    """Decode ``samples`` from 10-ms frame ``seek`` on (at most one 30-s window of it)."""

    samples: np.ndarray  # float32 16 kHz: the whole piece (a continuation keeps it: same features)
    options: DecodeOptions  # language set, vad off; initial_prompt only on a call's first window
    seek: int = 0
    last_speech: float = 0.0  # end of the last word decoded before in this piece (word-timing context)
    last_end: float | None = None  # end of the last segment decoded in this piece so far (piece s)
    owner: Any = None  # scheduler bookkeeping: the file, its piece slot, where samples start
    slot: int = 0
    offset: int = 0  # in the region (samples)
    base: int = 0  # where the region starts in the file (two shifts, as the sequential path: same floats)
    packed: bool = False  # several pieces in one window: no temperature fallback (their pieces go alone)
    alone: bool = False  # never packed with others (its pack failed Whisper's checks)
    features: Any = None  # the piece's log-mel features, once computed (its continuations reuse them)
    group: int = -1  # its file's group of regions, when tails are packed (subvox.asr.packing.Tails)
    pack: int | None = None  # a window formed in advance: the jobs of one file with this number share it
    frames: int | None = None  # a formed window's encoder length (its members': that of the whole window)

    def key(self) -> tuple[Any, ...]:
        """Jobs with equal keys share one tokenizer and prompt, so they can share a window."""
        o = self.options
        return (o.language, o.task, o.initial_prompt)

    def left(self) -> int:
        """Samples left to decode (from ``seek`` on)."""
        return len(self.samples) - self.seek * HOP

    def encoder_frames(self) -> int:
        """How many frames of features the encoder reads for this window (module docstring)."""
        if self.frames is not None:
            return self.frames
        return encoder_frames(self.left(), self.options.trim_windows)

    def batch_key(self) -> tuple[Any, ...]:
        """Windows with equal batch keys can share a batch: one prompt, one encoder length."""
        return (*self.key(), self.encoder_frames())


@dataclass
class WindowResult:
    """A decoded window: segments in piece seconds, and where its piece's walk goes on."""

    segments: list[Segment]
    resume: int | None  # frame to decode on from (the window ended before the speech did), else None
    last_speech: float  # word-timing context for the continuation
