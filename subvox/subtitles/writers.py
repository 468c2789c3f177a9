"""Write subtitle cues as SRT (via pysrt), WebVTT, TXT and JSON, atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from subvox.library.atomic import atomic_path, write_json, write_text
from subvox.library.discover import display_name
from subvox.subtitles.segment import Cue


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
    writers = {
        "srt": lambda p: write_srt(cues, p),
        "vtt": lambda p: write_text(p, vtt_text(cues)),
        "txt": lambda p: write_text(p, txt_text(transcript["segments"])),
        "json": lambda p: write_json(p, {**transcript, "cues": [c.to_dict() for c in cues]}),
    }
    for fmt, path in paths.items():
        writers[fmt](path)


def write_sidecar(cues: list[Cue], media: str | os.PathLike[str], language: str, overwrite: bool = False) -> str:
    """Write ``<media stem>.<lang>.srt`` beside the media file (Plex/Jellyfin naming).

    An existing subtitle there is kept unless ``overwrite``; returns what happened.
    """
    media = Path(media)
    target = media.with_name(f"{media.stem}.{language or 'und'}.srt")
    shown = display_name(target.name)  # the name as valid UTF-8, for the JSON
    if target.exists() and not overwrite:
        return f"kept existing {shown}"
    write_srt(cues, target)
    return f"wrote {shown}"
