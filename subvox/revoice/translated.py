"""Dubs in the translation targets: each target's translated cues spoken in a voice for that language.

A target's cues (``clip.<lang>.json``, written by the translate rule) are already laid on the
source speech's timing, so they are spoken and fitted exactly like the source dub
(subvox.revoice.speak: stretch, borrow, overflow), mixed the same way, and written as
``clip.revoiced.<lang>.wav`` of the source's exact length. The voice is the ``speakers`` entry
``revoice.targets.voices`` names for the language, else the espeak-ng voice espeak-ng ranks
first for it (the job log says which). QA per language: overflowing cues (translated speech is
often longer than the source's) and, with a multilingual Whisper model, a round trip: the dub
transcribed back and its WER against the translated text.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from subvox.asr import ModelSpec
from subvox.asr.wer import wer
from subvox.config import load_schema, validate_config
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json, write_json
from subvox.library.layout import Item, Layout, translations_done
from subvox.library.targets import dubbed_targets, voice_key
from subvox.models import store
from subvox.revoice.profiles import check_speaker
from subvox.revoice.speak import (
    Source,
    VoiceSpec,
    dub_qa,
    language_notes,
    roundtrip,
    speak_cues,
    spoken_text,
    write_dub,
)
from subvox.revoice.tts import espeak
from subvox.subtitles.segment import Cue

log = logging.getLogger("subvox")

SUMMARY = ("speaker", "cues", "stretched", "max_stretch", "overflows", "overflow_s", "roundtrip_wer")


def default_speaker(lang: str) -> dict[str, Any] | None:
    """A ``speakers`` entry (schema defaults filled) for the espeak-ng voice of ``lang``, or None."""
    voice = espeak.voice_for_language(lang)
    if voice is None:
        return None
    defs = load_schema()["$defs"]
    return validate_config({"engine": "espeak", "default": voice}, {**defs["speaker"], "$defs": defs})


def check_targets(config: dict[str, Any]) -> None:
    """Start-up, in one line: every dubbed target has a voice (a configured ``speakers`` entry that
    can work, or an espeak-ng voice that speaks the language) and the round-trip model is here."""
    speakers = config["speakers"]
    for lang in dubbed_targets(config):
        key = voice_key(config, lang)
        if key is None and default_speaker(lang) is None:
            raise SubvoxError(
                f"revoice.targets: no installed voice speaks {lang!r} (espeak-ng has none); give one in "
                f"revoice.targets.voices.{lang} (a key of speakers, e.g. a piper voice by path)"
            )
        if key is not None and key not in speakers:
            raise SubvoxError(
                f"revoice.targets.voices.{lang}: {key!r} is not in speakers (defined: {', '.join(sorted(speakers))})"
            )
        if key is not None and speakers[key].get("self_clone"):
            raise SubvoxError(
                f"revoice.targets.voices.{lang}: {key!r} clones each speaker's own voice per file, for the "
                "source-language dub only; give a built-in voice or a reference clone"
            )
        if key is not None:
            check_speaker(key, speakers[key])
    roundtrip_model(config)


def voice_keys(config: dict[str, Any]) -> list[str]:
    """The ``speakers`` entries target dubs use (their profiles are built before any dub)."""
    return sorted({k for lang in dubbed_targets(config) if (k := voice_key(config, lang)) is not None})


def roundtrip_model(config: dict[str, Any]) -> tuple[str, str] | None:
    """(CTranslate2 folder, name) of the model that hears the target dubs, or None without a round
    trip; fails fast, like the ASR model, when it cannot be had offline or is English-only."""
    name = config["revoice"]["targets"]["roundtrip_model"]
    if not (dubbed_targets(config) and name and config["revoice"]["qa"]["roundtrip"]):
        return None
    return store.multilingual_ct2(name, config, "revoice.targets.roundtrip_model", "set it to null")


def target_voices(config: dict[str, Any], voices: dict[str, VoiceSpec]) -> dict[str, VoiceSpec]:
    """The voice of each dubbed target: its configured ``speakers`` entry (``voices``: the job's
    loaded profiles), else the espeak-ng default; logged, so the log says who speaks what."""
    out = {}
    for lang in dubbed_targets(config):
        key = voice_key(config, lang)
        if key is not None:
            out[lang] = voices[key]
            log.info("%s dub: voice %s (%s, revoice.targets.voices.%s)", lang, key, voices[key].speaker["engine"], lang)
            continue
        speaker = default_speaker(lang)
        if speaker is None:  # checked at start-up; the node may lack what the main machine had:
            log.warning("revoice.targets: no installed voice speaks %r on this node; its dubs fail", lang)
            continue  # that language's dubs fail (TargetDubs.dub), never the job
        name = f"espeak-ng {speaker['default']}"
        out[lang] = VoiceSpec(speaker, {"engine": "espeak", "default": speaker["default"], "name": name})
        log.info("%s dub: default voice %s (no revoice.targets.voices.%s)", lang, name, lang)
    return out


class PartialDubs(Exception):
    """Some target dubs of a file were made (``done``), one failed (``failure``)."""

    def __init__(self, done: list[str], failure: BaseException) -> None:
        super().__init__(str(failure))
        self.done, self.failure = done, failure


class TargetDubs:
    """The target dubs of one job: a voice per language, the round-trip model (loaded on first use)."""

    def __init__(self, voices: dict[str, VoiceSpec], model: ModelSpec | None) -> None:
        self.voices, self.model = voices, model

    @staticmethod
    def qa_path(layout: Layout, stem: str, lang: str) -> str:
        return f"{layout.work}/qa/{stem}.revoice.{lang}.json"

    def dub_stale(
        self,
        item: Item,
        layout: Layout,
        config: dict[str, Any],
        src: Source,
        langs: list[str],
        tmp: str,
        made: Callable[[str], None],
    ) -> list[str]:
        """Dub each of ``langs`` (those whose dub is stale), calling ``made(lang)`` as soon as one
        is written; returns those made. A language that fails costs only itself: the others are
        still dubbed, then the first failure is raised (the file is listed in failed.tsv). Without
        current translations (their failure is recorded by the translate rule) none is made."""
        if langs and not translations_done(layout, item.stem, item.media):
            log.warning("%s: no current translations; dubs in %s left for the next run", item.relpath, ", ".join(langs))
            return []
        done, failure = [], None
        for lang in langs:
            try:
                self.dub(item, layout, config, lang, src, tmp)
            except Exception as exc:
                failure = failure or exc
                continue
            made(lang)
            done.append(lang)
        if failure is not None:
            raise PartialDubs(done, failure)
        return done

    def dub(self, item: Item, layout: Layout, config: dict, lang: str, src: Source, tmp: str) -> dict[str, Any]:
        """``clip.revoiced.<lang>.wav`` from the translated cues, and its QA JSON."""
        record = read_json(layout.translated_outputs(item.stem)[lang]["json"])
        cues = [Cue(c["start"], c["end"], c["lines"], c.get("flags", []), c.get("speaker")) for c in record["cues"]]
        spec = self.voices.get(lang)
        if spec is None:
            raise SubvoxError(f"revoice.targets: no installed voice speaks {lang!r} on this node (espeak-ng has none)")
        spoken = speak_cues(cues, lambda _: spec.get(), src, config["revoice"], tmp, f"dub.{lang}.f32",
                            f"{item.relpath} [{lang}]")  # fmt: skip
        write_dub(layout.dub_outputs(item.stem, item.media)[f"wav.{lang}"], spoken, cues, src, layout, config, tmp)
        qa = dub_qa(item.relpath, lang, config["revoice"]["mix"], spoken, src)
        qa["speaker"], qa["engine"] = spec.profile["name"], spec.speaker["engine"]
        qa["notes"] = language_notes([spec], lang, f"{item.relpath} [{lang}]")
        qa["default_voice"] = voice_key(config, lang) is None
        text = " ".join(spoken_text(c) for c in cues)
        if self.model is not None and text:
            heard = roundtrip(self.model, spoken.timeline, src.rate, lang, config, tmp)
            qa["roundtrip_model"], qa["roundtrip_text"] = self.model.name, heard
            qa["roundtrip_wer"] = round(wer(text, heard, lang), 4)
        write_json(self.qa_path(layout, item.stem, lang), qa)
        return qa

    def summarise(self, layout: Layout, stem: str, qa: dict[str, Any], langs: list[str]) -> bool:
        """Put each target's QA summary into the source dub's QA (``targets``); True when it changed."""
        summary = {}
        for lang in langs:
            path = self.qa_path(layout, stem, lang)
            if os.path.isfile(path):
                target = read_json(path)
                summary[lang] = {k: target[k] for k in SUMMARY if k in target}
        if summary == qa.get("targets", {}):
            return False
        if summary:
            qa["targets"] = summary
        else:
            qa.pop("targets", None)
        return True
