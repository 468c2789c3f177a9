"""Speech-dataset export: a JSONL manifest of subtitle cues, optional audio cuts, fixed splits.

Rows are the readable cues (at most 7 s, split at sentence ends first), each with its
source, times, text, language and confidence figures. Filters come from the ``dataset``
config section. Splits are made per *source file* from a hash of its path, so a file
never straddles train/dev/test and the assignment never changes when files are added.
Everything is deterministic: same inputs and settings, same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np

from subvox.library.atomic import atomic_path, read_json, write_text
from subvox.media.ffmpeg import decode_at

MANIFEST_SCHEMA = Path(__file__).resolve().parents[2] / "config" / "schema" / "dataset.schema.yaml"


def split_of(source: str, splits: dict[str, float]) -> str:
    """The split of a source file: a stable hash of its path placed on the cumulative ratios."""
    point = int(hashlib.sha256(source.encode("utf-8")).hexdigest()[:8], 16) / 0x1_0000_0000
    total = sum(splits.values())
    edge = 0.0
    for name, share in splits.items():
        edge += share / total
        if point < edge:
            return name
    return list(splits)[-1]


def _cue_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One candidate row per cue, with confidence from the words it covers."""
    words = [w for s in data["segments"] for w in s.get("words") or []]
    segments = data["segments"]
    rows = []
    for k, cue in enumerate(data["cues"]):
        inside = [w for w in words if cue["start"] - 0.01 <= w["start"] and w["end"] <= cue["end"] + 0.01]
        overlapping = [s for s in segments if s["start"] < cue["end"] and s["end"] > cue["start"]]
        language = next(
            (r["language"] for r in data.get("languages", []) if r["start"] <= cue["start"] < r["end"]),
            data["language"],
        )
        rows.append(
            {
                "index": k,
                "start": cue["start"],
                "end": cue["end"],
                "duration": round(cue["end"] - cue["start"], 3),
                "text": " ".join(cue["lines"]),
                "language": language,
                "confidence": round(float(np.mean([w["probability"] for w in inside])), 4) if inside else None,
                "avg_logprob": min(
                    (s["avg_logprob"] for s in overlapping if s["avg_logprob"] is not None), default=None
                ),
                "no_speech_prob": max(
                    (s["no_speech_prob"] for s in overlapping if s["no_speech_prob"] is not None), default=None
                ),
                "flags": cue.get("flags", []),
                "speaker": _library_speaker(data, cue.get("speaker")),
            }
        )
    return rows


def _library_speaker(data: dict[str, Any], speaker: str | None) -> str | None:
    """A speaker id unique across the library: an enrolled name as it is (the same voice in every
    file), an anonymous ``S1`` prefixed by its source file. None when the file is not diarized."""
    if speaker is None:
        return None
    enrolled = data.get("speakers", {}).get("speakers", {}).get(speaker, {}).get("enrolled")
    return speaker if enrolled else f"{data['source']['source']}#{speaker}"


def keep(row: dict[str, Any], conf: dict[str, Any]) -> bool:
    """Whether a row passes the configured filters."""
    if conf["drop_flagged"] and row["flags"]:
        return False
    if not conf["min_duration"] <= row["duration"] <= conf["max_duration"]:
        return False
    return row["confidence"] is None or row["confidence"] >= conf["min_confidence"]


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int) -> None:
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(samples.astype("<i2").tobytes())


def export(files: list[tuple[str, str, str]], out_dir: str, conf: dict[str, Any]) -> dict[str, int]:
    """Write ``out_dir/manifest.jsonl`` (+ per-split manifests and audio cuts); return row counts.

    ``files`` holds (subtitle JSON path, media path, source path relative to input_dir).
    """
    rows_by_split: dict[str, list[str]] = {name: [] for name in conf["splits"]}
    all_rows = []
    for json_path, media, source in sorted(files, key=lambda f: f[2]):
        data = read_json(json_path)
        split = split_of(source, conf["splits"])
        rows = [r for r in _cue_rows(data) if keep(r, conf)]
        stream = data["source"]["extracted"]["audio_stream"]
        samples = decode_at(media, conf["sample_rate"], stream) if conf["audio"] and rows else None
        for row in rows:
            row = {
                "id": f"{source}#{row['index']:05d}",
                "source": source,
                "split": split,
                **{k: v for k, v in row.items() if k != "index"},
            }
            if samples is not None:
                rel = f"audio/{split}/{hashlib.sha256(source.encode()).hexdigest()[:16]}/{row['id'][-5:]}.wav"
                a, b = round(row["start"] * conf["sample_rate"]), round(row["end"] * conf["sample_rate"])
                write_wav(Path(out_dir) / rel, samples[a:b], conf["sample_rate"])
                row["audio"] = rel
                row["audio_samples"] = int(min(b, len(samples)) - min(a, len(samples)))
            line = json.dumps(row, sort_keys=True, ensure_ascii=False)
            all_rows.append(line)
            rows_by_split[split].append(line)
    write_text(Path(out_dir) / "manifest.jsonl", "".join(x + "\n" for x in all_rows))
    for name, lines in rows_by_split.items():
        write_text(Path(out_dir) / f"{name}.jsonl", "".join(x + "\n" for x in lines))
    return {name: len(lines) for name, lines in rows_by_split.items()}
