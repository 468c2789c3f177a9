"""Probe media with ffprobe and extract a model-ready PCM WAV with ffmpeg.

ffmpeg/ffprobe are run through ffmpeg-python, i.e. as an argument list, never a shell
string, and inputs are passed as ``file:`` URLs so a name such as ``-x.mp4`` or
``concat:a|b`` is only ever a file name.
"""

from __future__ import annotations

import atexit
import hashlib
import mmap
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from subvox.errors import SubvoxError
from subvox.library.atomic import atomic_path


def _file_url(path: str | os.PathLike[str]) -> str:
    """``path`` as an ffmpeg ``file:`` URL; a name that is not UTF-8 goes through a UTF-8 symlink.

    ffmpeg-python hashes its arguments as UTF-8 text and refuses the surrogate-escaped str
    Python gives for such a name; the symlink lets ffmpeg open the file's real bytes.
    """
    real = os.path.abspath(os.fspath(path))
    try:
        real.encode("utf-8")
    except UnicodeEncodeError:
        real = _utf8_link(real)
    return "file:" + real


_LINKS: dict[str, str] = {}


def _utf8_link(real: str) -> str:
    if real not in _LINKS:
        if not _LINKS:
            folder = tempfile.mkdtemp(prefix="subvox-names-")
            atexit.register(shutil.rmtree, folder, True)
            _LINKS[""] = folder
        suffix = "".join(c for c in os.path.splitext(real)[1] if c.isascii() and c.isalnum())
        link = os.path.join(_LINKS[""], hashlib.sha256(os.fsencode(real)).hexdigest()[:16] + "." + suffix)
        os.symlink(real, link)
        _LINKS[real] = link
    return _LINKS[real]


