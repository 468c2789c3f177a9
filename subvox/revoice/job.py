"""Re-voice a batch of subtitled files: speak every cue, fit it to the timing, mix, mux, check.

Per file: the cues come from the same segmentation as the subtitles; each is spoken by
its speaker's voice, fitted into its slot (subvox.revoice.timing) and laid on a timeline at
the source's sample rate, so the dub has the source's exact length (subvox.revoice.speak).
The dub (replace) or the original ducked under it (duck) becomes ``clip.revoiced.wav``; with
translation targets, each target's translated cues are dubbed too (subvox.revoice.translated,
``clip.revoiced.<lang>.wav``). A video container also gets ``clip.revoiced.<ext>`` with every
original stream copied, the dub as an extra audio track and one more per target. Each part has
its own done-marker, so only what is stale is redone (and the video re-muxed). QA transcribes
the dub back (WER against the cue text), compares voices (resemblyzer) and counts cues that
overflow.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from typing import Any

import numpy as np

from subvox.asr import ModelSpec
from subvox.asr.transcribe import as_float
from subvox.asr.wer import wer
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json, write_json
from subvox.library.failures import clear_failure, report_failure
from subvox.library.layout import Item, Layout, dub_done, is_done, made_from, mark_dubbed, subs_done
from subvox.media.ffmpeg import Track, extract_audio, mux_tracks, open_pcm
from subvox.media.languages import iso639_2
from subvox.revoice import timing
from subvox.revoice.cast import cast
from subvox.revoice.speak import (
    MonoView,
    NoStems,
    Source,
    Sum,
    VoiceSpec,
    dub_qa,
    language_notes,
    open_source,
    resolve_device,
    roundtrip,
    speak_cues,
    spoken_text,
    write_dub,
)
from subvox.revoice.translated import PartialDubs, TargetDubs
from subvox.revoice.tts import Voice
from subvox.subtitles.job import load_cues

__all__ = ["VoiceSpec", "resolve_device", "revoice_batch"]  # what the rule scripts import
log = logging.getLogger("subvox")

CODECS = {".webm": "libopus"}  # the dub track's codec per container (default aac)
SIM_RATE = 16000


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


def revoice_one(
    item: Item,
    layout: Layout,
    config: dict[str, Any],
    voices: dict[str, VoiceSpec],
    asr: ModelSpec,
    sim: Similarity,
    src: Source,
    tmp: str,
) -> dict[str, Any]:
    """Dub one subtitled file in its source language, each cue in its speaker's voice; returns its
    QA record (also written to the dub's QA JSON)."""
    revoice = config["revoice"]
    translation = revoice["source"] == "translation" or (revoice["source"] == "auto" and layout.translate)
    if translation and not layout.translate:
        raise SubvoxError(f"{item.relpath}: revoice.source translation needs asr.task translate")
    cues, transcript = load_cues(layout, item.stem, config["subtitles"], translation)
    language = "en" if translation else transcript["language"]
    rate, original = src.rate, src.original
    roles = cast([c.speaker for c in cues], revoice)
    used = sorted(set(roles.values()))
    words = [w for seg in transcript["segments"] for w in seg.get("words") or []]
    turns = transcript.get("speakers", {}).get("turns", [])
    clones: dict[str | None, Voice] = {}

    def voice_of(label: str | None) -> Voice:
        spec = voices[roles[label]]
        if not spec.speaker.get("self_clone"):
            return spec.get()
        if label not in clones:
            clones[label] = spec.clone(words, label, turns, MonoView(original), rate, tmp)
        return clones[label]

    spoken = speak_cues(cues, voice_of, src, revoice, tmp, "dub.f32", item.relpath)
    write_dub(layout.dub_outputs(item.stem, item.media)["wav"], spoken, cues, src, layout, config, tmp)
    timeline, spans, under = spoken.timeline, spoken.spans, spoken.background
    qa = dub_qa(item.relpath, language, revoice["mix"], spoken, src)
    qa["speaker"] = ", ".join(voices[k].profile["name"] for k in used)
    qa["engine"] = ", ".join(sorted({voices[k].speaker["engine"] for k in used}))
    qa["notes"] = language_notes([voices[k] for k in used], language, item.relpath)
    reference_text = " ".join(spoken_text(c) for c in cues)
    if revoice["qa"]["roundtrip"] and reference_text:
        heard = roundtrip(asr, timeline, rate, language, config, tmp)
        qa["roundtrip_text"] = heard
        qa["roundtrip_wer"] = round(wer(reference_text, heard, language), 4)
    if layout.diarize:
        qa["cast"] = {str(s): voices[k].profile["name"] for s, k in roles.items()}
    if revoice["qa"]["similarity"] and spans:
        max_s = revoice["qa"]["similarity_max_s"]
        source = MonoView(original)
        qa["similarity_to_source"] = sim.between(timeline, source, rate, spans, max_s)
        if under is not None:  # the old voice heard under the dub, against a duck mix
            back = MonoView(under, 1.0)
            voice = Sum(MonoView(original), back, -1.0)
            floor = timing.db_to_gain(revoice["duck_db"])
            qa["voice_leak"] = {
                "background": sim.between(Sum(timeline, back), voice, rate, spans, max_s),
                "duck": sim.between(Sum(timeline, MonoView(original), floor), voice, rate, spans, max_s),
            }
        if layout.diarize:  # each speaker's dub against that speaker's own speech
            qa["similarity_per_speaker"] = {
                str(s): sim.between(timeline, source, rate, part, max_s)
                for s, part in sorted(spoken.speaker_spans.items(), key=lambda kv: str(kv[0]))
            }
        refs = {voices[k].speaker.get("reference") for k in used} - {None}
        if len(refs) == 1:
            dub_emb = sim.embed(_speech_at(timeline, rate, spans, max_s))
            qa["similarity_to_reference"] = sim.cosine(dub_emb, sim.embed_clip(refs.pop(), tmp))
    write_json(layout.dub_qa(item.stem), qa)
    return qa


def _mux(item: Item, layout: Layout, config: dict[str, Any], qa: dict[str, Any], langs: list[str]) -> None:
    """The muxed video: the original streams, the source dub, then each target's dub that exists."""
    revoice, outputs = config["revoice"], layout.dub_outputs(item.stem, item.media)
    tracks = [Track(outputs["wav"], iso639_2(revoice["language"] or qa["language"]),
                    revoice["title"] or f"subvox dub ({qa['speaker']})")]  # fmt: skip
    for lang in langs:
        target = read_json(TargetDubs.qa_path(layout, item.stem, lang))
        tracks.append(Track(outputs[f"wav.{lang}"], iso639_2(lang), f"subvox dub {lang} ({target['speaker']})"))
    codec = revoice["audio_codec"] or CODECS.get(os.path.splitext(item.media)[1].lower(), "aac")
    mux_tracks(item.media, tracks, outputs["video"], codec)


def revoice_file(
    item: Item,
    layout: Layout,
    config: dict[str, Any],
    voices: dict[str, VoiceSpec],
    asr: ModelSpec,
    sim: Similarity,
    targets: TargetDubs,
    tmpdir: str,
) -> dict[str, Any]:
    """Whatever is stale of one file's dubs (source language, each target, the muxed video), each
    part marked done as soon as it is written; returns the source dub's QA with a line per target."""
    outputs = layout.dub_outputs(item.stem, item.media)
    langs = [lang for lang, _ in layout.fingerprints.target_dubs]

    def current(part: str | None) -> bool:
        path = outputs["wav" if part is None else part if part == "video" else f"wav.{part}"]
        return made_from(layout.dub_marker(item.stem, part), item.media) and os.path.exists(path)

    with tempfile.TemporaryDirectory(prefix="subvox-dub-", dir=tmpdir) as tmp:
        src = open_source(item, layout, tmp)
        redone = []
        if not current(None):
            revoice_one(item, layout, config, voices, asr, sim, src, tmp)
            mark_dubbed(layout, item.stem, item.media)
            redone.append(None)
        stale = [lang for lang in langs if not current(lang)]
        failure = None
        try:
            redone += targets.dub_stale(
                item, layout, config, src, stale, tmp, lambda lang: mark_dubbed(layout, item.stem, item.media, lang)
            )
        except PartialDubs as partial:  # the languages made are kept (and muxed); the failure is the file's
            redone += partial.done
            failure = partial.failure
        qa = read_json(layout.dub_qa(item.stem))
        if targets.summarise(layout, item.stem, qa, langs):
            write_json(layout.dub_qa(item.stem), qa)
        if "video" in outputs and (redone or not current("video")):
            dubbed = [lang for lang in langs if current(lang)]
            _mux(item, layout, config, qa, dubbed)
            if dubbed == langs:  # a target left out (its translation failed) keeps the video stale
                mark_dubbed(layout, item.stem, item.media, "video")
    if failure is not None:
        raise failure
    qa["redone"] = ["source" if part is None else part for part in redone]
    return qa


def revoice_batch(
    items: list[Item],
    layout: Layout,
    config: dict[str, Any],
    voices: dict[str, VoiceSpec],
    asr: ModelSpec,
    tmpdir: str | None,
    targets: TargetDubs | None = None,
) -> list[dict[str, Any]]:
    """Dub every subtitled file of a batch that has no current dub; failures stay per file."""
    tmpdir = tmpdir or tempfile.gettempdir()
    sim = Similarity()
    targets = targets or TargetDubs({}, None)
    todo = [i for i in items if not dub_done(layout, i.stem, i.media)]
    results = [{"source": i.relpath, "status": "skipped"} for i in items if i not in todo]
    for k, item in enumerate(todo, 1):
        if not subs_done(layout, item.stem, item.media):
            results.append({"source": item.relpath, "status": "no subtitles"})  # its failure is recorded
            continue
        try:
            t0 = time.perf_counter()
            qa = revoice_file(item, layout, config, voices, asr, sim, targets, tmpdir)
        except NoStems:
            results.append({"source": item.relpath, "status": "no stems"})  # its failure is recorded
            continue
        except Exception as exc:  # one file must never cost the others their results
            results.append(report_failure(layout, item, "revoice", exc))
            continue
        if is_done(layout, item.stem, item.media):  # else a translation failed: its record stays
            clear_failure(layout.out, item.stem)
        wall = time.perf_counter() - t0
        per_target = "".join(
            f"; {lang}: {t['overflows']} overflow{'' if t['overflows'] == 1 else 's'}, round-trip WER "
            f"{t.get('roundtrip_wer', 'n/a')}"
            for lang, t in qa.get("targets", {}).items()
        )
        log.info(
            "[%d/%d] %s: dubbed %d cues in %.1f s (%d overflow%s, round-trip WER %s%s; redone: %s)",
            k, len(todo), item.relpath, qa["cues"], wall, qa["overflows"], "" if qa["overflows"] == 1 else "s",
            qa.get("roundtrip_wer", "n/a"), per_target, ", ".join(qa["redone"]) or "the video only",
        )  # fmt: skip
        status = "dubbed" if is_done(layout, item.stem, item.media) else "no translation"
        results.append({"source": item.relpath, "status": status, "dub_s": round(wall, 3), "audio_s": qa["duration"]})
    return sorted(results, key=lambda r: r["source"])
