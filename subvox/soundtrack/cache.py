"""Stems cached per source fingerprint: ``_subvox/stems/<key>/{vocals,background}.wav``.

The key hashes the source's content (sha256 of the media file), the audio stream, the
separator and its package version and the chunking, so a file is separated once and every
later stage (the dub mix, enhancement from the separated voice) reuses the same stems; a
replaced file or a changed option gives a new key. Stems are 16-bit WAV at the separator's
rate with the source's channels, memory-mapped when read; ``stems.json`` is written last,
so a folder without it is incomplete and is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from subvox.library.atomic import atomic_path, read_json, write_json
from subvox.library.layout import Item, Layout, made_from
from subvox.media.ffmpeg import choose_audio_stream, extract_audio, open_pcm, probe
from subvox.models.store import sha256_file
from subvox.soundtrack import registry
from subvox.soundtrack.base import Separator
from subvox.soundtrack.chunks import separate_stream

MAX_CHANNELS = 8


@dataclass(frozen=True)
class Stems:
    folder: str

    @property
    def vocals(self) -> str:
        return os.path.join(self.folder, "vocals.wav")

    @property
    def background(self) -> str:
        return os.path.join(self.folder, "background.wav")

    @property
    def meta(self) -> str:
        return os.path.join(self.folder, "stems.json")

    def exists(self) -> bool:
        return all(os.path.isfile(p) for p in (self.meta, self.vocals, self.background))


def stems_key(sha256: str, stream: int, conf: dict[str, Any]) -> str:
    backend = conf["backend"]
    shaping = {"sha256": sha256, "stream": stream, "backend": backend, "version": registry.version(backend),
               "chunk_s": conf["chunk_s"], "overlap_s": conf["overlap_s"]}  # fmt: skip
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


def stems_at(layout: Layout, sha256: str, stream: int, conf: dict[str, Any]) -> Stems:
    return Stems(f"{layout.work}/stems/{stems_key(sha256, stream, conf)}")


def source_of(item: Item, layout: Layout, audio_conf: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The media's probe (kept one when current) and the audio stream the stages use."""
    path = layout.probe(item.stem)
    if made_from(path, item.media):
        info = read_json(path)
    else:
        info = probe(item.media)
        info["sha256"] = sha256_file(item.media)
    index = choose_audio_stream(item.media, info, audio_conf["stream"], audio_conf["prefer_languages"])
    return info, index


def stream_channels(info: dict[str, Any], index: int) -> int:
    stream = [s for s in info["streams"] if s["type"] == "audio"][index]
    return min(max(int(stream.get("channels") or 1), 1), MAX_CHANNELS)


def separate_item(
    item: Item, layout: Layout, config: dict[str, Any], separator_of: Callable[[], Separator], tmpdir: str
) -> tuple[Stems, dict[str, Any]]:
    """Stems of one file, made once per key (the separator is asked for only then)."""
    conf = config["separation"]
    info, index = source_of(item, layout, config["audio"])
    stems = stems_at(layout, info["sha256"], index, conf)
    if stems.exists():
        return stems, read_json(stems.meta)
    separator = separator_of()
    rate, channels = separator.sample_rate, stream_channels(info, index)
    with tempfile.TemporaryDirectory(prefix="subvox-sep-", dir=tmpdir) as tmp:
        wav = os.path.join(tmp, "source.wav")
        extract_audio(item.media, wav, index, rate, channels)
        source, _ = open_pcm(wav, mono=False)
        write_stems(separator, source, stems, conf)
    meta = {"source": item.relpath, "sha256": info["sha256"], "audio_stream": index, "sample_rate": rate,
            "channels": channels, "frames": int(source.shape[0]), "separator": separator.identity(),
            **conf}  # fmt: skip
    write_json(stems.meta, meta)
    return stems, meta


def write_stems(separator: Separator, source: np.ndarray, stems: Stems, conf: dict[str, Any]) -> None:
    """Both stems of ``source`` (int16 frames x channels), written atomically, chunk by chunk."""
    import soundfile

    rate, channels = separator.sample_rate, source.shape[1]
    with (
        atomic_path(stems.vocals) as vtmp,
        atomic_path(stems.background) as btmp,
        soundfile.SoundFile(vtmp, "w", rate, channels, "PCM_16", format="WAV") as vout,
        soundfile.SoundFile(btmp, "w", rate, channels, "PCM_16", format="WAV") as bout,
    ):

        def write(voice: np.ndarray, rest: np.ndarray) -> None:
            vout.write(np.clip(voice, -1.0, 32767 / 32768))
            bout.write(np.clip(rest, -1.0, 32767 / 32768))

        separate_stream(separator, source, write, conf["chunk_s"], conf["overlap_s"])