def _ffmpeg_reason(exc: ffmpeg.Error, path: str | os.PathLike[str]) -> str:
    """The last meaningful line ffmpeg printed, without the file name (the caller names it)."""
    text = (exc.stderr or b"").decode("utf-8", "replace").replace(_file_url(path) + ": ", "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "ffmpeg failed"


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bit_depth(stream: dict[str, Any]) -> int | None:
    """Bits per sample: coded depth for PCM/FLAC, else the decoded sample format's."""
    for key in ("bits_per_raw_sample", "bits_per_sample"):
        bits = _as_int(stream.get(key))
        if bits:
            return bits
    fmt = (stream.get("sample_fmt") or "").rstrip("p")
    return {"u8": 8, "s16": 16, "s32": 32, "flt": 32, "s64": 64, "dbl": 64}.get(fmt)


def probe(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return a compact, path-free description of the media: format and every stream."""
    path = Path(path)
    if not path.is_file():
        raise SubvoxError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise SubvoxError(f"{path}: empty file (0 bytes)")
    try:
        info = ffmpeg.probe(_file_url(path), cmd="ffprobe")
    except ffmpeg.Error as exc:
        raise SubvoxError(f"{path}: not readable media ({_ffmpeg_reason(exc, path)})") from exc
    fmt = info.get("format", {})
    streams = []
    for s in info.get("streams", []):
        entry: dict[str, Any] = {
            "index": s.get("index"),
            "type": s.get("codec_type"),
            "codec": s.get("codec_name"),
            "duration": _as_float(s.get("duration")),
            "language": (s.get("tags") or {}).get("language"),
            "title": (s.get("tags") or {}).get("title"),
        }
        if s.get("codec_type") == "audio":
            entry.update(
                sample_rate=_as_int(s.get("sample_rate")),
                channels=_as_int(s.get("channels")),
                channel_layout=s.get("channel_layout"),
                sample_fmt=s.get("sample_fmt"),
                bit_depth=_bit_depth(s),
                bit_rate=_as_int(s.get("bit_rate")),
            )
        elif s.get("codec_type") == "video":
            entry.update(width=s.get("width"), height=s.get("height"), frame_rate=s.get("avg_frame_rate"))
        streams.append(entry)
    audio = [s for s in streams if s["type"] == "audio"]
    return {
        "format": fmt.get("format_name"),
        "duration": _as_float(fmt.get("duration")),
        "size": _as_int(fmt.get("size")),
        "bit_rate": _as_int(fmt.get("bit_rate")),
        "streams": streams,
        "audio_streams": len(audio),
        "video_streams": sum(1 for s in streams if s["type"] == "video"),
    }


def choose_audio_stream(
    path: str | os.PathLike[str], info: dict[str, Any], stream: int = 0, prefer_languages: list[str] | None = None
) -> int:
    """Index among audio streams (ffmpeg's ``0:a:N``) to extract.

    The first stream whose language tag is in ``prefer_languages`` wins; otherwise ``stream``.
    """
    audio = [s for s in info["streams"] if s["type"] == "audio"]
    if not audio:
        raise SubvoxError(f"{path}: no audio stream")
    for lang in prefer_languages or []:
        for n, s in enumerate(audio):
            if (s.get("language") or "").lower() == lang.lower():
                return n
    if stream >= len(audio):
        raise SubvoxError(f"{path}: audio stream {stream} requested but the file has {len(audio)}")
    return stream


def extract_audio(
    path: str | os.PathLike[str],
    out_wav: str | os.PathLike[str],
    audio_index: int = 0,
    sample_rate: int = 16000,
    channels: int = 1,
) -> dict[str, Any]:
    """Decode one audio stream to 16-bit PCM WAV at ``sample_rate``/``channels``, atomically.

    Returns the extracted duration and sample count.
    """
    with atomic_path(out_wav) as tmp:
        stream = ffmpeg.input(_file_url(path)).output(
            "file:" + str(tmp),
            map=f"0:a:{audio_index}",
            ac=channels,
            ar=sample_rate,
            acodec="pcm_s16le",
            f="wav",
            map_metadata=-1,
            fflags="+bitexact",
            flags="+bitexact",
        )
        try:
            stream.global_args("-nostdin", "-hide_banner", "-loglevel", "error", "-y").run(
                cmd="ffmpeg", capture_stdout=True, capture_stderr=True
            )
        except ffmpeg.Error as exc:
            raise SubvoxError(f"{path}: audio extraction failed ({_ffmpeg_reason(exc, path)})") from exc
        import soundfile  # not the wave module: it refuses WAVE_FORMAT_EXTENSIBLE (more than 2 channels)

        frames = soundfile.info(str(tmp)).frames
        if frames == 0:
            raise SubvoxError(f"{path}: audio stream decodes to zero samples")
    return {"samples": frames, "duration": frames / sample_rate, "sample_rate": sample_rate}


def decode_at(media: str, rate: int, stream: int = 0) -> np.ndarray:
    """Audio stream ``stream`` (the one transcribed) as 16-bit mono samples at ``rate``."""
    out, _ = (
        ffmpeg.input(_file_url(media))
        .output("pipe:", format="s16le", acodec="pcm_s16le", ac=1, ar=rate, map=f"0:a:{stream}")
        .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
        .run(cmd="ffmpeg", capture_stdout=True, capture_stderr=True)
    )
    return np.frombuffer(out, dtype="<i2")


def as_float(samples: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1) from int16 PCM (e.g. a memory-mapped file) or float audio."""
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return np.asarray(samples, dtype=np.float32)


def open_pcm(path: str | os.PathLike[str], mono: bool = True) -> tuple[np.ndarray, int]:
    """Memory-map a 16-bit PCM WAV written by ``extract_audio``: nothing is read into RAM
    until a slice is used, so long recordings cost little memory. Mono gives shape
    ``(frames,)``; with ``mono=False`` any channel count gives ``(frames, channels)``."""
    import soundfile  # not the wave module: it refuses WAVE_FORMAT_EXTENSIBLE (ffmpeg's 5.1 WAVs)

    info = soundfile.info(os.fspath(path))
    channels, rate, frames = info.channels, info.samplerate, info.frames
    if info.subtype != "PCM_16" or (mono and channels != 1):
        raise SubvoxError(f"{path}: expected {'mono ' if mono else ''}16-bit PCM WAV")
    shape = (frames,) if mono else (frames, channels)
    offset = os.path.getsize(path) - frames * channels * 2  # ffmpeg writes the data chunk last
    if frames == 0:
        return np.zeros(shape, dtype=np.int16), rate
    return np.memmap(path, dtype="<i2", mode="r", offset=offset, shape=shape), rate


def release_map(audio: np.ndarray) -> None:
    """Drop every page of ``audio`` from this process when it is a memory map from ``open_pcm``
    (a no-op for ordinary arrays); the page cache keeps them, only our RSS shrinks. Pages read
    through a file map stay in RSS until the map is dropped, so a reader walking a long file
    block by block calls this after each block to keep memory flat.

    The whole map, not just the slice read: the kernel maps pages around each fault
    (fault-around, read-ahead), so releasing exactly the pages of a slice leaves a few
    neighbours behind each time, and over thousands of windows that adds up to most of a
    long file. Pages still needed fault back in from the page cache.
    """
    mm = getattr(audio, "_mmap", None)
    if mm is not None and hasattr(mm, "madvise") and len(mm):
        mm.madvise(mmap.MADV_DONTNEED)


@dataclass(frozen=True)
class Track:
    """A dub WAV to add to a video, with its ISO 639-2 language tag and title."""

    wav: str
    language: str
    title: str


def mux_tracks(media: str | os.PathLike[str], tracks: list[Track], dest: str | os.PathLike[str], codec: str) -> None:
    """``dest``: every stream of ``media`` copied untouched (same packets), then ``tracks`` as extra
    audio streams encoded with ``codec``, tagged and titled, none the default, atomically.

    One pass however many tracks (the source-language dub and one per translation target), so
    a film is read and written once."""
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


_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}


def load_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV as float32 in [-1, 1) (mono: 1-D) plus its rate."""
    with wave.open(os.fspath(path), "rb") as wf:
        if wf.getsampwidth() != 2:
            raise SubvoxError(f"{path}: expected 16-bit PCM WAV")
        rate = wf.getframerate()
        nch = wf.getnchannels()
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    audio = data.astype(np.float32) / 32768.0
    if nch > 1:
        audio = audio.reshape(-1, nch).mean(axis=1)
    return audio, rate
