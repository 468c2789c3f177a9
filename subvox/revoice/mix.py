"""Mix the dub with what is kept of the original: nothing (``replace``), the original lowered
under the dub (``duck``), or the separated background (``background``).

``background`` lays the dub over the accompaniment stem (the source minus its separated
voice), resampled to the source's rate with the source's channels, so music and effects
stay and the old voice goes. Outside the dubbed cues the background plays unchanged. The dub
is loudness-matched (EBU R128 integrated loudness, pyloudnorm) to the original voice over
the cues, so it sits in the music as the speech it replaces did. Everything is streamed in
blocks over memory maps.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from subvox.library.atomic import atomic_path
from subvox.revoice import timing

BLOCK_S = 30  # seconds per block when mixing and resampling
MAX_GAIN_DB = 20.0  # loudness matching never moves the dub further than this
LOUDNESS_MAX_S = 300  # seconds of speech measured for the loudness match


def background_at(stem_wav: str, rate: int, channels: int, frames: int, tmp: str) -> np.ndarray:
    """The background stem as float32 (frames, channels) at ``rate`` (a memory map, zero-padded
    or cut to ``frames``), resampled block by block."""
    import soundfile
    import soxr

    out = np.memmap(os.path.join(tmp, "background.f32"), dtype=np.float32, mode="w+", shape=(max(frames, 1), channels))
    out = out[:frames]
    out[:] = 0.0
    pos = 0
    with soundfile.SoundFile(stem_wav) as stem:  # WAVE_FORMAT_EXTENSIBLE beyond 2 channels
        stem_rate, src_ch, n = stem.samplerate, stem.channels, stem.frames
        stream = soxr.ResampleStream(stem_rate, rate, src_ch, dtype="float32", quality="HQ")
        for start in range(0, max(n, 1), BLOCK_S * stem_rate):
            piece = stem.read(BLOCK_S * stem_rate, dtype="float32", always_2d=True)
            last = start + BLOCK_S * stem_rate >= n
            piece = piece if stem_rate == rate else stream.resample_chunk(piece, last=last).reshape(-1, src_ch)
            pos = _put(out, pos, piece, channels)
    return out


def _put(out: np.ndarray, pos: int, piece: np.ndarray, channels: int) -> int:
    """Copy ``piece`` into ``out`` from ``pos`` (as far as it reaches); returns the new position."""
    if piece.shape[1] != channels:  # stems carry the source's channels; a mismatch only if capped
        piece = np.repeat(piece.mean(axis=1, keepdims=True), channels, axis=1)
    take = min(piece.shape[0], out.shape[0] - pos)
    if take > 0:
        out[pos : pos + take] = piece[:take]
        pos += take
    return pos


def _loudness(samples: Any, rate: int, spans: list[tuple[int, int]]) -> float:
    """Integrated loudness (LUFS) of mono ``samples`` inside ``spans``; -inf if too little."""
    import pyloudnorm

    pieces, total = [], 0
    for s, e in spans:
        piece = np.asarray(samples[s : min(e, s + LOUDNESS_MAX_S * rate - total)], dtype=np.float64)
        pieces.append(piece)
        total += piece.size
        if total >= LOUDNESS_MAX_S * rate:
            break
    joined = np.concatenate(pieces) if pieces else np.zeros(0)
    if joined.size < 0.4 * rate:  # shorter than one gating block
        return float("-inf")
    return float(pyloudnorm.Meter(rate).integrated_loudness(joined))


def loudness_gain(dub: Any, dub_spans: list, voice: Any, voice_spans: list, rate: int) -> tuple[float, dict]:
    """Linear gain that gives the dub the original voice's loudness, with both measurements."""
    dub_lufs, voice_lufs = _loudness(dub, rate, dub_spans), _loudness(voice, rate, voice_spans)
    if not (np.isfinite(dub_lufs) and np.isfinite(voice_lufs)):
        gain_db = 0.0  # nothing to match (no dub or no original voice): keep the dub's level
    else:
        gain_db = float(np.clip(voice_lufs - dub_lufs, -MAX_GAIN_DB, MAX_GAIN_DB))
    rounded = {k: round(v, 2) if np.isfinite(v) else None for k, v in (("dub", dub_lufs), ("voice", voice_lufs))}
    return timing.db_to_gain(gain_db), {"dub_lufs": rounded["dub"], "voice_lufs": rounded["voice"],
                                        "gain_db": round(gain_db, 2)}  # fmt: skip


def outside(start: int, stop: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mask of the samples ``start..stop`` that lie outside every span."""
    keep = np.ones(stop - start, dtype=bool)
    for s, e in spans:
        if e > start and s < stop:
            keep[max(s, start) - start : min(e, stop) - start] = False
    return keep


class Correlation:
    """Pearson correlation accumulated block by block."""

    def __init__(self) -> None:
        self.n, self.sx, self.sy, self.sxx, self.syy, self.sxy = 0, 0.0, 0.0, 0.0, 0.0, 0.0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        x, y = x.astype(np.float64).ravel(), y.astype(np.float64).ravel()
        self.n += x.size
        self.sx, self.sy = self.sx + x.sum(), self.sy + y.sum()
        self.sxx, self.syy, self.sxy = self.sxx + x @ x, self.syy + y @ y, self.sxy + x @ y

    def value(self) -> float | None:
        if self.n < 2:
            return None
        vx, vy = self.sxx - self.sx**2 / self.n, self.syy - self.sy**2 / self.n
        if vx <= 1e-12 or vy <= 1e-12:
            return None  # silence on one side: nothing to correlate
        return round(float((self.sxy - self.sx * self.sy / self.n) / np.sqrt(vx * vy)), 4)


def write_mix(
    dest: str,
    timeline: np.ndarray,
    original: np.ndarray,
    rate: int,
    spans: list[tuple[int, int]],
    revoice: dict,
    background: np.ndarray | None = None,
    speech: list[tuple[int, int]] | None = None,
) -> tuple[int, float | None]:
    """Write the mix as 16-bit WAV, block by block, atomically: the dub alone (replace: mono),
    the original ducked under it (duck) or the background under it (background), with the
    original's channels. Returns the channel count and, for ``background``, how much of the
    background survives: its correlation with the written mix outside ``speech`` spans."""
    import soundfile

    mode = revoice["mix"]
    channels = 1 if mode == "replace" else original.shape[1]
    floor, ramp = timing.db_to_gain(revoice["duck_db"]), round(revoice["duck_ramp_ms"] / 1000 * rate)
    kept = Correlation()
    with atomic_path(dest) as tmp, soundfile.SoundFile(tmp, "w", rate, channels, "PCM_16", format="WAV") as out:
        for start, stop in timing.blocks(timeline.shape[0], BLOCK_S * rate):
            voice = np.asarray(timeline[start:stop], dtype=np.float32)
            if mode == "replace":
                block = voice[:, None]
            elif mode == "background" and background is not None:
                under = np.asarray(background[start:stop], dtype=np.float32)
                block = under + voice[:, None]
            else:
                under = np.zeros((stop - start, channels), dtype=np.float32)
                piece = original[start:stop]
                under[: piece.shape[0]] = piece.astype(np.float32) / 32768.0
                block = under * timing.duck_gain(start, stop, spans, floor, ramp)[:, None] + voice[:, None]
            block = np.clip(block, -1.0, 32767 / 32768)
            if mode == "background" and background is not None:
                mask = outside(start, stop, speech or spans)
                kept.add(block[mask], np.asarray(background[start:stop], dtype=np.float32)[mask])
            out.write(block)
    return channels, kept.value()
