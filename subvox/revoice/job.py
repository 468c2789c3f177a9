"""Re-voice a batch of subtitled files: speak every cue, fit it to the timing, mix, mux, check.

Per file: the cues come from the same segmentation as the subtitles; each is spoken by
the batch's one loaded voice, fitted into its slot (subvox.revoice.timing) and laid on a timeline at
the source's sample rate, so the dub has the source's exact length. The dub (replace) or
the original ducked under it (duck) becomes ``clip.revoiced.wav``; a video container also
gets ``clip.revoiced.<ext>`` with every original stream copied and the dub as an extra
audio track. QA transcribes the dub back (WER against the cue text), compares voices
(resemblyzer) and counts cues that overflow. Everything large lives in memory maps, so
memory does not grow with the length of a file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from subvox.asr import DecodeOptions, ModelSpec
from subvox.asr.transcribe import LanguageOptions, as_float, transcribe_audio
from subvox.asr.wer import wer
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json, write_json
from subvox.library.failures import clear_failure, report_failure
from subvox.library.layout import Item, Layout, dub_done, mark_dubbed, subs_done
from subvox.media.ffmpeg import extract_audio, mux_audio_track, open_pcm
from subvox.media.languages import iso639_2
from subvox.revoice import mix, timing
from subvox.revoice.cast import cast
from subvox.revoice.selfclone import SelfClones
from subvox.revoice.tts import Voice, load_voice
from subvox.soundtrack.cache import stems_at
from subvox.subtitles.job import load_cues

log = logging.getLogger("subvox")

BLOCK_S = mix.BLOCK_S
CODECS = {".webm": "libopus"}  # the dub track's codec per container (default aac)
SIM_RATE = 16000


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


class Similarity:
    """Speaker embeddings (resemblyzer; its weights ship in the wheel), loaded on first use."""

    def __init__(self) -> None:
        self._encoder: Any = None
        self._clips: dict[str, np.ndarray | None] = {}

    def embed(self, audio: np.ndarray) -> np.ndarray | None:
        """Embedding of 16 kHz mono speech, or None when there is too little of it."""
        if audio.size < SIM_RATE:  # under a second
            return None
        from resemblyzer import VoiceEncoder, preprocess_wav

        if self._encoder is None:
            self._encoder = VoiceEncoder("cpu", verbose=False)
        wav = preprocess_wav(audio.astype(np.float32), source_sr=SIM_RATE)
        return self._encoder.embed_utterance(wav) if wav.size >= SIM_RATE else None

    def embed_clip(self, path: str, workdir: str) -> np.ndarray | None:
        """Embedding of a clip (any format ffmpeg reads), made once per job: the reference
        clip is the same for every file of the batch."""
        if path not in self._clips:
            wav = os.path.join(workdir, "clip16k.wav")
            extract_audio(path, wav, 0, SIM_RATE, 1)
            self._clips[path] = self.embed(as_float(open_pcm(wav)[0]))
        return self._clips[path]

    def between(self, dub: Any, source: Any, rate: int, spans: list[tuple[int, int]], max_s: float) -> float | None:
        """Cosine similarity of the dub and the source over the same ``spans`` (samples at ``rate``)."""
        dub_emb = self.embed(_speech_at(dub, rate, spans, max_s))
        return self.cosine(dub_emb, self.embed(_speech_at(source, rate, spans, max_s)))

    @staticmethod
    def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
        if a is None or b is None:
            return None
        return round(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))), 4)


def dub_length(stream: dict[str, Any], decoded: int, rate: int) -> int:
    """Samples in the dub: the source stream's stated duration (decoders may add codec padding,
    e.g. AAC's last frame), else what was decoded."""
    stated = stream.get("duration")
    return round(stated * rate) if stated else decoded


def _spoken_text(cue: Any) -> str:
    return " ".join(" ".join(cue.lines).split())


def _speech_at(samples: np.ndarray, rate: int, spans: list[tuple[int, int]], max_s: float) -> np.ndarray:
    """Up to ``max_s`` seconds of ``samples`` (mono float) inside ``spans``, at 16 kHz."""
    pieces, total = [], 0
    for s, e in spans:
        piece = np.asarray(samples[s : min(e, s + round(max_s * rate) - total)], dtype=np.float32)
        pieces.append(piece)
        total += piece.size
        if total >= max_s * rate:
            break
    joined = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return timing.resample(joined, rate, SIM_RATE)


def _roundtrip(model: ModelSpec, timeline: np.ndarray, rate: int, language: str, config: dict, tmp: str) -> str:
    """What the configured ASR model hears in the dub (resampled to 16 kHz through a file)."""
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


