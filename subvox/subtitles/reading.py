"""Reading speed: a cue too fast to read takes the room its timing allows before it is flagged.

After the cue times are fitted (subvox.subtitles.segment.fit_timing) a cue above
``max_cps`` tries, in order: running on into the silence after it (up to the next cue,
and at most ``MAX_LATE`` after its last word), appearing a little earlier in the silence
before it (at most ``MAX_EARLY`` before its first word), and re-splitting its words with
a neighbour's at another boundary: the fewest fast cues of the two first (evening out one
fast cue and a full neighbour would make two), then the slower of the two as fast as can
be, then a clause end. A re-split can give the cues before it new room, so the cues are
walked again (at most ``PASSES`` times) while one still helps. Whatever is still too fast
keeps its "fast" flag, which QA counts (``fast_cues``); subvox.subtitles.condense may then
shorten its text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_EARLY = 0.15  # s before its first word a fast cue may appear
MAX_LATE = 0.5  # s after its last word a fast cue may stay
PASSES = 3  # passes over the cues while re-splits still help
CLAUSE = (".", "!", "?", ",", ";", ":", "…", "。", "，", "、")

Timed = Any  # a word with .start, .end and .text (subvox.subtitles.segment's _W)


def _room(cues: list[Any], k: int, limits: Any, end_of_audio: float) -> tuple[float, float]:
    """Earliest start and latest end cue ``k`` may take without touching its neighbours."""
    prev_end = cues[k - 1].end + limits.min_gap if k else 0.0
    next_start = cues[k + 1].start - limits.min_gap if k + 1 < len(cues) else end_of_audio
    return prev_end, next_start


def _stretch(cues: list[Any], k: int, words: list[Timed], limits: Any, end_of_audio: float) -> None:
    cue = cues[k]
    need = cue.chars / limits.max_cps
    earliest, latest = _room(cues, k, limits, end_of_audio)
    latest = min(latest, words[-1].end + MAX_LATE, cue.start + limits.max_duration)
    if cue.end - cue.start < need and latest > cue.end:
        cue.end = round(min(latest, cue.start + need), 3)
    earliest = max(earliest, words[0].start - MAX_EARLY, cue.end - limits.max_duration)
    if cue.end - cue.start < need and earliest < cue.start:
        cue.start = round(max(earliest, cue.end - need), 3)


def _resplit(
    cues: list[Any], groups: list[list[Timed]], k: int, limits: Any, text: Callable[..., Any], end_of_audio: float
) -> bool:
    """Move the boundary between cues ``k`` and ``k + 1``; True when the slower one got faster to read."""
    a, b = cues[k], cues[k + 1]
    if getattr(a, "speaker", None) != getattr(b, "speaker", None):
        return False
    both = groups[k] + groups[k + 1]
    lo, _ = _room(cues, k, limits, end_of_audio)
    _, hi = _room(cues, k + 1, limits, end_of_audio)
    fast = limits.max_cps + 1e-6
    best, best_key = None, ((a.cps > fast) + (b.cps > fast), max(a.cps, b.cps), 1)
    for m in range(1, len(both)):
        first, second = both[:m], both[m:]
        (text1, lines1), (text2, lines2) = text(first), text(second)
        if lines1 is None or lines2 is None:
            continue
        s1, s2 = max(lo, first[0].start - MAX_EARLY), second[0].start
        e1 = min(s2 - limits.min_gap, first[-1].end + MAX_LATE, s1 + limits.max_duration)
        e2 = min(hi, second[-1].end + MAX_LATE, s2 + limits.max_duration)
        if not (s1 < e1 <= s2 - limits.min_gap + 1e-9 and s2 < e2 <= hi + 1e-9):
            continue  # the words leave no room for the gap between the two cues
        if min(e1 - s1, e2 - s2) < min(limits.min_duration, a.end - a.start, b.end - b.start):
            continue  # a cue too short to read is no better than a fast one
        cps1, cps2 = len(text1) / max(e1 - s1, 1e-3), len(text2) / max(e2 - s2, 1e-3)
        key = ((cps1 > fast) + (cps2 > fast), round(max(cps1, cps2), 3), 0 if first[-1].text.endswith(CLAUSE) else 1)
        if key < best_key:
            best, best_key = (m, lines1, lines2, s1, e1, s2, e2), key
    if best is None:
        return False
    m, lines1, lines2, s1, e1, s2, e2 = best
    a.lines, a.start, a.end = lines1, round(s1, 3), round(e1, 3)
    b.lines, b.start, b.end = lines2, round(s2, 3), round(e2, 3)
    groups[k], groups[k + 1] = both[:m], both[m:]
    return True


def fit_reading(
    cues: list[Any],
    groups: list[list[Timed]],
    limits: Any,
    end_of_audio: float,
    text: Callable[[list[Timed]], tuple[str, list[str] | None]],
    flags: Callable[[Any, Any], list[str]],
) -> list[Any]:
    """Relieve the cues above ``limits.max_cps`` (``groups[k]``: cue k's timed words; ``text``:
    words -> their text and its wrapped lines, or None when they do not fit); re-flag all."""
    for _ in range(PASSES):  # a re-split gives the cues before it new room: look again
        changed = False
        for k in range(len(cues)):
            if cues[k].cps <= limits.max_cps + 1e-6:
                continue
            _stretch(cues, k, groups[k], limits, end_of_audio)
            if cues[k].cps > limits.max_cps + 1e-6:
                pairs = [p for p in (k, k - 1) if p >= 0 and p + 1 < len(cues)]
                for p in sorted(pairs, key=lambda p: cues[p + 1 if p == k else p].cps):
                    if _resplit(cues, groups, p, limits, text, end_of_audio):
                        changed = True
                        break
        if not changed:
            break
    for cue in cues:
        cue.flags = flags(cue, limits)
    return cues
