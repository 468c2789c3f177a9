"""Whisper's log-Mel features computed a block of frames at a time.

faster-whisper's ``FeatureExtractor`` builds the STFT of the whole input at once: the
windowed frames (400 float32 per 10 ms hop), their complex spectrum and its magnitudes
all exist together, about 0.4 MB per second of audio on top of the audio itself. On a
120-s chunk that is ~50 MB of transient memory, which made a long file (cut into 120-s
chunks) peak higher than a 1-minute one. ``BlockFeatureExtractor`` gives the same
features (the same per-frame arithmetic, in the same order) while holding only one
block of frames, so the peak no longer depends on the length of what is decoded.
"""

from __future__ import annotations

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

BLOCK_FRAMES = 1000  # 10 s of 10-ms frames: ~6 MB of transient arrays per block


class BlockFeatureExtractor(FeatureExtractor):
    """Drop-in ``FeatureExtractor`` whose transient memory is bounded by ``block_frames``."""

    def __init__(self, *args: object, block_frames: int = BLOCK_FRAMES, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.block_frames = block_frames
        self._window = np.hanning(self.n_fft + 1)[:-1].astype("float32")

    def __call__(self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
        if chunk_length is not None:  # as the parent: the padded length used by transcribe()
            self.n_samples = chunk_length * self.sampling_rate
            self.nb_max_frames = self.n_samples // self.hop_length
        signal = _centred(np.asarray(waveform, dtype=np.float32), padding, self.n_fft // 2)
        # the parent drops the last STFT frame: frames 0 .. n - 2 of the centred STFT
        frames = 1 + (len(signal) - self.n_fft) // self.hop_length - 1
        out = np.empty((self.mel_filters.shape[0], frames), dtype=np.float32)
        step = signal.strides[0]
        for a in range(0, frames, self.block_frames):
            b = min(frames, a + self.block_frames)
            view = np.lib.stride_tricks.as_strided(
                signal[a * self.hop_length :], (b - a, self.n_fft), (self.hop_length * step, step), writeable=False
            )
            spectrum = np.fft.rfft(view * self._window, n=self.n_fft, axis=-1).astype("complex64").T
            magnitudes = np.abs(spectrum) ** 2
            out[:, a:b] = np.log10(np.clip(self.mel_filters @ magnitudes, a_min=1e-10, a_max=None))
        np.maximum(out, out.max() - 8.0, out=out)  # dynamic range: over the whole input, as the parent
        out += 4.0
        out /= 4.0
        return out


def _centred(waveform: np.ndarray, padding: int, half: int) -> np.ndarray:
    """``waveform`` + ``padding`` zeros, reflect-padded by ``half`` on each side, in one array.

    The same samples as the parent's ``np.pad`` (zeros) followed by ``np.pad(mode="reflect")``,
    without the intermediate copy.
    """
    n = len(waveform) + padding
    if n <= half:  # a few samples (e.g. no speech left after VAD): numpy reflects repeatedly
        return np.pad(np.pad(waveform, (0, padding)), (half, half), mode="reflect")
    signal = np.empty(n + 2 * half, dtype=np.float32)
    signal[half : half + len(waveform)] = waveform
    signal[half + len(waveform) : half + n] = 0.0
    signal[:half] = signal[half + 1 : 2 * half + 1][::-1]
    signal[half + n :] = signal[half + n - 2 : n - 2 : -1]
    return signal


def install(model: object) -> None:
    """Give a faster-whisper ``WhisperModel`` the block-wise extractor with its own settings."""
    current = model.feature_extractor  # type: ignore[attr-defined]
    model.feature_extractor = BlockFeatureExtractor(  # type: ignore[attr-defined]
        feature_size=current.mel_filters.shape[0],
        sampling_rate=current.sampling_rate,
        hop_length=current.hop_length,
        chunk_length=current.chunk_length,
        n_fft=current.n_fft,
    )
