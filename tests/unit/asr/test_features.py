"""Block-wise Whisper features equal faster-whisper's own, with memory that does not grow with length;
language probes follow the amount of speech."""

import tracemalloc

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from subvox.asr import load_transcriber
from subvox.asr.features import BlockFeatureExtractor, _centred
from subvox.asr.transcribe import LanguageOptions, Window, probe_picks
from subvox.media.ffmpeg import extract_audio, load_wav
from subvox.models import store as models
from tests.helpers import clip


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    wav = tmp_path_factory.mktemp("features") / "jfk.wav"
    extract_audio(clip("jfk").path, wav)
    return load_wav(wav)[0]


# How far two float32 evaluations of the same features may differ, from the arithmetic alone.
# Each mel value is a dot product of K = 201 non-negative terms (filter weight x power). Its
# float32 result is within gamma_K = K u / (1 - K u) (u = 2**-24) of the exact value, relative,
# whatever the summation order, so two BLAS kernels (the whole-array and the block-wise matmul
# have different shapes, and OpenBLAS picks kernels by shape and CPU: OPENBLAS_CORETYPE) agree
# within 2 gamma_K relative. log10 turns that into 2 gamma_K / ln 10 absolute, the final /4 into a
# quarter of it (the dynamic-range floor, max - 8, moves by no more), and (x + 4) / 4 adds at
# most one rounding at |x + 4| < 8. The FFTs are the same numpy rfft of the same frames, row by
# row, so they add nothing.
K, U = 201, 2.0**-24
GAMMA = K * U / (1 - K * U)
FEATURE_BOUND = 2 * GAMMA / np.log(10) / 4 + np.spacing(np.float32(8.0)) / 4  # ~3.1e-6


@pytest.mark.parametrize("n", [0, 1, 160, 199, 200, 201, 4000, 16000 * 10 + 7, 16000 * 30, 16000 * 31 + 3])
@pytest.mark.parametrize("padding", [160, 0])
def test_block_features_equal_faster_whispers_within_float32_rounding(speech, n, padding):
    audio = np.resize(speech, n).astype(np.float32)
    try:
        expected = FeatureExtractor()(audio, padding=padding)
    except ValueError:  # too few samples for one frame: both refuse
        with pytest.raises(ValueError):
            BlockFeatureExtractor(block_frames=700)(audio, padding=padding)
        assert n + padding <= 400
        return
    got = BlockFeatureExtractor(block_frames=700)(audio, padding=padding)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    worst = float(np.abs(got.astype(np.float64) - expected).max())
    assert worst <= FEATURE_BOUND, f"{worst:.3g} > {FEATURE_BOUND:.3g}"


@pytest.mark.parametrize("n", [0, 1, 7, 199, 200, 201, 4000, 16000 * 10 + 7])
@pytest.mark.parametrize("padding", [160, 0])
def test_centred_signal_is_bit_identical_to_numpys_two_pads(n, padding):
    """Bit identity holds here by construction: both only copy samples, no arithmetic."""
    audio = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    expected = np.pad(np.pad(audio, (0, padding)), (200, 200), mode="reflect") if n + padding else None
    if expected is None:
        return
    assert np.array_equal(_centred(audio, padding, 200), expected)


@pytest.mark.slow
def test_block_features_decode_to_the_same_tokens_as_whole_array_features(speech):
    """What the features are for: Whisper reads the same words from either."""
    from faster_whisper import WhisperModel

    model = WhisperModel(str(models.ct2_source("tiny.en", "models")), device="cpu", compute_type="int8", cpu_threads=2)
    audio = np.concatenate([speech, np.zeros(16000, np.float32), speech])  # 23 s: one window
    tokens = {}
    for name, extractor in (("whole", FeatureExtractor()), ("block", BlockFeatureExtractor(block_frames=700))):
        model.feature_extractor = extractor
        segments, _ = model.transcribe(audio, language="en", beam_size=5, temperature=0.0, vad_filter=False)
        tokens[name] = [t for s in segments for t in s.tokens]
    assert len(tokens["whole"]) > 40
    assert tokens["block"] == tokens["whole"]


def test_block_features_hold_one_block_not_the_whole_input(speech):
    """faster-whisper's STFT holds ~1 MB per second of audio; the block version a fixed amount."""
    peaks = {}
    for seconds in (30, 120):
        audio = np.resize(speech, 16000 * seconds).astype(np.float32)
        for extractor in (FeatureExtractor(), BlockFeatureExtractor()):
            tracemalloc.start()
            extractor(audio)
            peaks[type(extractor).__name__, seconds] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
    output_mb = 80 * 12000 * 4 / 1e6  # the features themselves, 120 s
    padded_mb = 16000 * 120 * 4 / 1e6  # one padded copy of the samples
    assert peaks["BlockFeatureExtractor", 120] < output_mb + padded_mb + 16, peaks  # + one block of frames
    assert peaks["FeatureExtractor", 120] > 3 * peaks["BlockFeatureExtractor", 120], peaks
    growth = peaks["BlockFeatureExtractor", 120] - peaks["BlockFeatureExtractor", 30]
    assert growth < 1.2 * (output_mb + padded_mb) * 90 / 120, peaks  # only output and samples grow


@pytest.mark.slow
def test_faster_whisper_transcriber_uses_block_features():
    model = load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en")
    assert isinstance(model.model.feature_extractor, BlockFeatureExtractor)
    assert model.model.feature_extractor.mel_filters.shape == (80, 201)


def windows(*seconds: float, gap_s: float = 1.0) -> list[Window]:
    out, t = [], 0.0
    for s in seconds:
        out.append(Window(int(t * 16000), int((t + s) * 16000)))
        t += s + gap_s
    return out


def test_probes_follow_the_speech_not_the_number_of_pauses():
    opts = LanguageOptions(probe_every_s=30.0)  # 8 at most, one per 30 s of speech plus one
    assert probe_picks(windows(5.0), opts) == [0]
    assert probe_picks(windows(3.0, 4.0), opts) == [0, 1], "a short file: both ends"
    many_short = windows(*[4.0] * 14)  # 56 s of speech in 14 windows
    assert probe_picks(many_short, opts) == [0, 6, 13], "first, middle, last"
    hour = windows(*[10.0] * 360)
    picks = probe_picks(hour, opts)
    assert len(picks) == 8 and picks[0] == 0 and picks[-1] == 359
    assert probe_picks(many_short, LanguageOptions(probe_every_s=4.0, probe_windows=20)) == list(range(14))
    assert probe_picks(many_short, LanguageOptions(probe_windows=2)) == [0, 13]
    assert probe_picks(many_short, LanguageOptions()) == [0, 13], "the default: one per minute of speech, plus one"
