"""Scoring for bench/diarization.py: DER by pyannote.metrics (collar +-0.25 s, overlapped speech
scored) per file and per set, with its parts, the speaker count, how well the second-speaker
labels agree with the reference's overlapped speech, and where the missed speech lies: where
no speaker was found at all (speech detection) or where fewer were found than speak (overlap)."""

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
        ref_n, hyp_n, scored = speaker_counts(f["ref"], hyps[f["id"]], duration)
        ov_hyp, ov_hit, ov_ref = overlap_agreement(ref_n, hyp_n, scored)
        unseen, under = miss_split(ref_n, hyp_n, scored)
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
            "miss_unseen": unseen,
            "miss_under": under,
        }
        for g in (f["set"], f"{f['set']} {f['split']}", "ALL", f"ALL {f['split']}"):
            groups.setdefault(g, []).append(f["id"])
    sets = {}
    for g, ids in groups.items():
        tot = sum(per[i]["total"] for i in ids)
        part = {k: sum(per[i][k] for i in ids) / tot if tot else 0.0 for k in ("miss", "fa", "conf")}
        split = {k: sum(per[i][k] for i in ids) / tot if tot else 0.0 for k in ("miss_unseen", "miss_under")}
        ov = {k: sum(per[i][f"overlap_{k}"] for i in ids) for k in ("hyp", "hit", "ref")}
        exact = sum(per[i]["ref_speakers"] == per[i]["hyp_speakers"] for i in ids)
        sets[g] = {
            "files": len(ids),
            "der": sum(part.values()),
            **part,
            **split,
            "overlap_precision": ov["hit"] / ov["hyp"] if ov["hyp"] else None,
            "overlap_recall": ov["hit"] / ov["ref"] if ov["ref"] else None,
            "count_exact": exact / len(ids),
        }
    return {"files": per, "sets": sets}


STEP = 0.01  # seconds per frame of the agreement counts


def speaker_counts(ref: list[Turn], hyp: list[Turn], duration: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speakers talking per 10-ms frame in the reference and the hypothesis, and the frames outside
    the +-0.25 s collars around reference boundaries (those the DER scores)."""
    n = int(np.ceil(duration / STEP))
    counts = []
    for turns in (ref, hyp):
        c = np.zeros(n, dtype=np.int64)
        for t in turns:
            c[round(t.start / STEP) : round(t.end / STEP)] += 1
        counts.append(c)
    scored = np.ones(n, dtype=bool)
    for t in ref:
        for b in (t.start, t.end):
            scored[max(0, round((b - 0.25) / STEP)) : round((b + 0.25) / STEP)] = False
    return counts[0], counts[1], scored


def overlap_agreement(ref_n: np.ndarray, hyp_n: np.ndarray, scored: np.ndarray) -> tuple[float, float, float]:
    """Seconds where the hypothesis has two or more speakers, where the reference does too, and
    where the reference does (outside the collars, as the DER): how precise the second-speaker
    labels are, and how much of the overlapped speech they find."""
    r2, h2 = (ref_n >= 2) & scored, (hyp_n >= 2) & scored
    return float(h2.sum() * STEP), float((h2 & r2).sum() * STEP), float(r2.sum() * STEP)


def miss_split(ref_n: np.ndarray, hyp_n: np.ndarray, scored: np.ndarray) -> tuple[float, float]:
    """The DER's missed speech (speaker-seconds) in two parts: where the hypothesis has nobody
    (speech detection missed it) and where it has fewer speakers than the reference (overlap)."""
    missing = np.maximum(ref_n - hyp_n, 0) * scored
    return float(missing[hyp_n == 0].sum() * STEP), float(missing[hyp_n > 0].sum() * STEP)
