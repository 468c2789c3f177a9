"""Quality figures on a real read-speech clip, with noise, gain and clipping of known size added."""

from __future__ import annotations

import numpy as np
import pytest

from subvox.media.ffmpeg import decode_at
from subvox.reports.datasets.quality import FileQuality
from tests.helpers import clip

PAD_S = 2.0


@pytest.fixture(scope="module")
def speech():
    """The clip between 2 s of digital silence on each side, and the speech's own power."""
    x = decode_at(str(clip("coqui_LJ001-0003").path), 16000).astype(np.float64)
    pad = np.zeros(int(PAD_S * 16000))
    return np.concatenate([pad, x, pad]), float(np.mean(x[np.abs(x) > 0] ** 2)), len(x) / 16000


def figures(signal: np.ndarray, start: float, end: float) -> dict:
    return FileQuality(np.clip(np.round(signal), -32768, 32767).astype(np.int16)).cue(start, end)


@pytest.mark.parametrize("snr", [20, 10, 5])
def test_estimated_snr_follows_the_noise_added(speech, snr):
    signal, power, length = speech
    noise = np.random.default_rng(snr).normal(0, np.sqrt(power / 10 ** (snr / 10)), len(signal))
    got = figures(signal + noise, PAD_S, PAD_S + length)
    assert abs(got["snr_db"] - snr) <= 1.5, got
    assert got["speech_ratio"] >= 0.8


def test_clean_speech_is_high_snr_unclipped_and_mostly_speech(speech):
    signal, _, length = speech
    got = figures(signal, PAD_S, PAD_S + length)
    assert got["snr_db"] > 30 and got["clipping"] == 0.0 and got["speech_ratio"] >= 0.85
    assert -30 < got["loudness_lufs"] < -10


def test_loudness_drops_with_gain_and_clipping_is_counted(speech):
    signal, _, length = speech
    span = (PAD_S, PAD_S + length)
    base = figures(signal, *span)["loudness_lufs"]
    assert abs(figures(signal * 10 ** (-10 / 20), *span)["loudness_lufs"] - (base - 10)) <= 0.3
    loud = signal * 8
    share = float(np.mean(np.abs(np.clip(loud[int(span[0] * 16000) : int(span[1] * 16000)], -32768, 32767)) >= 32767))
    assert share > 0.05
    assert figures(loud, *span)["clipping"] == pytest.approx(share, abs=0.002)


def test_a_cue_over_silence_has_no_speech_and_unmeasurable_snr(speech):
    signal, _, _ = speech
    got = figures(signal, 0.1, PAD_S - 0.1)
    assert got["speech_ratio"] < 0.1 and got["snr_db"] is None and got["loudness_lufs"] is None
