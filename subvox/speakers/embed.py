"""Windowed speaker embeddings with Resemblyzer's GE2E network, streamed over the audio.

The network (3-layer LSTM over 40 mel bands, 256-d L2-normed output) and its weights come
from the ``resemblyzer`` wheel, but the model is rebuilt here and its checkpoint read with
``torch.load(weights_only=True)``: Resemblyzer's own loader unpickles arbitrary objects.
The mel front end is computed in numpy with the same parameters as Resemblyzer's librosa
call (25-ms Hann window, 10-ms hop, power spectrum, Slaney mel filters), so librosa (its
numba JIT start-up and about 150 MB of memory) is not needed at all.

Windows are read from the (memory-mapped) samples one batch at a time and released, so
memory grows only by the 256 floats kept per window.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from subvox.media.ffmpeg import release_map
from subvox.speakers.audio import SAMPLE_RATE, read

N_FFT = 400
HOP = 160
N_MELS = 40
TARGET_DBFS = -30.0  # Resemblyzer normalises utterances to this level (its training data's)


def weights_path() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer package (not imported: it pulls webrtcvad)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("resemblyzer is not installed (its wheel carries the speaker-embedding weights)")
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, ``htk=False``): linear below 1 kHz, log above."""
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), lin)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


@functools.lru_cache(maxsize=1)
def mel_basis() -> np.ndarray:
    """(40, 201) Slaney-normalised triangular mel filters, as ``librosa.filters.mel(sr=16000,
    n_fft=400, n_mels=40)`` (checked in the tests). Built here because importing librosa's
    filters pulls numba and costs about 150 MB of memory."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    mel_hz = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    fdiff = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic Hann, as librosa


def mel_frames(x: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram of float audio, frame ``i`` centred on sample ``160 i``."""
    x = np.pad(np.asarray(x, dtype=np.float32), N_FFT // 2)
    n = 1 + (len(x) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(x, (n, N_FFT), (x.strides[0] * HOP, x.strides[0]))
    spec = np.abs(np.fft.rfft(frames * _window(), axis=1)) ** 2
    return (spec.astype(np.float32) @ mel_basis().T).astype(np.float32)


def normalise(x: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Raise (never lower) ``x`` to ``target_dbfs`` RMS, as Resemblyzer's preprocessing does:
    the network sees mel power, not log mel, so its input level matters."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    if rms <= 1e-6:
        return x
    gain = 10 ** (target_dbfs / 20) / rms
    return x * np.float32(gain) if gain > 1 else x


class SpeakerEncoder:
    """Resemblyzer's GE2E speaker encoder on the CPU, weights loaded with ``weights_only=True``."""

    def __init__(self, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(threads)  # fixed thread count: same input, same floats
        self._torch = torch
        self.lstm = torch.nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)["model_state"]
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self.linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self.lstm.eval()
        self.linear.eval()

    def __call__(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel spectrograms of equal length -> (batch, 256) unit embeddings."""
        torch = self._torch
        with torch.inference_mode():
            _, (hidden, _) = self.lstm(torch.from_numpy(np.ascontiguousarray(mels, dtype=np.float32)))
            raw = torch.relu(self.linear(hidden[-1]))
            out = raw / torch.clamp(torch.norm(raw, dim=1, keepdim=True), min=1e-8)
        return out.numpy().copy()


@dataclass
class Windows:
    """Embedded windows: ``start``/``end`` in seconds, the speech region each lies in, and one
    unit embedding per window."""

    start: np.ndarray
    end: np.ndarray
    region: np.ndarray
    emb: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def plan_windows(
    regions: list[tuple[float, float]], window_s: float = 1.6, hop_s: float = 0.4, min_s: float = 0.5
) -> list[tuple[float, float, int]]:
    """Windows ``(start, end, region index)`` over speech: ``window_s`` long every ``hop_s``, the last
    one flush with the region's end; a region shorter than ``window_s`` (but at least ``min_s``) is
    one window of its own length, so that short turns still get a voice."""
    out = []
    for r, (s, e) in enumerate(regions):
        d = e - s
        if d < min_s:
            continue
        if d <= window_s:
            out.append((s, e, r))
            continue
        n = int(np.ceil((d - window_s) / hop_s - 1e-9))
        starts = [s + k * hop_s for k in range(n)] + [e - window_s]
        out.extend((a, a + window_s, r) for a in starts)
    return out


def embed_windows(
    audio: np.ndarray, windows: list[tuple[float, float, int]], encoder: SpeakerEncoder, batch: int = 16
) -> Windows:
    """Embed each window of ``audio`` (16-kHz mono, int16 memmap or float). Windows of the same
    length are batched together; short ones run alone (the LSTM takes any length)."""
    emb = np.zeros((len(windows), 256), dtype=np.float32)
    by_len: dict[int, list[int]] = {}
    for i, (s, e, _) in enumerate(windows):
        by_len.setdefault(round((e - s) * SAMPLE_RATE), []).append(i)
    for length, idx in sorted(by_len.items()):
        for k in range(0, len(idx), batch):
            part = idx[k : k + batch]
            mels = []
            for i in part:
                a = round(windows[i][0] * SAMPLE_RATE)
                x = read(audio, a, a + length)
                x = np.pad(x, (0, length - len(x)))
                mels.append(mel_frames(normalise(x))[: length // HOP])
            release_map(audio)
            emb[part] = encoder(np.stack(mels))
    starts = np.array([w[0] for w in windows], dtype=np.float64)
    ends = np.array([w[1] for w in windows], dtype=np.float64)
    return Windows(starts, ends, np.array([w[2] for w in windows], dtype=np.int64), emb)
