"""Lhotse manifests per split: ``recordings_<split>.jsonl.gz``, ``supervisions_<split>.jsonl.gz``
and ``cuts_<split>.jsonl.gz``, written as the dicts Lhotse's own ``to_dict`` gives, so subvox needs
no Lhotse to write them (tests load them with Lhotse).

With ``recordings: cuts`` each cut WAV is a Recording and its cut spans all of it; with
``recordings: source`` a libsndfile-readable source is one Recording (native rate and channels)
and each cue a cut at its offset. Paths are relative to ``lhotse/``: load with
``CutSet.from_file(p).with_recording_path_prefix(<that folder>)``. gzip with mtime 0, so
reruns are byte-identical.
"""

from __future__ import annotations

import gzip
import io
from typing import Any

from subvox.reports.datasets.manifests import QUALITY, lines, rel


def _recording(rid: str, path: str, rate: int, samples: int, channels: int) -> dict[str, Any]:
    ids = list(range(channels))
    return {
        "id": rid,
        "sources": [{"type": "file", "channels": ids, "source": rel(path, "lhotse")}],
        "sampling_rate": rate,
        "num_samples": samples,
        "duration": samples / rate,
        "channel_ids": ids,
    }


def _gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def lhotse(split: str, rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """The three manifests of one split."""
    recordings: dict[str, dict[str, Any]] = {}
    supervisions, cuts = [], []
    for r in rows:
        src = r.get("_source")
        if src:
            rec = recordings.setdefault(
                r["source"], _recording(r["source"], src["path"], src["rate"], src["samples"], src["channels"])
            )
            start, duration = r["start"], min(r["duration"], rec["duration"] - r["start"])
        else:
            rec = recordings.setdefault(r["id"], _recording(r["id"], r["_wav"], r["_rate"], r["_samples"], 1))
            start, duration = 0.0, rec["duration"]
        channel = rec["channel_ids"] if len(rec["channel_ids"]) > 1 else 0
        sup = {
            "id": r["id"],
            "recording_id": rec["id"],
            "start": start,
            "duration": duration,
            "channel": channel,
            "text": r["text"],
            "language": r["language"],
            **({"speaker": r["speaker"]} if r["speaker"] is not None else {}),
            "custom": {k: r[k] for k in ("source", "confidence", "avg_logprob", "no_speech_prob", "flags", *QUALITY)},
        }
        supervisions.append(sup)
        cuts.append(
            {
                "id": r["id"],
                "start": start,
                "duration": duration,
                "channel": channel,
                "supervisions": [{**sup, "start": 0.0}],
                "recording": rec,
                "type": "MultiCut" if isinstance(channel, list) else "MonoCut",
            }
        )
    return {
        f"lhotse/recordings_{split}.jsonl.gz": _gz(lines(list(recordings.values()))),
        f"lhotse/supervisions_{split}.jsonl.gz": _gz(lines(supervisions)),
        f"lhotse/cuts_{split}.jsonl.gz": _gz(lines(cuts)),
    }
