"""The diarization interface: turns, options and the engine protocol.

Engines (``subvox.speakers.<engine>``) depend on this module, never the reverse, and are
imported lazily through ``subvox.speakers.registry`` so that a job which never diarizes
never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True, order=True)
class Turn:
    """One speaker talking from ``start`` to ``end`` (seconds). Turns of different speakers may overlap."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class DiarizationOptions:
    """What a diarizer is told. Defaults were chosen by ``bench/diarization.py --grid`` on its tuning
    split (AMI excerpts and simulated conversations); ``from_config`` takes the same names from a
    config mapping."""

    num_speakers: int | None = None  # known count: skips estimation
    min_speakers: int = 1
    max_speakers: int = 8
    # speech activity (Silero probabilities): low, hysteretic thresholds for quiet far-field speech
    vad_onset: float = 0.2
    vad_offset: float = 0.15
    min_speech_s: float = 0.25
    min_silence_s: float = 0.6
    speech_pad_s: float = 0.2
    # embedding windows
    window_s: float = 1.6
    hop_s: float = 0.4
    min_window_s: float = 0.5
    # clustering: average-linkage cosine distance at which clusters stop merging
    threshold: float = 0.35
    smoothing: int = 1  # neighbouring windows averaged on each side before clustering
    # resegmentation
    temperature: float = 0.05
    switch_penalty: float = 4.0
    iterations: int = 3
    min_speaker_s: float = 1.0  # a speaker with less speech than this after refinement is dropped
    bridge_pause_s: float = 0.5  # a speaker's own pause shorter than this (nobody else talking) stays in the turn
    # overlapped speech: a second speaker where it scores within the margin of the first
    overlap: bool = True
    overlap_margin: float = 0.15
    overlap_floor: float = 0.6
    overlap_min_s: float = 0.2
    overlap_excess: float = 0.0  # ... and above what the first speaker's voice alone explains
    threads: int = 1

    def __post_init__(self) -> None:
        if self.num_speakers is not None and self.num_speakers < 1:
            raise ValueError(f"num_speakers must be at least 1, not {self.num_speakers}")
        if not 1 <= self.min_speakers <= self.max_speakers:
            raise ValueError(f"need 1 <= min_speakers <= max_speakers, got {self.min_speakers}, {self.max_speakers}")
        if not 0 < self.vad_offset <= self.vad_onset < 1:
            raise ValueError("need 0 < vad_offset <= vad_onset < 1")
        if self.window_s <= 0 or self.hop_s <= 0 or self.min_window_s <= 0:
            raise ValueError("window_s, hop_s and min_window_s must be positive")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> DiarizationOptions:
        """Options from a config mapping (e.g. the workflow's ``diarization:`` section). Unknown
        keys are an error, so a misspelt threshold does not silently fall back to its default;
        ``engine`` (which diarizer) is skipped."""
        config = dict(config or {})
        config.pop("engine", None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"unknown diarization option(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return cls(**config)


class Diarizer(Protocol):
    """Who spoke when, in 16-kHz mono samples (int16, e.g. a memory-mapped WAV, or float32)."""

    def diarize(self, samples: np.ndarray, options: DiarizationOptions) -> list[Turn]:
        """Turns sorted by start, speakers named S1, S2, ... in order of first appearance."""
        ...
