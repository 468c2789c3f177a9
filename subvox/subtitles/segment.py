"""Readable subtitle cues from word timings (broadcast-style limits).

Whisper's segments make poor subtitles: long lines, 15 s cues, sentences split in odd
places. Here the words of a whole file are re-segmented by dynamic programming: every
candidate cue is checked against the hard limits (characters per line, lines per cue,
maximum duration) and scored on where it breaks (sentence end, then clause, then pause,
never inside a word), how short it is, how fast it must be read and how balanced its
lines are. Cue times come from the words, may extend into following silence for
readability, and never reach into the next cue.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from subvox.subtitles.condense import condense
from subvox.subtitles.reading import fit_reading
from subvox.subtitles.scripts import inside_word, join_lines, join_units, line_units, separator

SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", '."', '?"', '!"')
MAX_LEAD = 0.5  # a too-short cue may appear this much (s) before its first word
CLAUSE_END = (",", ";", ":", "—", "–", "-", "、", "，")
WORD_SPLIT_CHARS = 3  # a line break inside a word of an unspaced script weighs like 3 more characters


@dataclass(frozen=True)
class CueLimits:
    """Subtitle layout limits (the ``subtitles`` config section)."""

    max_line_chars: int = 42
    max_lines: int = 2
    min_duration: float = 0.8
    max_duration: float = 7.0
    max_cps: float = 20.0
    min_gap: float = 0.08
    max_extend: float = 1.0  # how far a cue may run on into silence to be readable
    fit_reading: bool = True  # fast cues take the room timing allows first (subvox.subtitles.reading)
    condense: bool = False  # a cue still fast drops its disfluencies (subvox.subtitles.condense)

    @classmethod
    def from_config(cls, conf: dict[str, Any]) -> CueLimits:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in conf.items() if k in names})


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    flags: list[str] = field(default_factory=list)
    speaker: str | None = None  # set when the file is diarized: one speaker per cue
    dropped: list[str] = field(default_factory=list)  # what condensation took out (subvox.subtitles.condense)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def chars(self) -> int:
        return len(join_lines(self.lines))

    @property
    def cps(self) -> float:
        return self.chars / max(self.end - self.start, 1e-3)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "lines": self.lines}
        if self.flags:
            d["flags"] = self.flags
        if self.speaker is not None:
            d["speaker"] = self.speaker
        if self.dropped:
            d["dropped"] = self.dropped
        return d


def wrap_lines(text: str, max_chars: int, max_lines: int) -> list[str] | None:
    """Split ``text`` into at most ``max_lines`` balanced lines of <= ``max_chars``, or None.

    Balanced: the longest line is as short as possible; among equals, a break after
    punctuation wins, then a shorter top line (a "pyramid"). A single word longer than
    a line is kept whole (words are never split). Scripts written without spaces break
    between characters (subvox.subtitles.scripts.line_units), and a break that likely splits
    a word there counts as ``WORD_SPLIT_CHARS`` more characters on the longest line, so a
    phrase boundary a little off the middle wins (subvox.subtitles.scripts.inside_word).
    """
    units = line_units(text)
    if not units:
        return []
    whole = join_units(units)
    if len(whole) <= max_chars or len(units) == 1:
        return [whole]
    if max_lines == 1:
        return None
    best: list[str] | None = None
    best_key: tuple[int, int, int] | None = None
    for i in range(1, len(units)):
        head = join_units(units[:i])
        if len(head) > max_chars:
            break
        rest = wrap_lines(join_units(units[i:]), max_chars, max_lines - 1)
        if rest is None or any(len(x) > max_chars for x in rest):
            continue
        lines = [head, *rest]
        punct = 0 if head.endswith(SENTENCE_END + CLAUSE_END) else 1
        split_words = sum(inside_word(a[-1], b[0]) for a, b in itertools.pairwise(lines) if a and b)
        key = (max(len(x) for x in lines) + WORD_SPLIT_CHARS * split_words, punct, len(head))
        if best_key is None or key < best_key:
            best, best_key = lines, key
    return best


@dataclass(frozen=True)
class _W:
    start: float
    end: float
    text: str  # stripped
    speaker: str | None = None
    spaced: bool = True  # Whisper's token had a leading space (see subvox.subtitles.scripts)

    def after(self, text: str) -> str:
        """``text`` with this word appended as its script writes it."""
        return text + separator(text, (" " if self.spaced else "") + self.text) + self.text


def _words_from_segments(segments: list[dict[str, Any]]) -> tuple[list[_W], set[int]]:
    """All timed words in order, plus the indices after which a Whisper segment ended."""
    words: list[_W] = []
    seg_ends: set[int] = set()
    for seg in segments:
        for w in seg.get("words") or []:
            text = w["word"].strip()
            if text:
                start = max(w["start"], words[-1].start if words else 0.0)
                spaced = w["word"][:1].isspace()
                words.append(_W(start, max(w["end"], start), text, w.get("speaker"), spaced))
        if words:
            seg_ends.add(len(words) - 1)
    return words, seg_ends


def _break_cost(words: list[_W], k: int, seg_ends: set[int]) -> float:
    """Cost of ending a cue after word ``k``: sentence end < clause < pause < anywhere else."""
    if k == len(words) - 1:
        return 0.0
    text = words[k].text
    pause = words[k + 1].start - words[k].end
    if text.endswith(SENTENCE_END):
        cost = 0.0
    elif text.endswith(CLAUSE_END):
        cost = 1.5
    elif k in seg_ends:
        cost = 2.5
    else:
        cost = 5.0
    return max(0.0, cost - min(pause, 1.0) * 3.0)


def segment_words(
    segments: list[dict[str, Any]], limits: CueLimits = CueLimits(), duration: float | None = None
) -> list[Cue]:
    """Cues for a transcript (segment dicts with timed words) under ``limits``."""
    words, seg_ends = _words_from_segments(segments)
    if not words:
        return untimed_cues(segments, limits)
    n = len(words)
    end_of_audio = max(duration or 0.0, words[-1].end)
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    max_chars = limits.max_line_chars * limits.max_lines + limits.max_lines - 1
    for i in range(n):
        if best[i] == inf:
            continue
        text = ""
        for j in range(i + 1, n + 1):
            text = words[j - 1].after(text)
            single = j == i + 1
            if not single and (len(text) > max_chars or words[j - 1].end - words[i].start > limits.max_duration):
                break
            if words[j - 1].speaker != words[i].speaker:
                break  # a cue never spans two speakers
            lines = wrap_lines(text, limits.max_line_chars, limits.max_lines)
            if lines is None:
                continue
            cost = best[i] + 1.0 + _cue_cost(words, i, j, lines, text, limits, seg_ends, end_of_audio)
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts = []
    j = n
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    cues = []
    for i, j in reversed(cuts):
        text = ""
        for w in words[i:j]:
            text = w.after(text)
        lines = wrap_lines(text, limits.max_line_chars, limits.max_lines) or [text]
        cues.append(Cue(words[i].start, words[j - 1].end, lines, speaker=words[i].speaker))
    cues = fit_timing(cues, limits, end_of_audio)

    def text_of(ws: list[_W]) -> tuple[str, list[str] | None]:
        text = ""
        for w in ws:
            text = w.after(text)
        return text, wrap_lines(text, limits.max_line_chars, limits.max_lines)

    groups = [words[i:j] for i, j in reversed(cuts)]
    if limits.fit_reading:
        fit_reading(cues, groups, limits, end_of_audio, text_of, _flags)
    if limits.condense and condense(cues, groups, limits, text_of):
        for cue in cues:
            cue.flags = _flags(cue, limits)
    return cues


def _cue_cost(
    words: list[_W],
    i: int,
    j: int,
    lines: list[str],
    text: str,
    limits: CueLimits,
    seg_ends: set[int],
    end_of_audio: float,
) -> float:
    start = words[i].start
    room_end = words[j].start - limits.min_gap if j < len(words) else end_of_audio
    spoken = words[j - 1].end - start
    available = min(max(room_end, words[j - 1].end + 0.0) - start, spoken + limits.max_extend, limits.max_duration)
    cost = _break_cost(words, j - 1, seg_ends)
    if available < limits.min_duration:
        cost += 8.0 * (limits.min_duration - available) / limits.min_duration + 2.0
    cps = len(text) / max(available, 1e-3)
    if cps > limits.max_cps:
        cost += 2.0 * (cps / limits.max_cps - 1.0) + 1.0
    # a long silence inside a cue shows text while nobody speaks
    inner_pause = max((words[k + 1].start - words[k].end for k in range(i, j - 1)), default=0.0)
    cost += max(0.0, inner_pause - 1.0) * 2.0
    if len(lines) == 2:
        cost += abs(len(lines[0]) - len(lines[1])) / limits.max_line_chars
    return cost


def fit_timing(cues: list[Cue], limits: CueLimits, end_of_audio: float | None = None) -> list[Cue]:
    """Final times: readable durations, a minimum gap, no overlaps, nothing past the audio.

    A cue that is too short or too fast to read runs on into following silence (up to
    ``max_extend``), never closer than ``min_gap`` to the next cue. Cues that still
    break a limit are flagged rather than silently altered.
    """
    cues = sorted(cues, key=lambda c: (c.start, c.end))
    limit_end = end_of_audio if end_of_audio is not None else max((c.end for c in cues), default=0.0)
    for k, cue in enumerate(cues):
        nxt = cues[k + 1].start - limits.min_gap if k + 1 < len(cues) else limit_end
        need = max(limits.min_duration, cue.chars / limits.max_cps)
        target = max(cue.end, min(cue.start + need, cue.end + limits.max_extend))
        cue.end = min(target, nxt, cue.start + limits.max_duration, limit_end)
        if cue.end - cue.start < limits.min_duration:  # still too short: appear a little early
            prev_end = cues[k - 1].end + limits.min_gap if k else 0.0
            cue.start = max(min(cue.start, cue.end - limits.min_duration), prev_end, cue.start - MAX_LEAD)
        if cue.end <= cue.start:  # back-to-back words: keep a visible cue, shift nothing
            cue.end = cue.start + 0.001
        cue.start, cue.end = round(cue.start, 3), round(cue.end, 3)
    for k, cue in enumerate(cues):
        if k and cue.start < cues[k - 1].end:
            cue.start = cues[k - 1].end
        cue.flags = _flags(cue, limits)
    return cues


def _flags(cue: Cue, limits: CueLimits) -> list[str]:
    flags = []
    if cue.cps > limits.max_cps + 1e-6:
        flags.append("fast")
    if cue.end - cue.start < limits.min_duration - 1e-6:
        flags.append("short")
    if any(len(line) > limits.max_line_chars for line in cue.lines):
        flags.append("long-line")
    if cue.dropped:
        flags.append("condensed")
    return flags


def untimed_cues(segments: list[dict[str, Any]], limits: CueLimits = CueLimits()) -> list[Cue]:
    """Cues when word timings are off: split each segment's text, share time by characters."""
    cues: list[Cue] = []
    for seg in segments:
        units = line_units(seg["text"])
        if not units:
            continue
        chunks: list[list[tuple[str, str]]] = [[]]
        for u in units:
            trial = [*chunks[-1], u]
            if chunks[-1] and wrap_lines(join_units(trial), limits.max_line_chars, limits.max_lines) is None:
                chunks.append([u])
            else:
                chunks[-1] = trial
        texts = [join_units(c) for c in chunks]
        total = sum(len(t) for t in texts)
        t = seg["start"]
        for text in texts:
            dur = (seg["end"] - seg["start"]) * len(text) / total
            lines = wrap_lines(text, limits.max_line_chars, limits.max_lines) or [text]
            cues.append(Cue(t, t + dur, lines, speaker=seg.get("speaker")))
            t += dur
    return fit_timing(cues, limits, max((s["end"] for s in segments), default=None))
