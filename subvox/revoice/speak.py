"""Speak a list of cues onto a timeline of the source's exact length, mix it, transcribe it back.

Shared by the source-language dub (subvox.revoice.job) and the dubs in translation targets
(subvox.revoice.translated): both fit each cue into its slot the same way (stretch, borrow,
overflow; subvox.revoice.timing) and mix the same way (subvox.revoice.mix), so a Spanish dub
lines up with the film exactly as the English one does. Everything large lives in memory
maps, so memory does not grow with the length of a file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from subvox.asr import DecodeOptions, ModelSpec
from subvox.asr.transcribe import LanguageOptions, transcribe_audio
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json
from subvox.library.layout import Item, Layout
from subvox.media.ffmpeg import extract_audio, open_pcm
from subvox.revoice import mix, timing
from subvox.revoice.selfclone import SelfClones
from subvox.revoice.tts import Voice, load_voice, voice_language
from subvox.soundtrack.cache import stems_at

log = logging.getLogger("subvox")

BLOCK_S = mix.BLOCK_S


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


@dataclass
class VoiceSpec:
    """The speaker of a batch, loaded on first use (a batch with nothing to do loads nothing)."""

    speaker: dict[str, Any]
    profile: dict[str, Any]
    _voice: Voice | None = None
    _clones: SelfClones | None = None

    def clone(self, words: list[dict], label: str | None, turns: list[dict], source: Any, rate: int, tmp: str) -> Voice:
        """A self-clone (``self_clone: true``) of ``label`` from its own cleanest speech in ``source``."""
        if self._clones is None:
            self._clones = SelfClones(self.speaker, resolve_device(self.speaker["device"]))
        return self._clones.voice(words, label, turns, source, rate, tmp)

    def get(self) -> Voice:
        if self._voice is None:
            t0 = time.perf_counter()
            self._voice = load_voice(self.speaker, self.profile, resolve_device(self.speaker["device"]))
            log.info(
                "loaded %s voice %s in %.2f s",
                self.speaker["engine"],
                self.profile["name"],
                time.perf_counter() - t0,
            )
        return self._voice


def language_notes(specs: list[VoiceSpec], language: str, label: str) -> list[str]:
    """A QA note (also logged) for each voice that speaks another language than the dub's: its
    dub is spoken, but heard as nonsense (a German file read by an English voice, say)."""
    notes = []
    for spec in specs:
        spoken = voice_language(spec.speaker)
        if spoken is not None and spoken != language.split("-")[0].lower():
            notes.append(
                f"voice {spec.profile['name']} speaks {spoken}, not {language}: give the dub a voice for {language}"
            )
            log.warning("%s: %s", label, notes[-1])
    return notes


def dub_length(stream: dict[str, Any], decoded: int, rate: int) -> int:
    """Samples in the dub: the source stream's stated duration (decoders may add codec padding,
    e.g. AAC's last frame), else what was decoded."""
    stated = stream.get("duration")
    return round(stated * rate) if stated else decoded


def spoken_text(cue: Any) -> str:
    """What a cue says, on one line."""
    return " ".join(" ".join(cue.lines).split())


@dataclass
class Source:
    """The original audio at its own rate and channels (the dub's length, the duck mix, QA)."""

    info: dict[str, Any]  # the probe record
    index: int  # the audio stream the subtitles were made from
    rate: int
    channels: int
    original: np.ndarray  # int16 (frames, channels), a memory map
    n: int  # samples in every dub of this file


def open_source(item: Item, layout: Layout, tmp: str) -> Source:
    """Extract the audio stream the subtitles came from, once per file, into ``tmp``."""
    info = read_json(layout.probe(item.stem))
    index = info["extracted"]["audio_stream"]
    stream = [s for s in info["streams"] if s["type"] == "audio"][index]
    rate, channels = stream.get("sample_rate") or 48000, stream.get("channels") or 1
    extract_audio(item.media, os.path.join(tmp, "original.wav"), index, rate, channels)
    original, _ = open_pcm(os.path.join(tmp, "original.wav"), mono=False)
    return Source(info, index, rate, channels, original, dub_length(stream, original.shape[0], rate))


@dataclass
class Spoken:
    """A dub laid on its timeline: where each cue went, and the mix written from it."""

    timeline: np.ndarray  # float32 mono at the source's rate, a memory map
    placements: list[timing.Placement] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)  # samples of placed speech
    speaker_spans: dict[Any, list[tuple[int, int]]] = field(default_factory=dict)
    channels: int = 1
    background: Any = None  # the background stem (mix background)
    loudness: dict | None = None
    kept: float | None = None


def speak_cues(
    cues: list, voice_of: Callable[[Any], Voice], src: Source, revoice: dict, tmp: str, name: str, label: str
) -> Spoken:
    """Speak every cue in its voice, fit it into its slot and lay it on a fresh timeline
    (``tmp``/``name``); ``label`` names the file (and language) in overflow warnings."""
    rate, n = src.rate, src.n
    timeline = np.memmap(os.path.join(tmp, name), dtype=np.float32, mode="w+", shape=(max(n, 1),))[:n]
    out = Spoken(timeline)
    opts = timing.FitOptions.from_config(revoice)
    for i, cue in enumerate(cues):
        text = spoken_text(cue)
        if not text:
            continue
        voice = voice_of(cue.speaker)
        spoken = timing.trim_silence(voice.synthesize(text), voice.sample_rate, revoice["trim_db"])
        if spoken.size == 0:
            continue
        spoken = timing.resample(timing.normalise_peak(spoken, revoice["peak_db"]), voice.sample_rate, rate)
        limit = cues[i + 1].start if i + 1 < len(cues) else n / rate
        fitted, placement = timing.fit_cue(spoken, rate, i, cue.start, cue.end, limit, opts)
        start = round(cue.start * rate)
        timing.add_at(timeline, start, fitted)
        out.placements.append(placement)
        out.spans.append((start, start + fitted.size))
        out.speaker_spans.setdefault(cue.speaker, []).append(out.spans[-1])
        if placement.overflow > 0.01:
            log.warning("%s: cue %d (%.2f s) overflows by %.2f s", label, i + 1, cue.start, placement.overflow)
    return out


