"""The background mix: the separated background at the source's rate and channels, the dub
loudness-matched to the original voice (EBU R128), the background unchanged outside the dub."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import soundfile

from subvox.revoice import mix
from tests.unit.soundtrack.conftest import RATE, corr

REVOICE = {"mix": "background", "duck_db": -18, "duck_ramp_ms": 150}


def test_the_dub_gets_the_original_voices_loudness(speech):
    voice = speech * 0.5
    dub = speech[::-1] * 0.05  # another "voice", 20 dB quieter
    spans = [(0, speech.size)]
    gain, info = mix.loudness_gain(dub, spans, voice, spans, RATE)
    meter = pyloudnorm.Meter(RATE)
    assert abs(meter.integrated_loudness(dub * gain) - meter.integrated_loudness(voice)) < 0.5
    assert info["gain_db"] > 15
    assert mix.loudness_gain(dub, [], voice, spans, RATE)[0] == 1.0  # nothing dubbed: nothing to match


def test_background_at_the_sources_rate_and_length(tmp_path, mixture):
    _, _, music = mixture
    stem = tmp_path / "background.wav"
    soundfile.write(stem, music, RATE, "PCM_16")
    at48 = mix.background_at(str(stem), 48000, 2, round(music.shape[0] * 48000 / RATE) + 7, str(tmp_path))
    assert at48.shape == (round(music.shape[0] * 48000 / RATE) + 7, 2)
    import soxr

    expected = soxr.resample(music, RATE, 48000)
    n = min(expected.shape[0], at48.shape[0]) - 100
    assert corr(at48[:n], expected[:n]) > 0.999
    at8k = mix.background_at(str(stem), 8000, 2, 8000, str(tmp_path))
    assert at8k.shape == (8000, 2)


def test_outside_the_dub_the_background_plays_unchanged(tmp_path, mixture, speech):
    mixed, _, music = mixture
    n = music.shape[0]
    original = np.clip(mixed * 32768, -32768, 32767).astype(np.int16)
    timeline = np.zeros(n, dtype=np.float32)
    span = (RATE, 3 * RATE)
    timeline[span[0] : span[1]] = 0.3 * speech[: span[1] - span[0]]
    dest = tmp_path / "dub.wav"
    channels, kept = mix.write_mix(str(dest), timeline, original, RATE, [span], REVOICE, music, [span])
    out, rate = soundfile.read(dest, dtype="float32")
    assert (channels, rate, out.shape) == (2, RATE, music.shape)
    outside = mix.outside(0, n, [span])
    assert np.max(np.abs(out[outside] - music[outside])) <= 1 / 32768 + 1e-6
    assert np.allclose(out[~outside], np.clip(music[~outside] + timeline[~outside, None], -1, 1), atol=1 / 32768 + 1e-6)
    assert kept is not None and kept > 0.999


def test_correlation_accumulates_like_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(1000), rng.standard_normal(1000)
    y = x + 0.5 * y
    acc = mix.Correlation()
    for s in range(0, 1000, 300):
        acc.add(x[s : s + 300], y[s : s + 300])
    assert abs(acc.value() - np.corrcoef(x, y)[0, 1]) < 1e-4
    silent = mix.Correlation()
    silent.add(np.zeros(10), y[:10])
    assert silent.value() is None