def revoice_one(
    item: Item,
    layout: Layout,
    config: dict[str, Any],
    voices: dict[str, VoiceSpec],
    asr: ModelSpec,
    sim: Similarity,
    tmpdir: str,
) -> dict[str, Any]:
    """Dub one subtitled file, each cue in its speaker's voice; returns its QA record (also
    written to the dub's QA JSON)."""
    revoice = config["revoice"]
    translation = revoice["source"] == "translation" or (revoice["source"] == "auto" and layout.translate)
    if translation and not layout.translate:
        raise SubvoxError(f"{item.relpath}: revoice.source translation needs asr.task translate")
    cues, transcript = load_cues(layout, item.stem, config["subtitles"], translation)
    language = "en" if translation else transcript["language"]
    info = read_json(layout.probe(item.stem))
    index = info["extracted"]["audio_stream"]
    stream = [s for s in info["streams"] if s["type"] == "audio"][index]
    rate, channels = stream.get("sample_rate") or 48000, stream.get("channels") or 1
    outputs = layout.dub_outputs(item.stem, item.media)
    opts = timing.FitOptions.from_config(revoice)
    roles = cast([c.speaker for c in cues], revoice)
    used = sorted(set(roles.values()))
    with tempfile.TemporaryDirectory(prefix="subvox-dub-", dir=tmpdir) as tmp:
        # the original at its own rate and channels: the dub's length, the duck mix, similarity
        extract_audio(item.media, os.path.join(tmp, "original.wav"), index, rate, channels)
        original, _ = open_pcm(os.path.join(tmp, "original.wav"), mono=False)
        n = dub_length(stream, original.shape[0], rate)
        timeline = np.memmap(os.path.join(tmp, "dub.f32"), dtype=np.float32, mode="w+", shape=(max(n, 1),))[:n]
        placements, spans, speaker_spans = [], [], {}
        words = [w for seg in transcript["segments"] for w in seg.get("words") or []]
        turns = transcript.get("speakers", {}).get("turns", [])
        clones: dict[str | None, Voice] = {}

        def voice_of(label: str | None) -> Voice:
            spec = voices[roles[label]]
            if not spec.speaker.get("self_clone"):
                return spec.get()
            if label not in clones:
                clones[label] = spec.clone(words, label, turns, _MonoView(original), rate, tmp)
            return clones[label]

        t0 = time.perf_counter()
        for i, cue in enumerate(cues):
            text = _spoken_text(cue)
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
            placements.append(placement)
            spans.append((start, start + fitted.size))
            speaker_spans.setdefault(cue.speaker, []).append(spans[-1])
            if placement.overflow > 0.01:
                log.warning(
                    "%s: cue %d (%.2f s) overflows by %.2f s", item.relpath, i + 1, cue.start, placement.overflow
                )
        synth_s = time.perf_counter() - t0
        under = _background(layout, config, info, index, original, timeline, cues, spans, rate, tmp)
        out_channels, kept = mix.write_mix(outputs["wav"], timeline, original, rate, spans, revoice, *under[:2])
        if "video" in outputs:
            title = revoice["title"] or f"subvox dub ({', '.join(voices[k].profile['name'] for k in used)})"
            codec = revoice["audio_codec"] or CODECS.get(os.path.splitext(item.media)[1].lower(), "aac")
            tag = iso639_2(revoice["language"] or language)
            mux_audio_track(item.media, outputs["wav"], outputs["video"], codec, tag, title)
        qa: dict[str, Any] = {
            "source": item.relpath,
            "speaker": ", ".join(voices[k].profile["name"] for k in used),
            "engine": ", ".join(sorted({voices[k].speaker["engine"] for k in used})),
            "language": language,
            "mix": revoice["mix"],
            "sample_rate": rate,
            "channels": out_channels,
            "samples": n,
            "duration": round(n / rate, 3),
            "synthesis_s": round(synth_s, 3),
            **timing.stretch_summary(placements),
            "overflowing": [p.to_dict() for p in placements if p.overflow > 0.01],
        }
        if under[0] is not None:
            qa["loudness"], qa["background_kept"] = under[2], kept
        reference_text = " ".join(_spoken_text(c) for c in cues)
        if revoice["qa"]["roundtrip"] and reference_text:
            heard = _roundtrip(asr, timeline, rate, language, config, tmp)
            qa["roundtrip_text"] = heard
            qa["roundtrip_wer"] = round(wer(reference_text, heard, language), 4)
        if layout.diarize:
            qa["cast"] = {str(s): voices[k].profile["name"] for s, k in roles.items()}
        if revoice["qa"]["similarity"] and spans:
            max_s = revoice["qa"]["similarity_max_s"]
            source = _MonoView(original)
            qa["similarity_to_source"] = sim.between(timeline, source, rate, spans, max_s)
            if under[0] is not None:  # the old voice heard under the dub, against a duck mix
                back = _MonoView(under[0], 1.0)
                voice = _Sum(_MonoView(original), back, -1.0)
                floor = timing.db_to_gain(revoice["duck_db"])
                qa["voice_leak"] = {
                    "background": sim.between(_Sum(timeline, back), voice, rate, spans, max_s),
                    "duck": sim.between(_Sum(timeline, _MonoView(original), floor), voice, rate, spans, max_s),
                }
            if layout.diarize:  # each speaker's dub against that speaker's own speech
                qa["similarity_per_speaker"] = {
                    str(s): sim.between(timeline, source, rate, part, max_s)
                    for s, part in sorted(speaker_spans.items(), key=lambda kv: str(kv[0]))
                }
            refs = {voices[k].speaker.get("reference") for k in used} - {None}
            if len(refs) == 1:
                dub_emb = sim.embed(_speech_at(timeline, rate, spans, max_s))
                qa["similarity_to_reference"] = sim.cosine(dub_emb, sim.embed_clip(refs.pop(), tmp))
    write_json(layout.dub_qa(item.stem), qa)
    mark_dubbed(layout, item.stem, item.media)
    clear_failure(layout.out, item.stem)
    return qa


