"""The JSON-lines manifests: subvox's own rows (``jsonl/<split>.jsonl``), NeMo's
(``nemo/<split>_manifest.json``) and the Hugging Face audiofolder metadata
(``huggingface/<split>/metadata.jsonl``).

Paths inside each file are relative to that file's folder, as NeMo and ``audiofolder`` resolve
them, so the dataset moves as one folder. Rows are dumped with sorted keys: same rows, same bytes.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

QUALITY = ("snr_db", "speech_ratio", "clipping", "loudness_lufs")
PUBLIC = (
    "id",
    "source",
    "split",
    "start",
    "end",
    "duration",
    "text",
    "language",
    "confidence",
    "avg_logprob",
    "no_speech_prob",
    "flags",
    "speaker",
    *QUALITY,
)


def lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def rel(path: str, folder: str) -> str:
    """``path`` (relative to the dataset root) seen from ``folder`` (also relative to it)."""
    return posixpath.relpath(path, folder)


def jsonl(split: str, rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """subvox's rows (schema config/schema/dataset.schema.yaml), the cut as ``audio``."""
    out = []
    for r in rows:
        row = {k: r[k] for k in PUBLIC}
        if r.get("_wav"):
            row["audio"], row["audio_samples"] = rel(r["_wav"], "jsonl"), r["_samples"]
        out.append(row)
    return {f"jsonl/{split}.jsonl": lines(out)}


def nemo(split: str, rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """NeMo's manifest: ``audio_filepath``, ``duration``, ``text``, ``offset``, ``lang``, ``speaker``
    (plus the quality figures, which NeMo passes through); the source with an offset when
    ``recordings: source`` and the source is readable by libsndfile, else the cut."""
    out = []
    for r in rows:
        src = r.get("_source")
        path, offset = (src["path"], r["start"]) if src else (r["_wav"], 0.0)
        duration = r["duration"] if src else r["_samples"] / r["_rate"]
        out.append(
            {
                "audio_filepath": rel(path, "nemo"),
                "offset": offset,
                "duration": duration,
                "text": r["text"],
                "lang": r["language"],
                "speaker": r["speaker"],
                "id": r["id"],
                **{k: r[k] for k in ("confidence", *QUALITY)},
            }
        )
    return {f"nemo/{split}_manifest.json": lines(out)}


def huggingface(split: str, rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """``audiofolder`` metadata: ``file_name`` (the cut) becomes the ``Audio`` column; the split is
    the folder's name (``dev`` is read as ``validation``)."""
    folder = f"huggingface/{split}"
    out = [{"file_name": rel(r["_wav"], folder), **{k: r[k] for k in PUBLIC if k != "split"}} for r in rows]
    return {f"{folder}/metadata.jsonl": lines(out)}
