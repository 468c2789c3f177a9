"""bench/diarization.py --music-db / --under / --enhance: the benchmark's files with subvox's
deterministic synthetic music (``--under noise``: pink noise) that many dB under their speech, and
what the workflow's ``audio.enhance`` then gives the diarizer (``vocals``: Spleeter's voice stem,
made by the workflow's chunked separation from the file at 44.1 kHz; ``--enhance-mix`` and
``--enhance-below-snr-db`` as ``audio.enhance_mix`` / ``enhance_below_snr_db``, the workflow's
defaults unless given)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from diarization import RATE, to_int16, write_wav

from subvox.media.ffmpeg import open_pcm


def degrade(
    files: list[dict[str, Any]],
    tmp: Path,
    music_db: float | None,
    method: str,
    mix: float,
    below: float | None,
    under: str = "music",
) -> None:
    """Each file's WAV replaced by itself with music (or pink noise) under it (``music_db`` below its speech) and/or
    by what ``audio.enhance: method`` gives the models, through the workflow's own functions."""
    import soxr

    from subvox.soundtrack import synth
    from subvox.soundtrack.cache import Stems, write_stems
    from subvox.soundtrack.enhance import enhanced
    from subvox.soundtrack.registry import load_separator

    separator = load_separator("spleeter") if method == "vocals" else None
    for f in files:
        samples = np.asarray(open_pcm(f["wav"])[0], dtype=np.float32) / 32768
        if music_db is not None:
            other = synth.music(samples.size, RATE) if under == "music" else synth.pink_noise(samples.size, 1)
            samples = samples + synth.at_level(samples, other.mean(axis=1), music_db)
        work = tmp / f"{f['id']}-degraded"
        work.mkdir()
        wav = work / "mix.wav"
        write_wav(wav, to_int16(samples))
        vocals = None
        if separator is not None:
            source = to_int16(np.repeat(soxr.resample(samples, RATE, separator.sample_rate)[:, None], 2, axis=1))
            stems = Stems(str(work))
            write_stems(separator, source, stems, {"chunk_s": 30, "overlap_s": 2})
            vocals = stems.vocals
        enhanced(open_pcm(wav)[0], RATE, method, str(work), vocals, mix, below)  # writes enhanced.wav if it cleans
        f["wav"] = work / "enhanced.wav" if (work / "enhanced.wav").is_file() else wav
