"""One library file made ready for the models: probed (JSON kept) and decoded to 16-kHz PCM.

Shared by every stage that listens to the audio (transcription, diarization), so each
decodes the same stream the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from subvox.library.atomic import read_json, write_json
from subvox.library.layout import Item, Layout, made_from, stamp
from subvox.media.ffmpeg import choose_audio_stream, extract_audio, open_pcm, probe
from subvox.models.store import sha256_file
from subvox.soundtrack.cache import stems_at
from subvox.soundtrack.enhance import enhanced


def prepare_one(
    item: Item, layout: Layout, audio_conf: dict[str, Any], tmpdir: str, separation: dict[str, Any] | None = None
) -> Any:
    """Probe the media (JSON kept) and decode the chosen audio stream at the model's rate,
    enhanced when ``audio.enhance`` asks (``vocals``: from the stems made with ``separation``).

    The probe (ffprobe and the sha256 of the whole file) is reused while it was made from the
    current media file: with diarization on, the diarize and subtitles jobs both prepare it.
    """
    path = layout.probe(item.stem)
    if made_from(path, item.media):
        info = read_json(path)
        info.pop("extracted")
    else:
        info = probe(item.media)
        info["source"] = item.relpath
        info["sha256"] = sha256_file(item.media)
    index = choose_audio_stream(item.media, info, audio_conf["stream"], audio_conf["prefer_languages"])
    with tempfile.TemporaryDirectory(prefix="subvox-", dir=tmpdir) as tmp:
        wav = Path(tmp) / "audio.wav"
        extracted = extract_audio(item.media, wav, index, audio_conf["sample_rate"], audio_conf["channels"])
        # a memory map stays readable after the temporary file is removed (Linux keeps the
        # pages until the map is dropped), so long recordings are never held in RAM whole
        audio, _ = open_pcm(wav)
        method = audio_conf.get("enhance", "off")
        if method != "off":
            vocals = stems_at(layout, info["sha256"], index, separation).vocals if method == "vocals" else None
            mix, below = audio_conf["enhance_mix"], audio_conf["enhance_below_snr_db"]
            audio = enhanced(audio, audio_conf["sample_rate"], method, tmp, vocals, mix, below, item.relpath)
    info["extracted"] = {"audio_stream": index, **extracted}
    write_json(path, info)
    stamp(path, item.media)
    return audio
