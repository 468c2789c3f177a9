"""One Whisper window as a unit of work: what a backend's batched decoder takes and gives back.

Whisper reads 30 s at a time. WhisperModel.transcribe walks a piece window by window,
each window starting where the previous one's last timestamp (or word) ended. To decode
the windows of many pieces (and files) in one batch, that walk is turned inside out: a
``WindowJob`` is one window (a piece, and the frame it starts at), a ``WindowResult`` its
segments plus the frame the walk would continue at, and the scheduler
(subvox.asr.batched) queues the continuation as a job of its own for a later batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from subvox.asr.base import DecodeOptions, Segment


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

    def key(self) -> tuple[Any, ...]:
        """Jobs with equal keys share one tokenizer and prompt, so they can share a batch."""
        o = self.options
        return (o.language, o.task, o.initial_prompt)


@dataclass
class WindowResult:
    """A decoded window: segments in piece seconds, and where its piece's walk goes on."""

    segments: list[Segment]
    resume: int | None  # frame to decode on from (the window ended before the speech did), else None
    last_speech: float  # word-timing context for the continuation