class NoStems(SubvoxError):
    """The file's separation failed (recorded by the separate rule): no background to mix."""


def _background(
    layout: Layout,
    config: dict,
    info: dict,
    index: int,
    original: np.ndarray,
    timeline: np.ndarray,
    cues: list,
    spans: list[tuple[int, int]],
    rate: int,
    tmp: str,
) -> tuple[Any, list | None, dict | None]:
    """For ``mix: background``: the accompaniment at the source's rate and channels, the
    speech spans QA leaves out, and the loudness match (the dub's gain is applied here)."""
    if config["revoice"]["mix"] != "background":
        return None, None, None
    stems = stems_at(layout, info["sha256"], index, config["separation"])
    if not stems.exists():
        raise NoStems(f"{info.get('source')}: no separated stems (see the separate stage in failed.tsv)")
    n = timeline.shape[0]
    background = mix.background_at(stems.background, rate, original.shape[1], n, tmp)
    cue_spans = [(round(c.start * rate), round(c.end * rate)) for c in cues]
    voice = _Sum(_MonoView(original), _MonoView(background, 1.0), -1.0)
    gain, loudness = mix.loudness_gain(timeline, spans, voice, cue_spans, rate)
    for start, stop in timing.blocks(n, BLOCK_S * rate):
        timeline[start:stop] *= np.float32(gain)
    return background, sorted(cue_spans + spans), loudness


class _Sum:
    """Mono slices of ``a + weight * b`` (views or arrays), computed when sliced."""

    def __init__(self, a: Any, b: Any, weight: float = 1.0) -> None:
        self.a, self.b, self.weight = a, b, weight

    def __getitem__(self, key: slice) -> np.ndarray:
        return np.asarray(self.a[key], dtype=np.float32) + self.weight * np.asarray(self.b[key], dtype=np.float32)


class _MonoView:
    """Slices of a (frames, channels) memory map (int16, or float with ``scale`` 1) as mono
    float, without loading it whole."""

    def __init__(self, pcm: np.ndarray, scale: float = 32768.0) -> None:
        self.pcm, self.scale = pcm, scale

    def __getitem__(self, key: slice) -> np.ndarray:
        return (self.pcm[key].astype(np.float32) / self.scale).mean(axis=1)


def revoice_batch(
    items: list[Item],
    layout: Layout,
    config: dict[str, Any],
    voices: dict[str, VoiceSpec],
    asr: ModelSpec,
    tmpdir: str | None,
) -> list[dict[str, Any]]:
    """Dub every subtitled file of a batch that has no current dub; failures stay per file."""
    tmpdir = tmpdir or tempfile.gettempdir()
    sim = Similarity()
    todo = [i for i in items if not dub_done(layout, i.stem, i.media)]
    results = [{"source": i.relpath, "status": "skipped"} for i in items if i not in todo]
    for k, item in enumerate(todo, 1):
        if not subs_done(layout, item.stem, item.media):
            results.append({"source": item.relpath, "status": "no subtitles"})  # its failure is recorded
            continue
        try:
            t0 = time.perf_counter()
            qa = revoice_one(item, layout, config, voices, asr, sim, tmpdir)
        except NoStems:
            results.append({"source": item.relpath, "status": "no stems"})  # its failure is recorded
            continue
        except Exception as exc:  # one file must never cost the others their results
            results.append(report_failure(layout, item, "revoice", exc))
            continue
        wall = time.perf_counter() - t0
        log.info(
            "[%d/%d] %s: dubbed %d cues in %.1f s (%d overflow%s, round-trip WER %s)",
            k, len(todo), item.relpath, qa["cues"], wall, qa["overflows"], "" if qa["overflows"] == 1 else "s",
            qa.get("roundtrip_wer", "n/a"),
        )  # fmt: skip
        results.append({"source": item.relpath, "status": "dubbed", "dub_s": round(wall, 3), "audio_s": qa["duration"]})
    return sorted(results, key=lambda r: r["source"])
