"""Speech enhancement with the real DeepFilterNet3 and RNNoise libraries: output aligned with
the input and as long, noise removed, and clean speech not made worse for Whisper."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from subvox.asr.wer import wer
from subvox.soundtrack import synth
from subvox.soundtrack.base import Enhancing
from subvox.soundtrack.enhance import enhanced
from subvox.soundtrack.registry import load_enhancer
from tests.unit.soundtrack.conftest import RATE, corr

METHODS = ["deepfilter", "rnnoise"]


def _pcm16k(x: np.ndarray) -> np.ndarray:
    return np.clip(soxr.resample(x, RATE, 16000) * 32768, -32768, 32767).astype(np.int16)


def _lag(a: np.ndarray, b: np.ndarray, span: int = 400) -> int:
    """Lag of ``b`` behind ``a`` (samples) with the highest correlation."""
    n = min(a.size, b.size) - 2 * span
    scores = [float(np.dot(a[span : span + n], b[span + k : span + k + n])) for k in range(-span, span + 1)]
    return int(np.argmax(scores)) - span


@pytest.mark.parametrize("method", METHODS)
def test_output_is_aligned_and_exactly_as_long(method, speech, tmp_path):
    pcm = _pcm16k(speech)
    out = enhanced(pcm, 16000, method, str(tmp_path))
    assert out.shape == pcm.shape
    assert abs(_lag(pcm.astype(np.float32), np.asarray(out, dtype=np.float32))) <= 2
    assert corr(pcm, out) >= 0.9  # clean speech comes through


@pytest.mark.parametrize("method", METHODS)
def test_blocks_of_any_length_give_the_same_signal(method, speech):
    enh = load_enhancer(method)
    x = soxr.resample(speech[: 2 * RATE], RATE, enh.sample_rate).astype(np.float32)
    whole = Enhancing(enh)
    a = np.concatenate([whole.push(x), whole.finish()])
    parts = Enhancing(enh)
    b = np.concatenate([parts.push(x[:1234]), parts.push(x[1234:5001]), parts.push(x[5001:]), parts.finish()])
    assert a.size == b.size == x.size
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_noise_alone_is_suppressed(method, tmp_path):
    noise = synth.pink_noise(4 * RATE)[:, 0]
    out = np.asarray(enhanced(_pcm16k(noise), 16000, method, str(tmp_path)), dtype=np.float64)
    before = 10 * np.log10(np.mean(_pcm16k(noise).astype(np.float64) ** 2))
    after = 10 * np.log10(np.mean(out**2) + 1e-9)
    print(f"{method}: noise {before:.1f} -> {after:.1f} dB")
    assert after <= before - 15


def test_off_is_the_audio_itself(speech, tmp_path):
    pcm = _pcm16k(speech)
    assert enhanced(pcm, 16000, "off", str(tmp_path)) is pcm


@pytest.mark.slow
def test_clean_speech_is_heard_no_worse(speech, tmp_path):
    """The issue's rule for enhancement; its effect on noisy speech is measured on the whole
    corpus by bench/separation.py (one 14-word clip is too few words to decide that)."""
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.transcribe import transcribe_audio
    from subvox.models.store import wheel_ct2_dir
    from tests.helpers import clip

    reference = clip("coqui_LJ001-0004").reference
    model = load_transcriber("faster-whisper", str(wheel_ct2_dir("tiny.en")), "tiny.en", threads=2)

    def heard(x: np.ndarray, method: str) -> float:
        audio = np.array(enhanced(_pcm16k(x), 16000, method, str(tmp_path)))
        return wer(reference, " ".join(s.text for s in transcribe_audio(model, audio, DecodeOptions()).segments))

    clean = heard(speech, "off")
    for method in METHODS:
        got = heard(speech, method)
        print(f"{method}: clean speech WER {clean:.3f} -> {got:.3f}")
        assert got <= clean


def test_snr_estimate_tells_clean_speech_from_noisy(speech):
    from subvox.soundtrack.enhance import estimate_snr_db

    noise = synth.at_level(speech, synth.pink_noise(speech.size, seed=3)[:, 0], 5)
    clean, noisy = estimate_snr_db(_pcm16k(speech), 16000), estimate_snr_db(_pcm16k(speech + noise), 16000)
    print(f"estimated SNR: clean {clean:.1f} dB, at 5 dB SNR {noisy:.1f} dB")
    assert clean >= 25 and noisy <= 20
    assert estimate_snr_db(np.zeros(16000, dtype=np.int16), 16000) == float("inf")
    padded = np.concatenate([np.zeros(40 * 16000, dtype=np.int16), _pcm16k(speech)])  # digital silence, blocks
    assert estimate_snr_db(padded, 16000) == pytest.approx(clean, abs=0.5)


def test_a_file_above_the_snr_threshold_is_left_as_it_is(speech, tmp_path):
    pcm = _pcm16k(speech)
    assert enhanced(pcm, 16000, "rnnoise", str(tmp_path), below_snr_db=20) is pcm
    noisy = _pcm16k(speech + synth.at_level(speech, synth.pink_noise(speech.size, seed=3)[:, 0], 5))
    out = enhanced(noisy, 16000, "rnnoise", str(tmp_path), below_snr_db=20)
    assert out is not noisy and out.shape == noisy.shape and not np.array_equal(out, noisy)


@pytest.mark.parametrize("method", METHODS)
def test_mix_keeps_that_share_of_the_cleaned_signal(method, speech, tmp_path):
    pcm = _pcm16k(speech + synth.at_level(speech, synth.pink_noise(speech.size, seed=4)[:, 0], 5))
    wet = np.asarray(enhanced(pcm, 16000, method, str(tmp_path)), dtype=np.float64)
    half = np.asarray(enhanced(pcm, 16000, method, str(tmp_path), mix=0.5), dtype=np.float64)
    assert half.shape == pcm.shape
    np.testing.assert_allclose(half, 0.5 * wet + 0.5 * pcm, atol=1.5)  # int16 rounding only
    assert enhanced(pcm, 16000, method, str(tmp_path), mix=0.0) is pcm


def test_vocals_are_mixed_with_the_original_and_as_long(speech, tmp_path):
    import soundfile

    pcm = _pcm16k(speech)
    stem = tmp_path / "vocals.wav"
    soundfile.write(stem, np.stack([speech, speech], axis=1)[: speech.size - RATE] * 0.5, RATE, "PCM_16")
    out = np.asarray(enhanced(pcm, 16000, "vocals", str(tmp_path), str(stem), mix=0.5), dtype=np.float64)
    assert out.shape == pcm.shape
    tail = slice(pcm.size - 16000 + 100, None)  # past the stem's end: only the original's share
    np.testing.assert_allclose(out[tail], 0.5 * pcm[tail], atol=1.5)
    body = slice(16000, pcm.size - 2 * 16000)
    assert corr(out[body], pcm[body]) > 0.99 and np.std(out[body]) == pytest.approx(0.75 * np.std(pcm[body]), rel=0.05)


def test_reading_a_long_file_leaves_no_pages_behind(tmp_path):
    """The SNR estimate and the cleaned copy read the whole memory-mapped file, a block at a time:
    its pages must not stay in RSS (a 3-h file is 345 MB), as for every other reader."""
    import soundfile

    from subvox.media.ffmpeg import open_pcm
    from subvox.soundtrack.enhance import estimate_snr_db

    path = tmp_path / "long.wav"
    rng = np.random.default_rng(5)
    soundfile.write(path, (rng.standard_normal(16000 * 120) * 3000).astype(np.int16), 16000, subtype="PCM_16")
    audio, _ = open_pcm(path)

    def rss_file_kb() -> int:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("RssFile"))

    enhanced(np.asarray(audio[:16000]), 16000, "rnnoise", str(tmp_path), mix=0.5)  # libraries mapped first
    before = rss_file_kb()
    estimate_snr_db(audio, 16000)
    assert rss_file_kb() - before < 1000  # the 3.8-MB file read whole: at most a block's neighbours stay
    enhanced(audio, 16000, "rnnoise", str(tmp_path), mix=0.5)
    assert rss_file_kb() - before < 1000
