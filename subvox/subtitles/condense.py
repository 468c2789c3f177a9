"""Condensation: a cue still too fast to read drops its disfluencies, as a subtitler would.

Fast natural speech can outrun any timing (subvox.subtitles.reading has used the room by
then); a subtitler then shortens the text, and the first words to go are those that carry
no meaning. Only a cue still above ``max_cps`` is condensed, and only as far as it needs,
in this order: hesitation sounds ("uh", "um"), a word or phrase said twice in a row
("I I", "we had a we had a"; the first copy goes, never across a sentence end, and not the
grammatical doubles "had had", "that that", "is is"), then a discourse marker that opens a
clause and is set off by a comma ("you know,", "I mean,", "well,", "so,", "like,").
The rules are English (``LANGUAGES``): other languages are not condensed.

The transcript's words are never changed: only the cue's text. A condensed cue carries the
flag "condensed" and lists what it dropped (``Cue.dropped``), so nothing goes silently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from subvox.subtitles.reading import CLAUSE, Timed

LANGUAGES = ("en",)
FILLERS = frozenset({"uh", "uhm", "um", "umm", "er", "erm", "ah", "eh", "hmm", "mm", "mhm"})
MARKERS = (("you", "know"), ("i", "mean"), ("well",), ("so",), ("like",))
KEEP_DOUBLE = frozenset({"had", "that", "is"})  # "she had had enough", "I know that that is so"
MAX_REPEAT = 3  # longest phrase (words) whose immediate repetition is dropped
SENTENCE_END = (".", "!", "?", "…")
PUNCT = "\"'.,!?;:…-–—()[]"


def _norm(text: str) -> str:
    return text.strip(PUNCT).lower()


def _fillers(words: list[Timed]) -> list[tuple[int, int]]:
    return [(i, i + 1) for i, w in enumerate(words) if _norm(w.text) in FILLERS and len(words) > 1]


def _repeats(words: list[Timed]) -> list[tuple[int, int]]:
    """Spans [i, i + n) that the next n words say again (first copies, longest phrase first)."""
    spans: list[tuple[int, int]] = []
    norm = [_norm(w.text) for w in words]
    for n in range(MAX_REPEAT, 0, -1):
        for i in range(len(words) - 2 * n + 1):
            first, second = norm[i : i + n], norm[i + n : i + 2 * n]
            if first != second or not all(first) or (n == 1 and first[0] in KEEP_DOUBLE):
                continue
            if any(w.text.endswith(SENTENCE_END) for w in words[i : i + n]):
                continue  # "... said no. No one ..." is two sentences, not a stammer
            if not any(a < i + n and i < b for a, b in spans):
                spans.append((i, i + n))
    return spans


def _markers(words: list[Timed]) -> list[tuple[int, int]]:
    """Discourse markers at a clause start, ending in a comma, with words after them."""
    spans = []
    norm = [_norm(w.text) for w in words]
    for i in range(len(words)):
        if i and not words[i - 1].text.endswith(CLAUSE):
            continue
        for marker in MARKERS:
            j = i + len(marker)
            if tuple(norm[i:j]) == marker and j < len(words) and words[j - 1].text.endswith(","):
                spans.append((i, j))
                break
    return spans


def candidates(words: list[Timed]) -> list[tuple[int, int]]:
    """What could go, in the order it goes: fillers, repetitions, then clause-opening markers."""
    out: list[tuple[int, int]] = []
    for span in (*_fillers(words), *_repeats(words), *_markers(words)):
        if not any(a < span[1] and span[0] < b for a, b in out):
            out.append(span)
    return out


def drop(words: list[Timed], span: tuple[int, int]) -> list[Timed]:
    """``words`` without ``span``; a sentence's capital and closing mark pass to its neighbours."""
    i, j = span
    gone, kept = words[i:j], [*words[:i], *words[j:]]
    opens = words[i - 1].text.endswith(SENTENCE_END) if i else _norm(gone[0].text) != "i"
    if i < len(kept) and opens and gone[0].text[:1].isupper() and kept[i].text[:1].islower():
        kept[i] = dataclasses.replace(kept[i], text=kept[i].text[:1].upper() + kept[i].text[1:])
    end = gone[-1].text.rstrip()[-1:]
    if i and end in SENTENCE_END and not kept[i - 1].text.endswith(SENTENCE_END):
        kept[i - 1] = dataclasses.replace(kept[i - 1], text=kept[i - 1].text.rstrip(",;:") + end)
    return kept


def condense(
    cues: list[Any],
    groups: list[list[Timed]],
    limits: Any,
    text: Callable[[list[Timed]], tuple[str, list[str] | None]],
) -> int:
    """Condense each cue above ``limits.max_cps`` (``groups[k]``: cue k's words) until it is
    not, or nothing is left to drop; returns how many cues were condensed."""
    changed = 0
    for cue, words in zip(cues, groups, strict=True):
        kept, dropped = list(words), []
        while cue.cps > limits.max_cps + 1e-6:
            spans = candidates(kept)
            if not spans:
                break
            i, j = spans[0]
            shorter = drop(kept, (i, j))
            _, lines = text(shorter)
            if lines is None:
                break
            dropped.append(text(kept[i:j])[0])
            kept, cue.lines = shorter, lines
        if dropped:
            cue.dropped, changed = dropped, changed + 1
    return changed
