"""Simulated conversations with known turns, built from single-speaker recordings.

Used by the diarization benchmark and tests: real speech, exact ground truth. Each clip
is cut at its pauses into utterances; the speakers then take turns with random gaps and,
now and then, an overlap (the next speaker starting before the other stops). Speech
activity for the reference comes from the clip's own energy (clean read speech), not
from the VAD under test, and every utterance is brought to the same level so that the
diarizer cannot separate speakers by loudness alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from subvox.speakers.audio import SAMPLE_RATE
from subvox.speakers.base import Turn

FRAME = 160  # 10 ms


def activity(x: np.ndarray, below_peak_db: float = 25.0, bridge_s: float = 0.3) -> list[tuple[int, int]]:
    """Sample spans where clean speech is active: 10-ms frames within ``below_peak_db`` of the
    clip's 95th-percentile frame energy, gaps under ``bridge_s`` bridged, blips under 0.1 s dropped."""
    n = len(x) // FRAME
    if n == 0:
        return []
    energy = 10 * np.log10(np.mean(np.square(x[: n * FRAME].reshape(n, FRAME), dtype=np.float64), axis=1) + 1e-12)
    on = energy > np.percentile(energy, 95) - below_peak_db
    spans: list[list[int]] = []
    for i in np.flatnonzero(on):
        if spans and i - spans[-1][1] <= bridge_s * SAMPLE_RATE / FRAME:
            spans[-1][1] = i + 1
        else:
            spans.append([i, i + 1])
    return [(s * FRAME, e * FRAME) for s, e in spans if (e - s) * FRAME >= 0.1 * SAMPLE_RATE]


@dataclass
class Utterance:
    """A piece of one speaker's clip and where speech is active inside it (samples)."""

    samples: np.ndarray
    active: list[tuple[int, int]]


def utterances(x: np.ndarray, min_s: float = 1.5, pause_s: float = 0.3) -> list[Utterance]:
    """Cut a clip at pauses of ``pause_s`` or more into utterances of at least ``min_s``."""
    groups: list[list[tuple[int, int]]] = [[]]
    for span in activity(x, bridge_s=pause_s):
        groups[-1].append(span)
        if groups[-1][-1][1] - groups[-1][0][0] >= min_s * SAMPLE_RATE:
            groups.append([])
    if not groups[-1]:
        groups.pop()
    elif len(groups) > 1:  # a short tail joins the utterance before it
        tail = groups.pop()
        groups[-1].extend(tail)
    return [_utterance(x, g) for g in groups if g]


def _utterance(x: np.ndarray, spans: list[tuple[int, int]]) -> Utterance:
    a = spans[0][0]
    return Utterance(x[a : spans[-1][1]].astype(np.float32), [(s - a, e - a) for s, e in spans])


def conversation(
    speakers: dict[str, list[np.ndarray]],
    seed: int = 0,
    gap_s: tuple[float, float] = (0.2, 1.0),
    overlap_p: float = 0.3,
    overlap_s: tuple[float, float] = (0.3, 1.0),
    level_dbfs: float = -26.0,
    noise_dbfs: float = -65.0,
) -> tuple[np.ndarray, list[Turn]]:
    """Speakers (name -> clips, 16-kHz float) alternate utterances; returns the mix and its turns.

    Overlaps happen with probability ``overlap_p`` per change of speaker and last at most a
    third of the shorter of the two utterances. A faint white noise floor keeps silence real.
    """
    rng = np.random.default_rng(seed)
    queues = {name: [u for clip in clips for u in utterances(clip)] for name, clips in speakers.items()}
    names = list(queues)
    placed: list[tuple[int, str, Utterance]] = []
    cursor, prev_len, turn = 0, 0, 0
    while any(queues.values()):
        name = names[turn % len(names)]
        turn += 1
        if not queues[name]:
            continue
        u = queues[name].pop(0)
        if placed and placed[-1][1] != name and rng.random() < overlap_p:
            shift = -min(rng.uniform(*overlap_s) * SAMPLE_RATE, min(prev_len, len(u.samples)) / 3)
        else:
            shift = rng.uniform(*gap_s) * SAMPLE_RATE if placed else 0.5 * SAMPLE_RATE
        start = max(0, int(cursor + shift))
        placed.append((start, name, u))
        cursor, prev_len = start + len(u.samples), len(u.samples)
    total = max(s + len(u.samples) for s, _, u in placed) + SAMPLE_RATE // 2
    mix = rng.standard_normal(total).astype(np.float32) * np.float32(10 ** (noise_dbfs / 20))
    turns = []
    for start, name, u in placed:
        voiced = np.concatenate([u.samples[a:b] for a, b in u.active])
        gain = 10 ** (level_dbfs / 20) / max(float(np.sqrt(np.mean(np.square(voiced, dtype=np.float64)))), 1e-6)
        mix[start : start + len(u.samples)] += u.samples * np.float32(gain)
        turns += [Turn(float((start + a) / SAMPLE_RATE), float((start + b) / SAMPLE_RATE), name) for a, b in u.active]
    np.clip(mix, -1.0, 1.0, out=mix)
    return mix, sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
