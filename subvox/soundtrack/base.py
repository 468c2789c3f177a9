"""Interfaces of the soundtrack stage; backends implement them and nothing here imports one.

A ``Separator`` splits a stereo block into the voice and the rest (the background is what is
left of the mix, so the two stems always add up to the source). An ``Enhancer`` cleans mono
speech for the recognisers; the ones here are frame-based with state, so a long file is fed
block by block and comes back sample-aligned, as long as it went in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Separator(ABC):
    """Voice / background separation at a fixed rate on stereo float32 blocks."""

    name: str
    sample_rate: int

    @abstractmethod
    def vocals(self, stereo: np.ndarray) -> np.ndarray:
        """The voice in ``stereo`` ((2, n) float32 at ``sample_rate``), same shape."""

    def identity(self) -> dict[str, Any]:
        """What shapes the stems (cache keys): the backend and its weights."""
        return {"separator": self.name, "sample_rate": self.sample_rate}


class Enhancer(ABC):
    """Speech enhancement on mono float32 in [-1, 1] at ``sample_rate``, frame by frame."""

    name: str
    sample_rate: int
    frame: int  # samples per frame
    delay: int  # samples the output lags the input (compensated by ``Enhancing``)

    @abstractmethod
    def reset(self) -> None:
        """Start a new signal (fresh state)."""

    @abstractmethod
    def frames(self, audio: np.ndarray) -> np.ndarray:
        """Enhance ``audio`` (a whole number of frames) continuing the current state."""

    @abstractmethod
    def _free(self, state: int) -> None:
        """Release the native state held in ``_state``."""

    def close(self) -> None:
        if getattr(self, "_state", None):
            self._free(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()


class Enhancing:
    """Feeds an enhancer blocks of any length and returns output aligned with the input."""

    def __init__(self, enhancer: Enhancer) -> None:
        self.enh = enhancer
        self.enh.reset()
        self._pending = np.zeros(0, dtype=np.float32)
        self._skip = enhancer.delay  # leading output samples that belong before the signal
        self._fed = 0
        self._given = 0

    def push(self, block: np.ndarray) -> np.ndarray:
        data = np.concatenate([self._pending, np.asarray(block, dtype=np.float32)])
        whole = data.size - data.size % self.enh.frame
        self._pending = data[whole:]
        self._fed += block.size
        return self._emit(self.enh.frames(data[:whole]) if whole else data[:0])

    def finish(self) -> np.ndarray:
        """The rest: pending samples and the delayed tail, flushed with silence."""
        tail = self._fed - self._given
        flush = np.zeros(self._pending.size + self.enh.delay + self.enh.frame, dtype=np.float32)
        flush[: self._pending.size] = self._pending
        flush = flush[: flush.size - flush.size % self.enh.frame]
        out = self._emit(self.enh.frames(flush))
        return out[:tail]

    def _emit(self, out: np.ndarray) -> np.ndarray:
        drop = min(self._skip, out.size)
        self._skip -= drop
        out = out[drop:]
        self._given += out.size
        return out
