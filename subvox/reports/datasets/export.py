"""The export: rows of every file (duplicates once), WAV cuts, then each format's manifests.

``OUT/subvox-dataset/`` holds ``audio/<split>/<file hash>/<cue>.wav`` (one copy, shared by every
format), ``<format>/`` per configured format, ``duplicates.tsv`` and ``summary.json``. Files the
export did not write this time (a dropped format or split, an old layout) are removed, so the
folder always describes the current configuration. Same inputs and settings, same bytes.
"""

from __future__ import annotations

import hashlib
import os
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.library.atomic import atomic_path, dumps_json, read_json
from subvox.media.ffmpeg import decode_at
from subvox.reports.datasets import manifests
from subvox.reports.datasets.lhotse_sets import lhotse
from subvox.reports.datasets.quality import RATE, FileQuality
from subvox.reports.datasets.rows import cue_rows, keep, split_of

WRITERS: dict[str, Callable[[str, list[dict[str, Any]]], dict[str, bytes]]] = {
    "jsonl": manifests.jsonl,
    "lhotse": lhotse,
    "huggingface": manifests.huggingface,
    "nemo": manifests.nemo,
}
SPEAKER_NOTE = "null for rows of files that were not diarized (diarization.enabled: false)"


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int) -> None:
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(samples.astype("<i2").tobytes())


def unique(files: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str, dict]], list[tuple[str, str]]]:
    """Files in source order with their JSON, each content (sha256) once: the first path keeps it,
    the others are returned as (duplicate, kept) pairs."""
    kept: dict[str, str] = {}
    out, dups = [], []
    for json_path, media, source in sorted(files, key=lambda f: f[2]):
        data = read_json(json_path)
        sha = data["source"]["sha256"]
        if sha in kept:
            dups.append((source, kept[sha]))
            continue
        kept[sha] = source
        out.append((json_path, media, source, data))
    return out, dups


def source_audio(media: str, root: Path) -> dict[str, Any] | None:
    """The source as a Lhotse/NeMo recording (path relative to ``root``) when libsndfile reads it
    and its name is UTF-8; None otherwise (videos, AAC, Opus...: their rows use the cut)."""
    import soundfile

    try:
        info = soundfile.info(media)
        path = os.path.relpath(os.path.abspath(media), root.resolve())
        path.encode("utf-8")
    except (RuntimeError, UnicodeEncodeError, soundfile.LibsndfileError):
        return None
    return {"path": Path(path).as_posix(), "rate": info.samplerate, "samples": info.frames, "channels": info.channels}


def file_rows(media: str, source: str, data: dict, split: str, root: Path, conf: dict) -> list[dict[str, Any]]:
    """The kept rows of one file with quality figures, cutting their WAVs when ``audio`` is on."""
    rows = cue_rows(data)
    if not rows:
        return []
    stream = data["source"]["extracted"]["audio_stream"]
    audio16 = decode_at(media, RATE, stream)
    quality = FileQuality(audio16)
    rows = [r for r in ({**r, **quality.cue(r["start"], r["end"])} for r in rows) if keep(r, conf)]
    rate = conf["sample_rate"]
    samples = (audio16 if rate == RATE else decode_at(media, rate, stream)) if conf["audio"] and rows else None
    src = source_audio(media, root) if conf["recordings"] == "source" and rows else None
    folder = f"audio/{split}/{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    out = []
    for r in rows:
        row = {"id": f"{source}#{r['index']:05d}", "source": source, "split": split, **r, "_source": src}
        if samples is not None:
            a, b = min(round(r["start"] * rate), len(samples)), min(round(r["end"] * rate), len(samples))
            row.update(_wav=f"{folder}/{r['index']:05d}.wav", _samples=b - a, _rate=rate)
            write_wav(root / row["_wav"], samples[a:b], rate)
        out.append(row)
    return out


def export(files: list[tuple[str, str, str]], out_dir: str, conf: dict[str, Any]) -> dict[str, Any]:
    """Write the dataset under ``out_dir`` and return its summary (also ``summary.json``).

    ``files`` holds (subtitle JSON path, media path, source path relative to input_dir).
    """
    root = Path(out_dir)
    formats = conf["formats"]
    if not conf["audio"] and set(formats) - {"jsonl"}:
        raise SubvoxError(f"dataset.formats {formats} need the cut audio: set dataset.audio: true or keep [jsonl]")
    kept, dups = unique(files)
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name in conf["splits"]}
    diarized = 0
    for _, media, source, data in kept:
        split = split_of(source, conf["splits"])
        by_split[split] += file_rows(media, source, data, split, root, conf)
        diarized += "speakers" in data
    written: dict[str, bytes] = {}
    for fmt in formats:
        for split, rows in by_split.items():
            if rows or fmt == "jsonl":  # Lhotse reads an empty manifest as None: trainer formats skip it
                written.update(WRITERS[fmt](split, rows))
    written["duplicates.tsv"] = "".join(f"{d}\t{k}\n" for d, k in [("duplicate", "kept"), *dups]).encode()
    summary = {
        "formats": formats,
        "rows": {split: len(rows) for split, rows in by_split.items()},
        "files": len(kept),
        "duplicates": len(dups),
        "diarized_files": diarized,
        "speaker": SPEAKER_NOTE if diarized < len(kept) else "from diarization",
        "recordings": conf["recordings"],
        "rows_on_source": sum(1 for rows in by_split.values() for r in rows if r["_source"]),
    }
    written["summary.json"] = dumps_json(summary).encode()
    for rel, data in sorted(written.items()):
        with atomic_path(root / rel) as tmp:
            tmp.write_bytes(data)
    wavs = {r["_wav"] for rows in by_split.values() for r in rows if r.get("_wav")}
    _prune(root, set(written) | wavs)
    return summary


def _prune(root: Path, keep_paths: set[str]) -> None:
    """Remove files under ``root`` this export did not write, then empty folders."""
    for dirpath, _, names in os.walk(root, topdown=False):
        for name in names:
            path = Path(dirpath) / name
            if path.relative_to(root).as_posix() not in keep_paths:
                path.unlink()
        if Path(dirpath) != root and not os.listdir(dirpath):
            os.rmdir(dirpath)
