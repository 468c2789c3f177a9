"""Test audio: REAL English speech with human reference transcripts, never synthetic."""

from __future__ import annotations

import hashlib
import json
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import REPO, SAMPLE_RATE

SHARED_DATA = REPO.parent / "shared" / "data"
BENCH_DATA = REPO / "bench" / "data"  # more referenced speech for benches that need it (manifest per folder)


@dataclass
class Clip:
    name: str
    path: Path
    reference: str


def speech_clips(shared_data: Path | None = None, extra: tuple[Path, ...] = ()) -> list[Clip]:
    """Real English clips with human references from the repo's manifest and, when
    ``shared_data`` holds one, the shared manifest, then the folders in ``extra`` (each with
    its manifest.json, e.g. ``BENCH_DATA / "ljspeech"``); duplicates (same bytes) removed."""
    manifests = [REPO / "tests" / "data" / "manifest.json"]
    if shared_data is not None and (shared_data / "manifest.json").is_file():
        manifests.append(shared_data / "manifest.json")
    manifests += [folder / "manifest.json" for folder in extra]
    seen: set[str] = set()
    clips = []
    for manifest in manifests:
        for e in json.loads(manifest.read_text(encoding="utf-8")):
            if e.get("language") != "en" or e.get("reference_type") != "human" or not e.get("reference_text"):
                continue
            path = (manifest.parent / e["file"]).resolve()
            if not path.is_file():
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            clips.append(Clip(path.stem, path, " ".join(e["reference_text"].split())))
    if not clips:
        raise SystemExit("no English clips with references found")
    return sorted(clips, key=lambda c: c.name)


def decode_clips(clips: list[Clip], tmp: Path) -> list[tuple[Clip, Any]]:
    """Each clip as 16 kHz mono int16 samples (ffmpeg, as the workflow extracts audio)."""
    import numpy as np

    from subvox.media.ffmpeg import extract_audio

    out = []
    for i, clip in enumerate(clips):
        wav = tmp / f"clip{i}.wav"
        extract_audio(clip.path, wav)
        with wave.open(str(wav), "rb") as wf:
            pcm = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").copy()
        wav.unlink()
        out.append((clip, pcm))
    return out


def track_pieces(decoded: list[tuple[Clip, Any]], target_s: float, gap_s: float = 1.0) -> Iterator[tuple[Any, str]]:
    """Yield (samples, reference) pieces: clips, looped in a fixed shuffled order per loop
    (seed 0; the first loop in clip order), separated by ``gap_s`` of silence, until the
    track is at least ``target_s`` long."""
    import numpy as np

    rng = np.random.default_rng(0)
    gap = np.zeros(int(gap_s * SAMPLE_RATE), dtype=np.int16)
    total, first = 0, True
    target = int(target_s * SAMPLE_RATE)
    while total < target:
        order = list(range(len(decoded))) if first else rng.permutation(len(decoded)).tolist()
        for i in order:
            if total >= target:
                break
            clip, pcm = decoded[i]
            if not first:
                yield gap, ""
                total += len(gap)
            yield pcm, clip.reference
            total += len(pcm)
            first = False


def write_wav(path: Path, pieces: Any) -> int:
    """Write 16-bit mono PCM pieces (an iterable of int16 arrays) as a WAV; returns frames."""
    frames = 0
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        for pcm in pieces:
            wf.writeframes(pcm.tobytes())
            frames += len(pcm)
    return frames


def write_track(path: Path, decoded: list[tuple[Clip, Any]], target_s: float) -> tuple[float, str]:
    """Write a looped track as a WAV (streamed, any length); returns (duration s, reference)."""
    refs: list[str] = []

    def pcm() -> Iterator[Any]:
        for samples, ref in track_pieces(decoded, target_s):
            if ref:
                refs.append(ref)
            yield samples

    frames = write_wav(path, pcm())
    return frames / SAMPLE_RATE, " ".join(refs)


def build_tracks(decoded: list[tuple[Clip, Any]], lengths_s: dict[str, float], tmp: Path) -> dict[str, dict[str, Any]]:
    """``{name: {"wav", "audio_s", "reference"}}``: one track per name, in ``tmp``."""
    tracks = {}
    for name, seconds in lengths_s.items():
        wav = tmp / f"track-{name}.wav"
        duration, ref = write_track(wav, decoded, seconds)
        tracks[name] = {"wav": str(wav), "audio_s": duration, "reference": ref}
    return tracks


def write_shortest(path: Path, decoded: list[tuple[Clip, Any]]) -> Path:
    """The shortest real clip as a WAV (the warm-up call's audio)."""
    write_wav(path, [min((pcm for _, pcm in decoded), key=len)])
    return path
