"""Speech enhancement before ASR and diarization (``audio.enhance``).

The extracted 16-kHz PCM is replaced by a cleaned copy, written block by block (memory
stays flat): ``deepfilter`` / ``rnnoise`` run at their own 48 kHz through a stateful,
delay-compensated stream; ``vocals`` takes the separated voice from the file's cached stems
(the ``separate`` rule makes them first). The copy has exactly the input's length, so every
timestamp stays valid.

Whisper trips on enhancement artefacts more than on moderate noise, so two options keep it
from doing harm (both measured in bench/separation.py): ``enhance_mix`` keeps only that share
of the cleaned signal and adds the rest of the original back ("dry/wet": the original masks the
artefacts), and ``enhance_below_snr_db`` cleans only a file whose estimated SNR is below it, so
clean speech reaches the models untouched.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.media.ffmpeg import open_pcm, release_map
from subvox.soundtrack.base import Enhancer, Enhancing

log = logging.getLogger("subvox")

BLOCK_S = 30
FRAME_S = 0.02  # frames of the SNR estimate
FLOOR_PCT, LOUD_PCT = 5, 90  # percentiles of frame power: the noise floor, the speech
SILENT = 1e-10  # frame power of digital silence (all zeros), which says nothing of the noise


def estimate_snr_db(audio: np.ndarray, rate: int) -> float:
    """How far the loud frames stand above the floor: the 90th percentile of 20-ms frame powers
    over the 5th, in dB. Clean speech has quiet frames between words (27-51 dB on the
    benchmark's clips); steady noise or music fills them (14-18 dB at 5 dB SNR). Read block by
    block (the map's pages released after each); ``inf`` when there are too few audible frames
    to tell."""
    n = max(round(FRAME_S * rate), 1)
    block = max(BLOCK_S * rate // n, 1) * n
    powers = []
    for start in range(0, audio.shape[0], block):
        x = np.asarray(audio[start : start + block], dtype=np.float64) / 32768.0
        release_map(audio)
        k = x.size // n
        powers.append(np.mean(np.square(x[: k * n]).reshape(k, n), axis=1))
    p = np.concatenate(powers) if powers else np.zeros(0)
    p = p[p > SILENT]
    if p.size < 2:
        return math.inf
    db = 10 * np.log10(p)
    return float(np.percentile(db, LOUD_PCT) - np.percentile(db, FLOOR_PCT))


class _Copy:
    """The copy the models get, written as it comes: exactly as long as ``dry`` (the original,
    int16) and ``mix`` of it the cleaned signal, the rest the original at the same samples."""

    def __init__(self, dest: str, rate: int, dry: np.ndarray, mix: float) -> None:
        import soundfile

        self.file = soundfile.SoundFile(dest, "w", rate, 1, "PCM_16", format="WAV")
        self.dry, self.mix, self.pos = dry, mix, 0

    def write(self, block: np.ndarray) -> None:
        take = np.asarray(block[: self.dry.shape[0] - self.pos], dtype=np.float32)
        if self.mix < 1.0:
            dry = np.asarray(self.dry[self.pos : self.pos + take.size], dtype=np.float32) / 32768.0
            release_map(self.dry)
            take = self.mix * take + (1.0 - self.mix) * dry
        self.file.write(np.clip(take, -1.0, 32767 / 32768))
        self.pos += take.size

    def close(self) -> None:
        """Resampler rounding may leave the end short: the copy keeps the exact length."""
        self.write(np.zeros(self.dry.shape[0] - self.pos, dtype=np.float32))
        self.file.close()


def enhance_pcm(audio: np.ndarray, rate: int, enhancer: Enhancer, dest: str, mix: float = 1.0) -> np.ndarray:
    """``audio`` (int16 mono at ``rate``) cleaned by ``enhancer``, as a memory-mapped WAV at ``dest``."""
    import soxr

    up = soxr.ResampleStream(rate, enhancer.sample_rate, 1, dtype="float32", quality="HQ")
    down = soxr.ResampleStream(enhancer.sample_rate, rate, 1, dtype="float32", quality="HQ")
    stream, n, block = Enhancing(enhancer), audio.shape[0], BLOCK_S * rate
    out = _Copy(dest, rate, audio, mix)
    for start in range(0, max(n, 1), block):
        last = start + block >= n
        piece = np.asarray(audio[start : start + block], dtype=np.float32) / 32768.0
        release_map(audio)
        cleaned = stream.push(up.resample_chunk(piece, last=last))
        if last:
            cleaned = np.concatenate([cleaned, stream.finish()])
        out.write(down.resample_chunk(cleaned, last=last))
    out.close()
    return open_pcm(dest)[0]


def vocals_pcm(vocals_wav: str, audio: np.ndarray, rate: int, dest: str, mix: float = 1.0) -> np.ndarray:
    """The separated voice (stems at their own rate and channels) as mono int16 at ``rate``,
    as long as ``audio`` (the original it is mixed with)."""
    import soundfile
    import soxr

    out = _Copy(dest, rate, audio, mix)
    with soundfile.SoundFile(vocals_wav) as stem:  # stems may be WAVE_FORMAT_EXTENSIBLE
        down = soxr.ResampleStream(stem.samplerate, rate, 1, dtype="float32", quality="HQ")
        block, n = BLOCK_S * stem.samplerate, stem.frames
        for start in range(0, max(n, 1), block):
            piece = stem.read(block, dtype="float32", always_2d=True).mean(axis=1)
            out.write(down.resample_chunk(piece, last=start + block >= n))
    out.close()
    return open_pcm(dest)[0]


def enhanced(
    audio: np.ndarray,
    rate: int,
    method: str,
    tmp: str,
    vocals_wav: str | None = None,
    mix: float = 1.0,
    below_snr_db: float | None = None,
    label: str = "",
) -> Any:
    """The audio the models get with ``audio.enhance: method`` (``off``, or a file whose
    estimated SNR is ``below_snr_db`` or more: ``audio`` itself), ``mix`` of it cleaned;
    ``label`` names the file in the log."""
    if method == "off" or mix <= 0.0:
        return audio
    if below_snr_db is not None:
        snr = estimate_snr_db(audio, rate)
        if snr >= below_snr_db:
            log.info("%s: audio.enhance %s not needed (estimated SNR %.1f dB >= %g)", label, method, snr, below_snr_db)
            return audio
        log.info("%s: audio.enhance %s, estimated SNR %.1f dB < %g: cleaning", label, method, snr, below_snr_db)
    dest = os.path.join(tmp, "enhanced.wav")
    if method == "vocals":
        if vocals_wav is None or not os.path.isfile(vocals_wav):
            raise SubvoxError("no separated voice for audio.enhance vocals (see the separate stage in failed.tsv)")
        return vocals_pcm(vocals_wav, audio, rate, dest, mix)
    from subvox.soundtrack.registry import load_enhancer

    return enhance_pcm(audio, rate, load_enhancer(method), dest, mix)