def write_dub(dest: str, spoken: Spoken, cues: list, src: Source, layout: Layout, config: dict, tmp: str) -> None:
    """Mix ``spoken`` as ``config`` says (replace / duck / background) into ``dest``, atomically."""
    under = background(layout, config, src, spoken.timeline, cues, spoken.spans, tmp)
    spoken.background, spoken.loudness = under[0], under[2]
    spoken.channels, spoken.kept = mix.write_mix(
        dest, spoken.timeline, src.original, src.rate, spoken.spans, config["revoice"], *under[:2]
    )


def dub_qa(source: str, language: str, mix_name: str, spoken: Spoken, src: Source) -> dict[str, Any]:
    """The QA every dub shares (source language or target): format, timing fit, overflows, and
    with ``mix: background`` the loudness match and how much background was kept."""
    qa: dict[str, Any] = {
        "source": source,
        "language": language,
        "mix": mix_name,
        "sample_rate": src.rate,
        "channels": spoken.channels,
        "samples": src.n,
        "duration": round(src.n / src.rate, 3),
        **timing.stretch_summary(spoken.placements),
        "overflowing": [p.to_dict() for p in spoken.placements if p.overflow > 0.01],
    }
    if spoken.loudness is not None:  # set by write_dub exactly when a background was mixed
        qa["loudness"], qa["background_kept"] = spoken.loudness, spoken.kept
    return qa


def roundtrip(model: ModelSpec, timeline: np.ndarray, rate: int, language: str, config: dict, tmp: str) -> str:
    """What ``model`` hears in the dub (resampled to 16 kHz through a file), told its language
    when it is multilingual."""
    import soundfile
    import soxr

    path = os.path.join(tmp, "dub16k.wav")
    stream = soxr.ResampleStream(rate, 16000, 1, dtype="float32", quality="HQ")
    with soundfile.SoundFile(path, "w", 16000, 1, "PCM_16", format="WAV") as out:
        bounds = list(timing.blocks(timeline.shape[0], BLOCK_S * rate))
        for i, (start, stop) in enumerate(bounds):
            out.write(
                stream.resample_chunk(np.asarray(timeline[start:stop], dtype=np.float32), last=i == len(bounds) - 1)
            )
    audio, _ = open_pcm(path)
    asr = model.get()
    decode = dataclasses.replace(
        DecodeOptions.from_config(config["asr"]), task="transcribe", language=language if asr.multilingual else None
    )
    languages = LanguageOptions.from_config(config["asr"])
    result = transcribe_audio(asr, audio, decode, lang_opts=languages, chunk_s=config["asr"]["chunk_s"])
    return " ".join(s.text.strip() for s in result.segments)


class NoStems(SubvoxError):
    """The file's separation failed (recorded by the separate rule): no background to mix."""


def background(
    layout: Layout, config: dict, src: Source, timeline: np.ndarray, cues: list, spans: list[tuple[int, int]], tmp: str
) -> tuple[Any, list | None, dict | None]:
    """For ``mix: background``: the accompaniment at the source's rate and channels, the
    speech spans QA leaves out, and the loudness match (the dub's gain is applied here)."""
    if config["revoice"]["mix"] != "background":
        return None, None, None
    stems = stems_at(layout, src.info["sha256"], src.index, config["separation"])
    if not stems.exists():
        raise NoStems(f"{src.info.get('source')}: no separated stems (see the separate stage in failed.tsv)")
    rate, original, n = src.rate, src.original, timeline.shape[0]
    back = mix.background_at(stems.background, rate, original.shape[1], n, tmp)
    cue_spans = [(round(c.start * rate), round(c.end * rate)) for c in cues]
    voice = Sum(MonoView(original), MonoView(back, 1.0), -1.0)
    gain, loudness = mix.loudness_gain(timeline, spans, voice, cue_spans, rate)
    for start, stop in timing.blocks(n, BLOCK_S * rate):
        timeline[start:stop] *= np.float32(gain)
    return back, sorted(cue_spans + spans), loudness


class Sum:
    """Mono slices of ``a + weight * b`` (views or arrays), computed when sliced."""

    def __init__(self, a: Any, b: Any, weight: float = 1.0) -> None:
        self.a, self.b, self.weight = a, b, weight

    def __getitem__(self, key: slice) -> np.ndarray:
        return np.asarray(self.a[key], dtype=np.float32) + self.weight * np.asarray(self.b[key], dtype=np.float32)


class MonoView:
    """Slices of a (frames, channels) memory map (int16, or float with ``scale`` 1) as mono
    float, without loading it whole."""

    def __init__(self, pcm: np.ndarray, scale: float = 32768.0) -> None:
        self.pcm, self.scale = pcm, scale

    def __getitem__(self, key: slice) -> np.ndarray:
        return (self.pcm[key].astype(np.float32) / self.scale).mean(axis=1)
