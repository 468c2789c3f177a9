"""Dataset rows: one per readable cue, with its text, language, confidence and speaker.

Splits are made per *source file* from a hash of its path, so a file never straddles
train/dev/test and the assignment never changes when files are added.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

QUALITY_FILTERS = {  # config key -> (row field, passes(value, limit))
    "min_snr_db": ("snr_db", lambda v, lim: v >= lim),
    "min_speech_ratio": ("speech_ratio", lambda v, lim: v >= lim),
    "max_clipping": ("clipping", lambda v, lim: v <= lim),
    "min_loudness_lufs": ("loudness_lufs", lambda v, lim: v >= lim),
    "max_loudness_lufs": ("loudness_lufs", lambda v, lim: v <= lim),
}


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


def cue_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One candidate row per cue, with confidence from the words it covers."""
    words = [w for s in data["segments"] for w in s.get("words") or []]
    segments = data["segments"]
    rows = []
    for k, cue in enumerate(data["cues"]):
        # by midpoint: a cue may end before its last word does (trimmed to keep the gap to the next cue)
        inside = [w for w in words if cue["start"] <= (w["start"] + w["end"]) / 2 <= cue["end"]]
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
                "speaker": library_speaker(data, cue.get("speaker")),
            }
        )
    return rows


def library_speaker(data: dict[str, Any], speaker: str | None) -> str | None:
    """A speaker id unique across the library: an enrolled name as it is (the same voice in every
    file), an anonymous ``S1`` prefixed by its source file. None when the file is not diarized."""
    if speaker is None:
        return None
    enrolled = data.get("speakers", {}).get("speakers", {}).get(speaker, {}).get("enrolled")
    return speaker if enrolled else f"{data['source']['source']}#{speaker}"


def keep(row: dict[str, Any], conf: dict[str, Any]) -> bool:
    """Whether a row (with its quality figures) passes the configured filters; a figure that could
    not be measured (None) never drops a row."""
    if conf["drop_flagged"] and row["flags"]:
        return False
    if not conf["min_duration"] <= row["duration"] <= conf["max_duration"]:
        return False
    if row["confidence"] is not None and row["confidence"] < conf["min_confidence"]:
        return False
    for key, (field, passes) in QUALITY_FILTERS.items():
        limit, value = conf.get(key), row.get(field)
        if limit is not None and value is not None and not passes(value, limit):
            return False
    return True
