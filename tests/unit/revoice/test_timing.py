"""Fitting spoken cues to subtitle timing: trimming, pitch-preserving stretch, borrowing, overflow."""

from __future__ import annotations

import numpy as np
import pytest

from subvox.revoice import timing as dub

SR = 22050


def tone(seconds: float, freq: float = 220.0, sr: int = SR) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(audio: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    return float(np.fft.rfftfreq(audio.size, 1 / sr)[np.argmax(spectrum)])


def test_trim_silence_keeps_the_sound_and_a_short_pad():
    audio = np.concatenate([np.zeros(SR), tone(1.0), np.zeros(SR // 2)]).astype(np.float32)
    trimmed = dub.trim_silence(audio, SR, -40, pad_s=0.02)
    assert abs(trimmed.size - (SR + 2 * round(0.02 * SR))) <= 2
    assert dub.trim_silence(np.zeros(SR, dtype=np.float32), SR, -40).size == 0


@pytest.mark.parametrize("method", ["rubberband", "atempo"])
def test_time_stretch_is_exact_in_length_and_keeps_the_pitch(method):
    audio = tone(2.0, 220.0)
    out = dub.time_stretch(audio, SR, 1.3, method)
    assert out.size == round(audio.size / 1.3)
    assert abs(dominant_hz(out[SR // 10 : -SR // 10]) - 220.0) < 3.0, "pitch must not move with tempo"
    assert np.isfinite(out).all() and np.abs(out).max() > 0.2


def test_resample_changes_rate_not_duration():
    out = dub.resample(tone(1.5), SR, 48000)
    assert abs(out.size - 72000) <= 2
    assert abs(dominant_hz(out, 48000) - 220.0) < 2.0


OPTS = dub.FitOptions(max_stretch=1.3, method="atempo", overflow="overlap")


def test_a_cue_that_fits_is_left_alone():
    audio, p = dub.fit_cue(tone(1.0), SR, 0, 5.0, 6.5, 8.0, OPTS)
    assert p.stretch == 1.0 and p.overflow == 0 and p.borrowed == 0 and audio.size == SR


def test_a_slightly_long_cue_is_sped_up_into_its_slot():
    audio, p = dub.fit_cue(tone(1.2), SR, 0, 5.0, 6.0, 9.0, OPTS)
    assert p.stretch == pytest.approx(1.2, abs=1e-3)
    assert audio.size == pytest.approx(SR, abs=2) and p.overflow == 0 and p.borrowed == pytest.approx(0, abs=1e-3)


def test_a_long_cue_is_stretched_at_most_then_borrows_the_following_silence():
    audio, p = dub.fit_cue(tone(2.6), SR, 3, 5.0, 6.0, 8.0, OPTS)
    assert p.stretch == pytest.approx(1.3)
    assert audio.size / SR == pytest.approx(2.0, abs=1e-3)
    assert p.borrowed == pytest.approx(1.0, abs=1e-3) and p.overflow == 0 and p.cue == 3


def test_what_still_does_not_fit_is_reported_and_overlaps_or_is_cut():
    audio, p = dub.fit_cue(tone(3.9), SR, 0, 5.0, 6.0, 7.0, OPTS)  # 3 s after stretching, 2 s of room
    assert p.overflow == pytest.approx(1.0, abs=1e-3) and audio.size / SR == pytest.approx(3.0, abs=1e-3)
    cut_opts = dub.FitOptions(1.3, "atempo", "cut")
    audio, p = dub.fit_cue(tone(3.9), SR, 0, 5.0, 6.0, 7.0, cut_opts)
    assert p.overflow == pytest.approx(1.0, abs=1e-3), "a cut cue is still reported"
    assert audio.size == round(2.0 * SR) and abs(audio[-1]) < 1e-3, "cut at the next cue, faded"
    assert dub.overflow_count([p]) == 1 and dub.stretch_summary([p])["overflows"] == 1


def test_cues_are_placed_at_their_own_start_and_clipped_to_the_timeline():
    timeline = np.zeros(3 * SR, dtype=np.float32)
    dub.add_at(timeline, 2 * SR, np.ones(2 * SR, dtype=np.float32))
    assert timeline[: 2 * SR].sum() == 0 and timeline[2 * SR :].sum() == SR


def test_duck_gain_is_low_under_speech_one_elsewhere_and_ramps_between():
    floor, ramp = dub.db_to_gain(-18), 100
    gain = dub.duck_gain(0, 2000, [(800, 1200)], floor, ramp)
    assert gain[1000] == pytest.approx(floor) and gain[0] == 1.0 and gain[1999] == 1.0
    assert floor < gain[750] < 1.0 and np.all(np.diff(gain[600:800]) <= 1e-7), "a monotonic fade down"
    blockwise = np.concatenate(
        [dub.duck_gain(s, min(2000, s + 300), [(800, 1200)], floor, ramp) for s in range(0, 2000, 300)]
    )
    assert np.array_equal(blockwise, gain), "computed per block, the gain is the same"


def test_duck_mix_lowers_the_original_only_under_the_dub(tmp_path):
    import soundfile

    from subvox.revoice.mix import write_mix

    rate, n = 8000, 8000 * 4
    original = np.full((n, 2), 16384, dtype=np.int16)  # 0.5 in both channels
    timeline = np.zeros(n, dtype=np.float32)
    timeline[rate : 2 * rate] = 0.25  # the dub speaks from 1 s to 2 s
    revoice = {"mix": "duck", "duck_db": -20.0, "duck_ramp_ms": 100}
    dest = tmp_path / "mix.wav"
    assert write_mix(str(dest), timeline, original, rate, [(rate, 2 * rate)], revoice) == (2, None)
    mixed, sr = soundfile.read(dest, dtype="float32")
    assert sr == rate and mixed.shape == (n, 2)
    assert mixed[int(1.5 * rate), 0] == pytest.approx(0.5 * 0.1 + 0.25, abs=1e-3), "ducked by 20 dB under the dub"
    assert mixed[int(3.5 * rate), 1] == pytest.approx(0.5, abs=1e-3), "untouched away from the dub"
    replaced = tmp_path / "replace.wav"
    replace = {**revoice, "mix": "replace"}
    assert write_mix(str(replaced), timeline, original, rate, [(rate, 2 * rate)], replace) == (1, None)
    alone, _ = soundfile.read(replaced, dtype="float32")
    assert alone[int(3.5 * rate)] == 0 and alone[int(1.5 * rate)] == pytest.approx(0.25, abs=1e-3)
