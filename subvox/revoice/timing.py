"""Fit synthesised cues to subtitle timing and lay them on a timeline of the source's length.

Each cue is spoken, trimmed of its leading/trailing silence, resampled to the source's
rate, then fitted into its slot (cue start to cue end): first by a pitch-preserving
speed-up of at most ``max_stretch``; if that is not enough, it borrows the silence before
the next cue; what is still left over is an *overflow*, reported per cue and either laid
over the next cue or faded out at its start. Every cue starts at its own cue start, in
samples at the source's rate, so the dub never drifts however long the file.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import ffmpeg
import numpy as np

from subvox.errors import SubvoxError

FADE_S = 0.02  # fade at a cut, so it does not click


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


def trim_silence(audio: np.ndarray, sample_rate: int, trim_db: float, pad_s: float = 0.02) -> np.ndarray:
    """``audio`` without the leading and trailing stretches quieter than ``trim_db`` under its peak."""
    if audio.size == 0:
        return audio
    peak = float(np.max(np.abs(audio)))
    if peak <= 0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) >= peak * db_to_gain(trim_db))
    pad = round(pad_s * sample_rate)
    return audio[max(0, loud[0] - pad) : min(audio.size, loud[-1] + 1 + pad)]


def normalise_peak(audio: np.ndarray, peak_db: float) -> np.ndarray:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio if peak <= 0 else (audio * (db_to_gain(peak_db) / peak)).astype(np.float32)


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """High-quality, deterministic sample-rate conversion (soxr)."""
    if rate_in == rate_out or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(audio.astype(np.float32, copy=False), rate_in, rate_out, quality="HQ").astype(np.float32)


@functools.cache
def _has_filter(name: str) -> bool:
    import subprocess

    out = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    return any(line.split()[1:2] == [name] for line in out.splitlines() if line.strip())


def time_stretch(audio: np.ndarray, sample_rate: int, factor: float, method: str = "rubberband") -> np.ndarray:
    """Speed ``audio`` up by ``factor`` (> 1 = shorter), keeping its pitch; exact output length.

    Runs ffmpeg's rubberband (or atempo) filter on raw samples through pipes: no files, no shell.
    """
    if abs(factor - 1.0) < 1e-6 or audio.size == 0:
        return audio
    if method == "rubberband" and not _has_filter("rubberband"):
        method = "atempo"  # ffmpeg built without librubberband
    filt = f"rubberband=tempo={factor:.6f}:pitchq=quality" if method == "rubberband" else f"atempo={factor:.6f}"
    try:
        out, _ = (
            ffmpeg.input("pipe:", format="f32le", ar=sample_rate, ac=1)
            .output("pipe:", format="f32le", af=filt, ar=sample_rate, ac=1)
            .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
            .run(cmd="ffmpeg", input=audio.astype("<f4").tobytes(), capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as exc:
        reason = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["ffmpeg failed"]
        raise SubvoxError(f"time-stretch failed ({reason[0]})") from exc
    stretched = np.frombuffer(out, dtype="<f4")
    target = round(audio.size / factor)
    if stretched.size >= target:
        return stretched[:target].copy()
    return np.concatenate([stretched, np.zeros(target - stretched.size, dtype=np.float32)])


@dataclass
class Placement:
    """Where one cue's speech went and what it took to fit it."""

    cue: int
    start: float  # s
    end: float  # s, end of the placed speech
    slot: float  # s, cue duration
    spoken: float  # s, trimmed synthesis at natural speed
    stretch: float  # speed-up applied (1.0 = none)
    borrowed: float  # s of following silence used
    overflow: float  # s still over the next cue (or the end of the file)

    def to_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FitOptions:
    max_stretch: float = 1.3
    method: str = "rubberband"
    overflow: str = "overlap"  # or "cut"

    @classmethod
    def from_config(cls, revoice: dict[str, Any]) -> FitOptions:
        return cls(revoice["max_stretch"], revoice["stretch_filter"], revoice["overflow"])


def fit_cue(
    audio: np.ndarray, sample_rate: int, index: int, start: float, end: float, limit: float, opts: FitOptions
) -> tuple[np.ndarray, Placement]:
    """Fit one cue's speech (at ``sample_rate``) into ``start..end``, borrowing up to ``limit``.

    ``limit`` is the next cue's start (or the end of the file): the latest the speech may end
    without overlapping anything.
    """
    slot, room = max(end - start, 1e-3), max(limit - start, 1e-3)
    spoken = audio.size / sample_rate
    stretch = 1.0
    if spoken > slot:
        stretch = min(spoken / slot, opts.max_stretch)
        audio = time_stretch(audio, sample_rate, stretch, opts.method)
    length = audio.size / sample_rate
    overflow = max(0.0, length - room)
    if overflow > 0 and opts.overflow == "cut":
        keep = round(room * sample_rate)
        audio = audio[:keep].copy()
        fade = min(keep, round(FADE_S * sample_rate))
        if fade:
            audio[keep - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    placed_end = start + audio.size / sample_rate
    placement = Placement(
        cue=index,
        start=start,
        end=placed_end,
        slot=slot,
        spoken=spoken,
        stretch=stretch,
        borrowed=max(0.0, min(length, room) - slot),
        overflow=overflow,
    )
    return audio, placement


def add_at(timeline: np.ndarray, start_sample: int, audio: np.ndarray) -> None:
    """Mix ``audio`` into ``timeline`` at ``start_sample``, clipped to the timeline's end."""
    stop = min(timeline.shape[0], start_sample + audio.size)
    if stop > start_sample:
        timeline[start_sample:stop] += audio[: stop - start_sample]


def duck_gain(start: int, stop: int, spans: list[tuple[int, int]], floor: float, ramp: int) -> np.ndarray:
    """Gain of the original for samples ``start..stop``: ``floor`` under the dub's speech spans,
    1 elsewhere, with linear ramps of ``ramp`` samples on either side of each span."""
    gain = np.ones(stop - start, dtype=np.float32)
    t = np.arange(start, stop, dtype=np.float64)
    for s, e in spans:
        if e + ramp < start or s - ramp > stop:
            continue
        # distance outside the span (0 inside), as a fraction of the ramp
        dist = np.maximum(np.maximum(s - t, t - e), 0.0)
        g = floor + (1.0 - floor) * np.clip(dist / ramp, 0.0, 1.0) if ramp else np.where(dist > 0, 1.0, floor)
        np.minimum(gain, g.astype(np.float32), out=gain)
    return gain


def blocks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def overflow_count(placements: list[Placement], tolerance: float = 0.01) -> int:
    return sum(1 for p in placements if p.overflow > tolerance)


def stretch_summary(placements: list[Placement]) -> dict[str, Any]:
    """Counts for QA; ``spoken_s`` against ``slots_s`` is how much longer the voice speaks than the
    cues last at natural speed (a translation's extra length shows there before it overflows)."""
    stretched = [p.stretch for p in placements if p.stretch > 1.0]
    return {
        "cues": len(placements),
        "spoken_s": round(math.fsum(p.spoken for p in placements), 3),
        "slots_s": round(math.fsum(p.slot for p in placements), 3),
        "stretched": len(stretched),
        "max_stretch": round(max(stretched), 3) if stretched else 1.0,
        "borrowed_s": round(math.fsum(p.borrowed for p in placements), 3),
        "overflows": overflow_count(placements),
        "overflow_s": round(math.fsum(p.overflow for p in placements), 3),
    }
