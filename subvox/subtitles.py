"""Turn a transcript into subtitle cues and write SRT (via pysrt), WebVTT, TXT and JSON.

Cues follow the transcript's segments; a segment whose text does not fit in
``max_lines`` lines of ``max_line_chars`` is split at word boundaries using the word
timings. Lines are balanced, cues never overlap and every cue lasts at least 1 ms.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

from subvox.atomic import atomic_path, write_text


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "lines": self.lines}


def wrap_lines(text: str, max_chars: int, max_lines: int) -> list[str] | None:
    """Split ``text`` into at most ``max_lines`` balanced lines of <= ``max_chars``, or None.

    Balanced means the longest line is as short as possible (ties: top line shorter),
    the readable layout broadcasters use. A single over-long word is kept whole.
    """
    words = text.split()
    if not words:
        return []
    if len(" ".join(words)) <= max_chars or len(words) == 1:
        return [" ".join(words)]
    if max_lines == 1:
        return None
    best: list[str] | None = None
    best_key: tuple[int, int] | None = None
    for i in range(1, len(words)):
        head = " ".join(words[:i])
        if len(head) > max_chars:
            break
        rest = wrap_lines(" ".join(words[i:]), max_chars, max_lines - 1)
        if rest is None:
            continue
        lines = [head, *rest]
        key = (max(len(x) for x in lines), -len(head) if len(lines) == 2 else 0)
        if best_key is None or key < best_key:
            best, best_key = lines, key
    return best


def _chunk_words(words: list[dict[str, Any]], max_chars: int, max_lines: int) -> list[list[dict[str, Any]]]:
    """Greedy split of timed words into runs whose text wraps into the allowed lines."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for w in words:
        trial = [*current, w]
        text = "".join(x["word"] for x in trial).strip()
        if current and wrap_lines(text, max_chars, max_lines) is None:
            chunks.append(current)
            current = [w]
        else:
            current = trial
    if current:
        chunks.append(current)
    return chunks


def build_cues(segments: list[dict[str, Any]], max_chars: int = 42, max_lines: int = 2) -> list[Cue]:
    """Cues from transcript segments (dicts as in the transcript JSON)."""
    cues: list[Cue] = []
    for seg in segments:
        text = " ".join(seg["text"].split())
        if not text:
            continue
        lines = wrap_lines(text, max_chars, max_lines)
        words = [w for w in seg.get("words") or [] if w["word"].strip()]
        if lines is not None or not words:
            if lines is None:  # no word timings: split the text, share time by characters
                cues.extend(_split_untimed(seg["start"], seg["end"], text, max_chars, max_lines))
            else:
                cues.append(Cue(seg["start"], seg["end"], lines))
            continue
        for chunk in _chunk_words(words, max_chars, max_lines):
            chunk_text = "".join(w["word"] for w in chunk).strip()
            cues.append(
                Cue(chunk[0]["start"], chunk[-1]["end"], wrap_lines(chunk_text, max_chars, max_lines) or [chunk_text])
            )
    return _tidy(cues)


def _split_untimed(start: float, end: float, text: str, max_chars: int, max_lines: int) -> list[Cue]:
    words = [{"word": " " + w} for w in text.split()]
    chunks = _chunk_words(words, max_chars, max_lines)
    total = sum(len("".join(w["word"] for w in c)) for c in chunks)
    cues, t = [], start
    for c in chunks:
        chunk_text = "".join(w["word"] for w in c).strip()
        dur = (end - start) * len("".join(w["word"] for w in c)) / total
        cues.append(Cue(t, t + dur, wrap_lines(chunk_text, max_chars, max_lines) or [chunk_text]))
        t += dur
    return cues


def _tidy(cues: list[Cue]) -> list[Cue]:
    """Sort, remove overlaps (a cue ends where the next begins) and enforce end > start."""
    cues = sorted(cues, key=lambda c: (c.start, c.end))
    for a, b in itertools.pairwise(cues):
        if a.end > b.start:
            a.end = b.start
    for c in cues:
        c.start = round(max(0.0, c.start), 3)
        c.end = round(max(c.end, c.start + 0.001), 3)
    return cues


def _ms(t: float) -> int:
    return round(t * 1000)


def write_srt(cues: list[Cue], path: str | os.PathLike[str]) -> None:
    """SRT written by pysrt (UTF-8, LF), atomically."""
    import pysrt

    subs = pysrt.SubRipFile(eol="\n")
    for i, c in enumerate(cues, 1):
        subs.append(
            pysrt.SubRipItem(
                index=i,
                start=pysrt.SubRipTime(milliseconds=_ms(c.start)),
                end=pysrt.SubRipTime(milliseconds=_ms(c.end)),
                text=c.text,
            )
        )
    with atomic_path(path) as tmp:
        subs.save(str(tmp), encoding="utf-8", eol="\n")


def _vtt_time(t: float) -> str:
    ms = _ms(t)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(cues: list[Cue]) -> str:
    """A WebVTT document for ``cues``."""
    out = ["WEBVTT", ""]
    for c in cues:
        out.append(f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}")
        out.extend(_vtt_escape(line) for line in c.lines)
        out.append("")
    return "\n".join(out) + "\n" if cues else "WEBVTT\n"


def txt_text(segments: list[dict[str, Any]]) -> str:
    """Plain transcript, one segment per line."""
    lines = [" ".join(s["text"].split()) for s in segments]
    return "".join(line + "\n" for line in lines if line)


def write_outputs(transcript: dict[str, Any], cues: list[Cue], paths: dict[str, str]) -> None:
    """Write every requested format; ``paths`` maps format name to output path."""
    from subvox.atomic import write_json

    writers = {
        "srt": lambda p: write_srt(cues, p),
        "vtt": lambda p: write_text(p, vtt_text(cues)),
        "txt": lambda p: write_text(p, txt_text(transcript["segments"])),
        "json": lambda p: write_json(p, {**transcript, "cues": [c.to_dict() for c in cues]}),
    }
    for fmt, path in paths.items():
        writers[fmt](path)
