"""Write subtitle cues as SRT (via pysrt), WebVTT, TXT and JSON, atomically.

Diarized files carry speakers: WebVTT always as voice spans (``<v S1>``, which players and
parsers read), SRT and TXT in the style of ``subtitles.speaker_labels``: ``none``; ``dash``
(the broadcast convention: a cue whose speaker differs from the previous cue's starts with
"- "); or ``name`` ("S1: " or the enrolled name, at each change of speaker).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from subvox.library.atomic import atomic_path, write_json, write_text
from subvox.library.discover import display_name
from subvox.subtitles.segment import Cue


def _ms(t: float) -> int:
    return round(t * 1000)


LABEL_STYLES = ("none", "dash", "name")


def _label(speaker: str | None, previous: str | None, style: str) -> str:
    """The prefix a line gets for its speaker: only where the speaker changes."""
    if speaker is None or speaker == previous or style == "none":
        return ""
    if style == "dash":
        return "" if previous is None else "- "  # a dash marks a change: not the first speaker
    return f"{speaker}: "


def labelled_lines(cues: list[Cue], style: str = "none") -> list[list[str]]:
    """Each cue's lines with its speaker label (``style``) on the first line."""
    out, previous = [], None
    for c in cues:
        lines = list(c.lines)
        prefix = _label(c.speaker, previous, style)
        if prefix and lines:
            lines[0] = prefix + lines[0]
        previous = c.speaker if c.speaker is not None else previous
        out.append(lines)
    return out


def write_srt(cues: list[Cue], path: str | os.PathLike[str], labels: str = "none") -> None:
    """SRT written by pysrt (UTF-8, LF), atomically."""
    import pysrt

    subs = pysrt.SubRipFile(eol="\n")
    for i, (c, lines) in enumerate(zip(cues, labelled_lines(cues, labels), strict=True), 1):
        subs.append(
            pysrt.SubRipItem(
                index=i,
                start=pysrt.SubRipTime(milliseconds=_ms(c.start)),
                end=pysrt.SubRipTime(milliseconds=_ms(c.end)),
                text="\n".join(lines),
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
        lines = [_vtt_escape(line) for line in c.lines]
        if c.speaker is not None and lines:  # a voice span runs to the end of the cue
            lines[0] = f"<v {_vtt_escape(c.speaker)}>{lines[0]}"
        out.extend(lines)
        out.append("")
    return "\n".join(out) + "\n" if cues else "WEBVTT\n"


def txt_text(segments: list[dict[str, Any]], labels: str = "none") -> str:
    """Plain transcript, one segment per line (speaker labels as in SRT)."""
    out, previous = [], None
    for s in segments:
        line = " ".join(s["text"].split())
        if line:
            out.append(_label(s.get("speaker"), previous, labels) + line + "\n")
            previous = s.get("speaker", previous)
    return "".join(out)


def rttm_id(stem: str) -> str:
    """The RTTM file id of an output stem: its last part, whitespace replaced (RTTM fields are tokens)."""
    return "_".join(stem.rsplit("/", 1)[-1].split()) or "_"


def rttm_text(transcript: dict[str, Any], file_id: str) -> str:
    """The file's speaker turns as RTTM (empty for a file without speech)."""
    from subvox.speakers.base import Turn
    from subvox.speakers.rttm import format_rttm

    turns = [Turn(t["start"], t["end"], t["speaker"]) for t in transcript["speakers"]["turns"]]
    return format_rttm(turns, file_id)


def write_outputs(
    transcript: dict[str, Any], cues: list[Cue], paths: dict[str, str], labels: str = "none", file_id: str = "_"
) -> None:
    """Write every requested format; ``paths`` maps format name to output path."""
    writers = {
        "rttm": lambda p: write_text(p, rttm_text(transcript, file_id)),
        "srt": lambda p: write_srt(cues, p, labels),
        "vtt": lambda p: write_text(p, vtt_text(cues)),
        "txt": lambda p: write_text(p, txt_text(transcript["segments"], labels)),
        "json": lambda p: write_json(p, {**transcript, "cues": [c.to_dict() for c in cues]}),
    }
    for fmt, path in paths.items():
        writers[fmt](path)


def write_sidecar(
    cues: list[Cue], media: str | os.PathLike[str], language: str, overwrite: bool = False, labels: str = "none"
) -> str:
    """Write ``<media stem>.<lang>.srt`` beside the media file (Plex/Jellyfin naming).

    An existing subtitle there is kept unless ``overwrite``; returns what happened.
    """
    media = Path(media)
    target = media.with_name(f"{media.stem}.{language or 'und'}.srt")
    shown = display_name(target.name)  # the name as valid UTF-8, for the JSON
    if target.exists() and not overwrite:
        return f"kept existing {shown}"
    write_srt(cues, target, labels)
    return f"wrote {shown}"
