"""Scoring for bench/diarization.py: DER by pyannote.metrics (collar +-0.25 s, overlapped speech
scored) per file and per set, with its parts, the speaker count and how well the second-speaker
labels agree with the reference's overlapped speech."""

from __future__ import annotations

from typing import Any

import numpy as np

from subvox.media.ffmpeg import open_pcm
from subvox.speakers import Turn

RATE = 16000


def annotation(turns: list[Turn]) -> Any:
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    for k, t in enumerate(turns):
        ann[Segment(t.start, t.end), k] = t.speaker
    return ann


def score(files: list[dict[str, Any]], hyps: dict[str, list[Turn]]) -> dict[str, Any]:
    """DER per file and per set/split, and exact-count accuracy."""
    from pyannote.core import Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    per: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {}
    for f in files:
        metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
        duration = len(open_pcm(f["wav"])[0]) / RATE
        d = metric(annotation(f["ref"]), annotation(hyps[f["id"]]), detailed=True, uem=Segment(0, duration))
        n_ref, n_hyp = len({t.speaker for t in f["ref"]}), len({t.speaker for t in hyps[f["id"]]})
        ov_hyp, ov_hit, ov_ref = overlap_agreement(f["ref"], hyps[f["id"]], duration)
        per[f["id"]] = {
            "set": f["set"],
            "split": f["split"],
            "der": d["diarization error rate"],
            "miss": d["missed detection"],
            "fa": d["false alarm"],
            "conf": d["confusion"],
            "total": d["total"],
            "ref_speakers": n_ref,
            "hyp_speakers": n_hyp,
            "overlap_hyp": ov_hyp,
            "overlap_hit": ov_hit,
            "overlap_ref": ov_ref,
        }
        for g in (f["set"], f"{f['set']} {f['split']}", "ALL", f"ALL {f['split']}"):
            groups.setdefault(g, []).append(f["id"])
    sets = {}
    for g, ids in groups.items():
        tot = sum(per[i]["total"] for i in ids)
        part = {k: sum(per[i][k] for i in ids) / tot if tot else 0.0 for k in ("miss", "fa", "conf")}
        ov = {k: sum(per[i][f"overlap_{k}"] for i in ids) for k in ("hyp", "hit", "ref")}
        exact = sum(per[i]["ref_speakers"] == per[i]["hyp_speakers"] for i in ids)
        sets[g] = {
            "files": len(ids),
            "der": sum(part.values()),
            **part,
            "overlap_precision": ov["hit"] / ov["hyp"] if ov["hyp"] else None,
            "overlap_recall": ov["hit"] / ov["ref"] if ov["ref"] else None,
            "count_exact": exact / len(ids),
        }
    return {"files": per, "sets": sets}


def overlap_agreement(ref: list[Turn], hyp: list[Turn], duration: float, step: float = 0.01) -> tuple[float, ...]:
    """Seconds where the hypothesis has two or more speakers, where the reference does too, and
    where the reference does (outside the +-0.25 s collars, as the DER): how precise the
    second-speaker labels are, and how much of the overlapped speech they find."""
    n = int(np.ceil(duration / step))
    counts = {}
    for name, turns in (("ref", ref), ("hyp", hyp)):
        c = np.zeros(n, dtype=np.int64)
        for t in turns:
            c[round(t.start / step) : round(t.end / step)] += 1
        counts[name] = c
    scored = np.ones(n, dtype=bool)
    for t in ref:
        for b in (t.start, t.end):
            scored[max(0, round((b - 0.25) / step)) : round((b + 0.25) / step)] = False
    r2, h2 = (counts["ref"] >= 2) & scored, (counts["hyp"] >= 2) & scored
    return float(h2.sum() * step), float((h2 & r2).sum() * step), float(r2.sum() * step)
