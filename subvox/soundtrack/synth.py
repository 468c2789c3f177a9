"""Mixes with known stems: synthetic music and noise, laid under speech at a chosen level.

Separation can only be scored when the true stems are known, so the benchmark and the tests
build their mixtures here from real speech. The music is deterministic (a seed): a chord
progression of harmonic tones with plucked envelopes, a bass line, kick and hi-hat, panned
in stereo; the noise is pink (1/f), as room and street noise roughly are.
"""

from __future__ import annotations

import numpy as np

CHORDS = ((220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (164.81, 207.65, 246.94))


def music(frames: int, rate: int, seed: int = 0, bpm: float = 112.0) -> np.ndarray:
    """(frames, 2) float32 stereo music, peak about 0.5."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / rate
    beat = 60.0 / bpm
    phase = (t % beat) / beat
    bar = (t // (4 * beat)).astype(int) % len(CHORDS)
    left = np.zeros(frames)
    right = np.zeros(frames)
    pluck = np.exp(-3.0 * phase)
    for k in range(3):
        f = np.array(CHORDS)[bar, k]
        tone = sum(np.sin(2 * np.pi * f * h * t + k) / h**1.5 for h in range(1, 6)) * pluck
        pan = (0.3, 0.5, 0.7)[k]
        left += (1 - pan) * tone
        right += pan * tone
    bass = np.sin(2 * np.pi * np.array(CHORDS)[bar, 0] / 2 * t) * np.exp(-1.5 * phase)
    kick = np.sin(2 * np.pi * (50 + 60 * np.exp(-30 * phase)) * t) * np.exp(-12 * phase)
    hat = rng.standard_normal(frames) * np.exp(-60 * ((t + beat / 2) % beat) / beat)
    hat = np.diff(hat, prepend=0.0) * 0.15
    left += bass + kick + hat
    right += bass + kick + 0.8 * hat
    out = np.stack([left, right], axis=1)
    return (0.5 * out / (np.max(np.abs(out)) or 1.0)).astype(np.float32)


def pink_noise(frames: int, channels: int = 1, seed: int = 1) -> np.ndarray:
    """(frames, channels) float32 pink noise, RMS 0.1."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal((channels, frames)), axis=1)
    spec /= np.sqrt(np.maximum(np.arange(spec.shape[1]), 1))
    noise = np.fft.irfft(spec, n=frames, axis=1).T
    return (0.1 * noise / (np.sqrt(np.mean(noise**2)) or 1.0)).astype(np.float32)


def at_level(speech: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    """``other`` scaled so that speech power / its power = ``snr_db`` (over the speech's length)."""
    p_speech = float(np.mean(np.square(speech, dtype=np.float64)))
    p_other = float(np.mean(np.square(other, dtype=np.float64))) or 1.0
    return (other * np.sqrt(p_speech / p_other / 10 ** (snr_db / 10))).astype(np.float32)
