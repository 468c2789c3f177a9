"""Frame-level speaker labels from window embeddings: scores, Viterbi smoothing, refinement.

Clustering labels 1.6-s windows; speaker changes fall between window centres. Here each
frame (50 ms) of detected speech gets a score per speaker (cosine between the speaker's
centroid and the windows covering the frame, weighted towards their centres), and a
Viterbi pass with a fixed switch penalty picks the best label sequence: it removes the
isolated flips that window-by-window assignment makes, and places changes where the
evidence turns. Centroids are then re-estimated from the frames they won and the pass
repeated (a hard, k-means-like variant of VB resegmentation).

A frame may also get a second speaker: in overlapped speech the windows' embeddings sit
between two centroids, so where the runner-up scores almost as well as the winner (and
well in absolute terms) for long enough, both are labelled. Two centroids of one voice
(a split cluster, or a forced ``num_speakers``) score almost alike everywhere, so the
runner-up must also score above what the winner's voice alone explains.

Last, a speaker's own short pauses become part of their turn (``bridge_pauses``), as in
meeting references and subtitles: a pause is not a change of speaker.
"""

from __future__ import annotations

import bisect

import numpy as np

from subvox.speakers.embed import Windows

STEP = 0.05  # seconds per frame


def speech_mask(regions: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    """Frames (of ``STEP`` s) whose centre lies in a speech region."""
    mask = np.zeros(n_frames, dtype=bool)
    for s, e in regions:
        a, b = int(np.ceil(s / STEP - 0.5)), int(np.ceil(e / STEP - 0.5))
        mask[max(a, 0) : min(b, n_frames)] = True
    return mask


def frame_scores(windows: Windows, centroids: np.ndarray, n_frames: int) -> np.ndarray:
    """(frames, K) cosine scores, each frame the centre-weighted mean over the windows covering it;
    frames no window covers take the scores of the nearest covered frame."""
    sims = windows.emb @ centroids.T
    num = np.zeros((n_frames + 1, centroids.shape[0]), dtype=np.float32)
    den = np.zeros(n_frames + 1, dtype=np.float32)
    # each window spreads its scores over the frames it covers, weighted by a triangle that
    # peaks at its centre (where its evidence is least mixed with the neighbouring turns)
    first = np.minimum(np.round(windows.start / STEP).astype(np.int64), n_frames)
    last = np.minimum(np.maximum(np.round(windows.end / STEP).astype(np.int64), first + 1), n_frames)
    for a, b, row in zip(first.tolist(), last.tolist(), sims, strict=True):
        if b <= a:
            continue
        w = 1.0 - np.abs(np.linspace(-1, 1, b - a + 2)[1:-1]) * 0.9
        num[a:b] += w[:, None] * row[None, :]
        den[a:b] += w
    out, den = num[:n_frames], den[:n_frames]
    covered = den > 0
    if not covered.any():
        return out
    np.divide(out, den[:, None], out=out, where=covered[:, None])
    idx = np.flatnonzero(covered)
    gaps = np.flatnonzero(~covered)
    after = np.clip(np.searchsorted(idx, gaps), 0, len(idx) - 1)
    before = np.clip(after - 1, 0, len(idx) - 1)
    pick = np.where(np.abs(idx[before] - gaps) <= np.abs(idx[after] - gaps), idx[before], idx[after])
    out[gaps] = out[pick]
    return out


def viterbi(scores: np.ndarray, mask: np.ndarray, temperature: float, switch: float) -> np.ndarray:
    """Best speaker per frame (-1 outside speech): emissions ``scores / temperature``, a penalty
    ``switch`` (in the same log units) per change of speaker. Silence does not reset the path,
    so a speaker who pauses keeps the floor unless the evidence says otherwise."""
    n, k = scores.shape
    labels = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx) == 0 or k == 0:
        return labels
    if k == 1:
        labels[idx] = 0
        return labels
    back = np.zeros((len(idx), k), dtype=np.int8 if k < 128 else np.int32)  # one byte per frame and speaker
    states = np.arange(k)
    scale = 1.0 / temperature
    delta = scores[idx[0]].astype(np.float64) * scale
    for t in range(1, len(idx)):
        best = int(np.argmax(delta))
        move = delta[best] - switch
        back[t] = np.where(delta >= move, states, best)
        delta = np.maximum(delta, move) + scores[idx[t]] * scale
        delta -= delta[best]  # keep the numbers small over hours of frames
    path = np.zeros(len(idx), dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(len(idx) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    labels[idx] = path
    return labels


def window_frames(windows: Windows) -> np.ndarray:
    """The frame at each window's centre."""
    return np.round((windows.start + windows.end) / 2 / STEP).astype(np.int64)


def refine(
    windows: Windows,
    centroids: np.ndarray,
    mask: np.ndarray,
    temperature: float = 0.05,
    switch: float = 4.0,
    iterations: int = 3,
    min_speaker_s: float = 1.0,
    keep: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternate Viterbi labelling and centroid re-estimation; speakers who end up with less than
    ``min_speaker_s`` of speech are dropped (their frames go to the others), but never below
    ``keep`` speakers. Returns frame labels, frame scores and the final centroids."""
    n = len(mask)
    centre = np.clip(window_frames(windows), 0, n - 1)
    for it in range(iterations + 1):
        scores = frame_scores(windows, centroids, n)
        labels = viterbi(scores, mask, temperature, switch)
        counts = np.bincount(labels[labels >= 0], minlength=len(centroids)) * STEP
        kept = counts >= min_speaker_s
        if not kept.all() and kept.sum() >= keep:
            centroids = centroids[kept]
            continue
        if it == iterations:
            break
        won = labels[centre]
        new = []
        for k in range(len(centroids)):
            sel = won == k
            c = windows.emb[sel].mean(axis=0) if sel.any() else centroids[k]
            new.append(c / max(float(np.linalg.norm(c)), 1e-8))
        centroids = np.array(new, dtype=np.float32)
    return labels, scores, centroids


def overlap_labels(
    scores: np.ndarray,
    labels: np.ndarray,
    margin: float = 0.02,
    floor: float = 0.7,
    min_frames: int = 6,
    centroids: np.ndarray | None = None,
    excess: float = 0.0,
) -> np.ndarray:
    """A second speaker per frame (-1 for none): the runner-up where it scores within ``margin``
    of the winner's score and at least ``floor``, for at least ``min_frames`` frames in a row.

    With ``centroids``, the runner-up must also reach ``excess`` along its own direction once the
    winner's is projected out: a frame of the winner alone scores the runner-up about
    ``cos(winner, runner-up)`` times the winner's score, which is close to the winner's own
    score when the two centroids are close (one voice split in two)."""
    second = np.full(len(labels), -1, dtype=np.int64)
    if scores.shape[1] < 2:
        return second
    rows = np.arange(len(labels))
    win = np.maximum(labels, 0)
    masked = scores.copy()
    masked[rows, win] = -np.inf
    runner = np.argmax(masked, axis=1)
    best, other = scores[rows, win], masked[rows, runner]
    ok = (labels >= 0) & (other >= best - margin) & (other >= floor)
    if centroids is not None:
        cos = (centroids @ centroids.T)[win, runner]
        ok &= other - cos * best >= excess * np.sqrt(np.maximum(1.0 - cos**2, 1e-6))
    start = None
    for t in range(len(ok) + 1):
        if t < len(ok) and ok[t] and (start is None or runner[t] == runner[t - 1]):
            start = t if start is None else start
            continue
        if start is not None and t - start >= min_frames:
            second[start:t] = runner[start:t]
        start = t if t < len(ok) and ok[t] else None
    return second


def turns_from_frames(
    labels: np.ndarray, second: np.ndarray, regions: list[tuple[float, float]]
) -> list[tuple[float, float, int]]:
    """``(start, end, speaker)`` runs of the frame labels inside each speech region; a run that
    touches a region's edge keeps the region's exact (sub-frame) boundary."""
    out: list[tuple[float, float, int]] = []
    n = len(labels)
    for s, e in regions:
        a, b = max(0, int(np.ceil(s / STEP - 0.5))), min(n, int(np.ceil(e / STEP - 0.5)))
        for lab in (labels, second):
            t = a
            while t < b:
                if lab[t] < 0:
                    t += 1
                    continue
                u = t
                while u < b and lab[u] == lab[t]:
                    u += 1
                out.append((s if t == a else t * STEP, e if u == b else u * STEP, int(lab[t])))
                t = u
    return out


def bridge_pauses(turns: list[tuple[float, float, int]], max_gap: float) -> list[tuple[float, float, int]]:
    """Turns with each speaker's pauses shorter than ``max_gap`` seconds filled, where nobody else
    speaks in the pause: a speaker who pauses briefly keeps the turn (AMI's references, and
    subtitles, count such pauses as part of it); a pause around someone else's words is kept."""
    if max_gap <= 0 or not turns:
        return list(turns)
    out: list[tuple[float, float, int]] = []
    for k in sorted({t[2] for t in turns}):
        starts, ends = _union([(s, e) for s, e, j in turns if j != k])
        merged: list[list[float]] = []
        for s, e in sorted((s, e) for s, e, j in turns if j == k):
            if merged and s - merged[-1][1] < max_gap:
                i = bisect.bisect_right(ends, merged[-1][1])  # first other span ending after the pause starts
                if s <= merged[-1][1] or i == len(starts) or starts[i] >= s:
                    merged[-1][1] = max(merged[-1][1], e)
                    continue
            merged.append([s, e])
        out += [(s, e, k) for s, e in merged]
    return sorted(out)


def _union(spans: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Starts and ends of the union of ``spans``, sorted (both ascending: the spans are disjoint)."""
    starts: list[float] = []
    ends: list[float] = []
    for s, e in sorted(spans):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends
