"""Real speech (a held-out LJSpeech clip) over synthetic music with known stems, and the real
Spleeter weights, loaded once for the whole folder."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import soxr

from subvox.soundtrack import synth
from tests.helpers import clip

RATE = 44100


@pytest.fixture(scope="session")
def speech() -> np.ndarray:
    """About 6 s of real speech at 44.1 kHz, mono float32."""
    audio, sr = soundfile.read(str(clip("coqui_LJ001-0004").path), dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), sr, RATE).astype(np.float32)[: 6 * RATE]


@pytest.fixture(scope="session")
def mixture(speech) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mix, true voice, true music), each (frames, 2) float32; music 5 dB under the speech."""
    voice = np.stack([speech, speech], axis=1)
    music = synth.at_level(voice, synth.music(speech.size, RATE), 5)
    return voice + music, voice, music


@pytest.fixture(scope="session")
def spleeter():
    from subvox.soundtrack.spleeter import Spleeter

    return Spleeter(threads=2)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])
