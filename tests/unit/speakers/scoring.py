"""A small frame-based diarization error rate for the tests (pyannote.metrics is a benchmark
tool, not a test dependency): missed + false alarm + confusion over reference speech, with
the optimal one-to-one speaker mapping and a +-0.25 s forgiveness collar, overlap scored."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from subvox.speakers import Turn

STEP = 0.01


def _activity(turns: list[Turn], n: int) -> tuple[list[str], np.ndarray]:
    names = sorted({t.speaker for t in turns})
    act = np.zeros((n, len(names)), dtype=bool)
    for t in turns:
        act[round(t.start / STEP) : round(t.end / STEP), names.index(t.speaker)] = True
    return names, act


def der(ref: list[Turn], hyp: list[Turn], duration: float, collar: float = 0.25) -> float:
    n = round(duration / STEP)
    _, r = _activity(ref, n)
    _, h = _activity(hyp, n)
    keep = np.ones(n, dtype=bool)
    for t in ref:  # frames near a reference boundary are not scored
        for edge in (t.start, t.end):
            keep[max(0, round((edge - collar) / STEP)) : round((edge + collar) / STEP)] = False
    r, h = r[keep], h[keep]
    total = r.sum()
    if total == 0:
        return 0.0 if h.sum() == 0 else 1.0
    if h.shape[1] == 0:
        return 1.0
    overlap = r.T.astype(np.int64) @ h.astype(np.int64)  # ref x hyp co-activity
    rows, cols = linear_sum_assignment(-overlap)
    correct = np.zeros(len(r), dtype=np.int64)
    for i, j in zip(rows, cols, strict=True):
        correct += r[:, i] & h[:, j]
    errors = np.maximum(r.sum(1), h.sum(1)) - correct
    return float(errors.sum() / total)
