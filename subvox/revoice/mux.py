"""Mux several dub tracks into a copy of a video in one pass: the source-language dub, then one
track per translation target, each tagged with its language and titled.

One ffmpeg run copies every original stream untouched (same packets) and encodes only the new
tracks, so a film with three target languages is read and written once, not four times; none
of the added tracks is marked default (the original audio stays what players pick).
subvox.media.ffmpeg.mux_audio_track adds one track the same way; this is its many-track form.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from subvox.errors import SubvoxError
from subvox.library.atomic import atomic_path
from subvox.media.ffmpeg import _MUXERS, _ffmpeg_reason, _file_url, probe


@dataclass(frozen=True)
class Track:
    """A dub WAV to add, with its ISO 639-2 language tag and title."""

    wav: str
    language: str
    title: str


def mux_tracks(media: str | os.PathLike[str], tracks: list[Track], dest: str | os.PathLike[str], codec: str) -> None:
    """``dest``: every stream of ``media`` copied, then ``tracks`` as extra audio streams encoded
    with ``codec``, in order, atomically."""
    first = probe(media)["audio_streams"]  # the new tracks' indexes among audio streams start here
    ext = Path(dest).suffix.lower()
    with atomic_path(dest) as tmp:
        # an argument list (no shell); inputs and output as file: URLs
        args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", _file_url(media)]
        for track in tracks:
            args += ["-i", _file_url(track.wav)]
        args += ["-map", "0", *(a for k in range(len(tracks)) for a in ("-map", f"{k + 1}:a:0")), "-c", "copy"]
        for k, track in enumerate(tracks):
            n = first + k
            args += [f"-c:a:{n}", codec, f"-metadata:s:a:{n}", f"language={track.language}"]
            args += [f"-metadata:s:a:{n}", f"title={track.title}", f"-disposition:a:{n}", "0"]
            if _MUXERS.get(ext) in ("mp4", "mov"):  # MP4 keeps a track's name as its handler name
                args += [f"-metadata:s:a:{n}", f"handler_name={track.title}"]
        args += ["-map_metadata", "0", "-fflags", "+bitexact"]
        args += ["-f", _MUXERS.get(ext, ext.lstrip(".")), "file:" + str(tmp)]
        proc = subprocess.run(args, capture_output=True)
        if proc.returncode:
            reason = _ffmpeg_reason(ffmpeg.Error("ffmpeg", proc.stdout, proc.stderr), media)
            raise SubvoxError(f"{media}: muxing the dubs failed ({reason})")
