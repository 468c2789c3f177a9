"""Speech enhancement before ASR and diarization (``audio.enhance``).

The extracted 16-kHz PCM is replaced by a cleaned copy, written block by block (memory
stays flat): ``deepfilter`` / ``rnnoise`` run at their own 48 kHz through a stateful,
delay-compensated stream; ``vocals`` takes the separated voice from the file's cached stems
(the ``separate`` rule makes them first). The copy has exactly the input's length, so every
timestamp stays valid.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.media.ffmpeg import open_pcm
from subvox.soundtrack.base import Enhancer, Enhancing

BLOCK_S = 30


def _writer(path: str, rate: int) -> Any:
    import soundfile

    return soundfile.SoundFile(path, "w", rate, 1, "PCM_16", format="WAV")


def _write_exact(out: Any, block: np.ndarray, budget: list[int]) -> None:
    take = block[: budget[0]]
    budget[0] -= take.size
    out.write(np.clip(take, -1.0, 32767 / 32768))


def enhance_pcm(audio: np.ndarray, rate: int, enhancer: Enhancer, dest: str) -> np.ndarray:
    """``audio`` (int16 mono at ``rate``) cleaned by ``enhancer``, as a memory-mapped WAV at ``dest``."""
    import soxr

    up = soxr.ResampleStream(rate, enhancer.sample_rate, 1, dtype="float32", quality="HQ")
    down = soxr.ResampleStream(enhancer.sample_rate, rate, 1, dtype="float32", quality="HQ")
    stream, n, budget = Enhancing(enhancer), audio.shape[0], [audio.shape[0]]
    block = BLOCK_S * rate
    with _writer(dest, rate) as out:
        for start in range(0, max(n, 1), block):
            last = start + block >= n
            piece = np.asarray(audio[start : start + block], dtype=np.float32) / 32768.0
            cleaned = stream.push(up.resample_chunk(piece, last=last))
            if last:
                cleaned = np.concatenate([cleaned, stream.finish()])
            _write_exact(out, down.resample_chunk(cleaned, last=last), budget)
        out.write(np.zeros(budget[0], dtype=np.float32))  # resampler rounding: keep the exact length
    return open_pcm(dest)[0]


def vocals_pcm(vocals_wav: str, rate: int, frames: int, dest: str) -> np.ndarray:
    """The separated voice (stems at their own rate and channels) as mono int16 at ``rate``."""
    import soundfile
    import soxr

    budget = [frames]
    with soundfile.SoundFile(vocals_wav) as stem, _writer(dest, rate) as out:  # stems may be WAVE_FORMAT_EXTENSIBLE
        down = soxr.ResampleStream(stem.samplerate, rate, 1, dtype="float32", quality="HQ")
        block, n = BLOCK_S * stem.samplerate, stem.frames
        for start in range(0, max(n, 1), block):
            piece = stem.read(block, dtype="float32", always_2d=True).mean(axis=1)
            _write_exact(out, down.resample_chunk(piece, last=start + block >= n), budget)
        out.write(np.zeros(budget[0], dtype=np.float32))
    return open_pcm(dest)[0]


def enhanced(audio: np.ndarray, rate: int, method: str, tmp: str, vocals_wav: str | None = None) -> np.ndarray:
    """The audio the models get with ``audio.enhance: method`` (``off``: ``audio`` itself)."""
    if method == "off":
        return audio
    dest = os.path.join(tmp, "enhanced.wav")
    if method == "vocals":
        if vocals_wav is None or not os.path.isfile(vocals_wav):
            raise SubvoxError("no separated voice for audio.enhance vocals (see the separate stage in failed.tsv)")
        return vocals_pcm(vocals_wav, rate, audio.shape[0], dest)
    from subvox.soundtrack.registry import load_enhancer

    return enhance_pcm(audio, rate, load_enhancer(method), dest)
