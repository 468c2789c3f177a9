"""espeak-ng: formant synthesis from the Debian package, no weights; the always-there fallback."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from subvox.errors import SubvoxError


def _binary() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SubvoxError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng)")
    return exe


# espeak-ng's language tags whose language Whisper names otherwise
_WHISPER_NAMES = {"cmn": "zh", "nb": "no"}


@functools.cache
def _languages() -> dict[str, str]:
    """Every name ``espeak-ng -v`` accepts (language tags and voice files) -> its language tag."""
    out = subprocess.run([_binary(), "--voices"], capture_output=True, text=True, check=True).stdout
    names: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            names.setdefault(cols[1], cols[1])
            names.setdefault(cols[4], cols[1])
    return names


def _voices() -> tuple[str, ...]:
    """Names ``espeak-ng -v`` accepts: language tags and voice files."""
    return tuple(sorted(_languages()))


def voice_language(speaker: dict[str, Any]) -> str | None:
    """The language the voice speaks, as Whisper names it (``en-gb-scotland`` -> ``en``)."""
    tag = _languages().get(speaker.get("default") or "")
    if tag is None:
        return None
    family = tag.split("-")[0].lower()
    return _WHISPER_NAMES.get(family, family)


@functools.cache
def voice_for_language(lang: str) -> str | None:
    """The voice espeak-ng itself ranks first for ``lang`` (``es`` -> ``es``, ``fr`` -> ``fr-fr``,
    ``zh`` -> ``cmn``, ``no`` -> ``nb``), or None when no installed voice speaks it. mbrola voices
    (listed, but their data is a separate, rarely installed package) and variants are left out."""
    out = subprocess.run([_binary(), f"--voices={lang}"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5 and not cols[4].startswith(("mb/", "!v/")):
            return cols[1]
    return None


def list_voices(speaker: dict[str, Any]) -> list[str]:
    return list(_voices())


def build_profile(speaker: dict[str, Any], reference: dict[str, Any] | None, device: str = "cpu") -> dict[str, Any]:
    if reference is not None:
        raise SubvoxError("espeak cannot clone a voice from a reference clip; use engine outetts or a built-in voice")
    if speaker.get("default") not in _voices():
        raise SubvoxError(f"espeak voice {speaker.get('default')!r} is unknown; available: {', '.join(_voices())}")
    return {"engine": "espeak", "default": speaker["default"]}


class EspeakVoice:
    engine = "espeak"
    sample_rate = 22050

    def __init__(self, speaker: dict[str, Any]) -> None:
        self._args = [_binary(), "-v", speaker["default"], "-s", str(speaker["rate"]), "-p", str(speaker["pitch"])]

    def synthesize(self, text: str) -> np.ndarray:
        import soundfile

        # the text goes through stdin, never the command line (a cue may start with "-")
        with tempfile.TemporaryDirectory(prefix="subvox-espeak-") as tmp:
            wav = os.path.join(tmp, "cue.wav")
            subprocess.run([*self._args, "--stdin", "-w", wav], input=text.encode(), capture_output=True, check=True)
            audio, rate = soundfile.read(wav, dtype="float32", always_2d=False)
        if rate != self.sample_rate:
            raise SubvoxError(f"espeak-ng wrote {rate} Hz, expected {self.sample_rate}")
        return audio


def load_voice(speaker: dict[str, Any], profile: dict[str, Any], device: str = "cpu") -> EspeakVoice:
    return EspeakVoice(speaker)
