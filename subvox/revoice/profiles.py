"""Speakers: start-up checks of the ``speakers`` config, and the JSON profile built once per speaker.

A cloned speaker's profile is made from subvox's own Whisper word timings of the
reference clip, so building it needs no aligner and no download (OuteTTS's own
``create_speaker`` would fetch Whisper turbo and an MMS aligner).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from subvox.asr import DecodeOptions
from subvox.asr.transcribe import transcribe_audio
from subvox.asr.wer import wer
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json
from subvox.media.ffmpeg import extract_audio, open_pcm, probe
from subvox.models.store import sha256_file
from subvox.revoice.tts import registry as tts

log = logging.getLogger("subvox")

REFERENCE_RATE = 24000  # the OuteTTS codecs' rate; other engines do not clone
REFERENCE_LIMITS_S = (3.0, 20.0)  # refused outside; 10-15 s is what cloning wants


def selected(config: dict[str, Any], name: str | None = None) -> tuple[str, dict[str, Any]]:
    """(name, settings) of the speaker re-voicing uses (or of ``name``, one of a per-speaker cast)."""
    name = name or config["revoice"]["speaker"]
    speakers = config["speakers"]
    if name not in speakers:
        raise SubvoxError(f"revoice.speaker {name!r} is not in speakers (defined: {', '.join(sorted(speakers))})")
    return name, speakers[name]


def check_speaker(name: str, speaker: dict[str, Any]) -> None:
    """Fail at start-up, in one line, on a speaker that cannot work: both or neither of a
    built-in voice and a reference, cloning with an engine that cannot, missing local
    model paths, or a voice the engine does not offer (the line lists those it does)."""
    engine, where = speaker["engine"], f"speakers.{name}"
    sources = [k for k in ("default", "reference", "profile", "self_clone") if speaker.get(k)]
    if len(sources) != 1:
        raise SubvoxError(f"{where}: give exactly one of default (a built-in voice), reference, profile or self_clone")
    if engine != "outetts" and sources[0] != "default":
        raise SubvoxError(f"{where}: engine {engine} has built-in voices only (cloning needs engine outetts)")
    for key in ("reference", "profile"):
        if speaker.get(key) and not os.path.isfile(speaker[key]):
            raise SubvoxError(f"{where}.{key}: {speaker[key]!r} does not exist")
    if engine == "outetts":
        for key in ("model_path", "codec_path"):
            if not speaker.get(key):
                raise SubvoxError(f"{where}: engine outetts needs a local {key} (nothing is downloaded)")
            if not os.path.exists(speaker[key]):
                raise SubvoxError(f"{where}.{key}: {speaker[key]!r} does not exist")
    if speaker.get("default"):
        voice = speaker["default"]
        if engine == "piper" and voice.endswith(".onnx"):
            return
        voices = tts.list_voices(engine, speaker)
        if voice not in voices:
            raise SubvoxError(f"{where}: {engine} has no voice {voice!r}; available: {', '.join(voices) or 'none'}")


def reference_words(speaker: dict[str, Any], model: Any, workdir: str) -> dict[str, Any]:
    """The reference clip as a mono WAV at the codec's rate, with Whisper's text and word timings."""
    clip = speaker["reference"]
    info = probe(clip)
    duration = info.get("duration") or 0.0
    lo, hi = REFERENCE_LIMITS_S
    if not lo <= duration <= hi:
        raise SubvoxError(f"reference {clip}: {duration:.1f} s long; use a clip of 10-15 s (accepted: {lo:g}-{hi:g} s)")
    if not 10.0 <= duration <= 15.0:
        log.warning("reference %s is %.1f s; cloning works best with 10-15 s", clip, duration)
    wav16, wav = Path(workdir) / "reference16k.wav", Path(workdir) / "reference.wav"
    extract_audio(clip, wav16, 0, 16000, 1)
    extract_audio(clip, wav, 0, REFERENCE_RATE, 1)
    samples, _ = open_pcm(wav16)
    transcript = transcribe_audio(model, samples, DecodeOptions(word_timestamps=True, vad=False))
    words = [
        {"word": w.word.strip(), "start": round(w.start, 3), "end": round(w.end, 3)}
        for s in transcript.segments
        for w in s.words
        if w.word.strip()
    ]
    if not words:
        raise SubvoxError(f"reference {clip}: no speech recognised; a cloned voice needs 10-15 s of clear speech")
    text = " ".join(s.text.strip() for s in transcript.segments).strip()
    ref: dict[str, Any] = {"audio": str(wav), "text": text, "words": words, "language": transcript.language}
    if speaker.get("transcript"):
        ref["transcript_wer"] = round(wer(speaker["transcript"], text, transcript.language), 4)
        if ref["transcript_wer"] > 0.2:
            log.warning("reference %s: Whisper heard %r, the config says %r", clip, text, speaker["transcript"])
    return ref


def build(name: str, speaker: dict[str, Any], model: Any | None, device: str = "cpu") -> dict[str, Any]:
    """The speaker's JSON profile (see subvox.revoice.tts.base) under its ``name``: built-in voice, shipped
    profile or clone."""
    check_speaker(name, speaker)
    if speaker.get("profile"):
        profile = read_json(speaker["profile"])
        if profile.get("engine") != speaker["engine"]:
            raise SubvoxError(f"speakers.{name}.profile: made for engine {profile.get('engine')!r}")
        return {**profile, "name": name}
    if speaker.get("self_clone"):  # cloned per file and speaker by the dub job (subvox.revoice.selfclone)
        return {"engine": speaker["engine"], "self_clone": True, "name": name}
    if not speaker.get("reference"):
        return {**tts.build_profile(speaker, None, device), "name": name}
    if model is None:
        raise SubvoxError(f"speakers.{name}: cloning needs the ASR model for word timings")
    with tempfile.TemporaryDirectory(prefix="subvox-speaker-") as tmp:
        ref = reference_words(speaker, model, tmp)
        profile = tts.build_profile(speaker, ref, device)
    meta = {k: v for k, v in ref.items() if k != "audio"}
    return {**profile, "name": name, "reference": {"sha256": sha256_file(speaker["reference"]), **meta}}
