"""Per-cue quality figures a trainer filters on: estimated SNR, speech ratio, clipping, loudness.

All are measured on the file's 16-kHz mono decode, framed like Silero VAD (32 ms):
- speech ratio: the share of the cue's frames Silero scores as speech (p >= 0.5);
- SNR: mean power of the cue's speech frames over the file's noise floor, the mean power of its
  non-speech frames (p < 0.35); a file with under 0.5 s of them (read speech trimmed to the words)
  uses its quietest tenth of frames instead. Never below 16-bit quantisation noise;
- clipping: the share of the cue's samples at full scale;
- loudness: EBU R128 integrated loudness (pyloudnorm) of the cue, LUFS.
A figure that cannot be measured (no speech frame, a cue shorter than one 0.4-s gating block)
is None, and filters let such rows through.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from subvox.media.ffmpeg import as_float
from subvox.speakers.vad import FRAME, speech_probabilities

RATE = 16000
SPEECH, NON_SPEECH = 0.5, 0.35
QUANTISATION = (1 / 32768) ** 2 / 12  # power of 16-bit rounding noise: the floor of any noise estimate
MIN_NOISE_FRAMES = 16  # 0.5 s of non-speech before the file's own noise floor is trusted


class FileQuality:
    """One file's VAD frames and noise floor; ``cue`` measures one cue against them."""

    def __init__(self, audio16: np.ndarray) -> None:
        self.audio = audio16
        self.probs = speech_probabilities(audio16)
        n = len(audio16) // FRAME
        x = as_float(audio16[: n * FRAME]).astype(np.float64).reshape(n, FRAME)
        self.power = (x * x).mean(axis=1)
        self.probs = self.probs[:n]
        quiet = self.power[self.probs < NON_SPEECH]
        if len(quiet) >= MIN_NOISE_FRAMES:
            noise = float(quiet.mean())
        elif n:
            noise = float(np.sort(self.power)[: max(1, n // 10)].mean())
        else:
            noise = 0.0
        self.noise = max(noise, QUANTISATION)

    def cue(self, start: float, end: float) -> dict[str, Any]:
        """The four figures for the cue from ``start`` to ``end`` seconds."""
        a = int(start * RATE / FRAME)
        b = max(a + 1, math.ceil(end * RATE / FRAME))
        probs, power = self.probs[a:b], self.power[a:b]
        speech = power[probs >= SPEECH]
        samples = np.asarray(self.audio[round(start * RATE) : round(end * RATE)])
        return {
            "speech_ratio": round(float((probs >= SPEECH).mean()), 3) if len(probs) else None,
            "snr_db": _snr(float(speech.mean()), self.noise) if len(speech) else None,
            "clipping": round(float((np.abs(samples.astype(np.int32)) >= 32767).mean()), 6) if len(samples) else None,
            "loudness_lufs": _loudness(samples),
        }


def _snr(signal: float, noise: float) -> float:
    return round(10 * math.log10(max(signal - noise, QUANTISATION) / noise), 1)


def _loudness(samples: np.ndarray) -> float | None:
    """Integrated loudness of int16 ``samples`` at 16 kHz; None below one gating block or silent."""
    import pyloudnorm

    if len(samples) < 0.4 * RATE:
        return None
    value = float(pyloudnorm.Meter(RATE).integrated_loudness(as_float(samples).astype(np.float64)))
    return round(value, 1) if math.isfinite(value) else None
