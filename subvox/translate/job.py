"""Translate a batch of subtitled files into every target language, each file on its own.

Per file: the transcript's words (with their speakers, once diarized) are grouped into
sentences (subvox.translate.align), each language region is translated from its own
language (a region already in the target language is kept as spoken), the translation is
laid on the source sentences' timing and cut into cues under the target language's limits,
and ``clip.<lang>.srt``, ``.vtt`` and ``.json`` are written atomically. A file that fails is
recorded (stage ``translate``) and the batch goes on; engines load once per job.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from itertools import groupby
from typing import Any

from subvox.errors import SubvoxError
from subvox.library.atomic import write_json, write_text
from subvox.library.failures import clear_failure, failure_reason, report_failure
from subvox.library.layout import Item, Layout, mark_translated, subs_done, translations_done
from subvox.subtitles.job import load_cues
from subvox.subtitles.segment import Cue, segment_words
from subvox.subtitles.style import limits_for
from subvox.subtitles.writers import vtt_text, write_srt
from subvox.translate.align import Sentence, sentences, translated_segments
from subvox.translate.registry import Engines

log = logging.getLogger("subvox")
SCHEMA = "subvox.translation/1"


def translate_sentences(sents: list[Sentence], target: str, engines: Engines) -> dict[str, Any]:
    """Fill each sentence's ``translation``; returns what translated what (for the JSON).

    Sentences are sent a language at a time in file order, all of one language in one call,
    so an engine can batch them and see each sentence's neighbours."""
    used: dict[str, Any] = {}
    by_language = sorted(range(len(sents)), key=lambda i: sents[i].language)
    for language, group in groupby(by_language, key=lambda i: sents[i].language):
        idx = list(group)
        if language == target:  # already in the target language: kept as spoken
            for i in idx:
                sents[i].translation = sents[i].text
            used[f"{language}->{target}"] = {"engine": "none (source is the target language)"}
            continue
        engine = engines.for_target(target)
        for i, text in zip(idx, engine.translate([sents[i].text for i in idx], language, target), strict=True):
            sents[i].translation = text
        used[f"{language}->{target}"] = engine.describe()
    return used


def translated_cues(
    sents: list[Sentence], target: str, conf: dict[str, Any], duration: float | None
) -> tuple[list[Cue], dict[str, Any]]:
    """Readable cues of the translated sentences under ``target``'s limits, and those limits."""
    limits = limits_for(conf, target)
    return segment_words(translated_segments(sents), limits, duration), dataclasses.asdict(limits)


def translate_one(item: Item, layout: Layout, config: dict[str, Any], engines: Engines) -> dict[str, Any]:
    """Every target's subtitles for one subtitled file, then its done-marker."""
    if not subs_done(layout, item.stem, item.media):
        why = failure_reason(layout.out, item.stem)
        if not why and os.path.exists(layout.outputs(item.stem)["json"]):  # made, then the media changed
            why = "they were made from another version of the media file, changed during the run?"
        raise SubvoxError(f"{item.relpath}: no current subtitles ({why or 'the subtitles job did not finish'})")
    conf = config["subtitles"]
    labels = conf.get("speaker_labels", "dash")
    _, transcript = load_cues(layout, item.stem, conf)
    counts = {}
    for target, paths in layout.translated_outputs(item.stem).items():
        sents = sentences(transcript)
        engines_used = translate_sentences(sents, target, engines)
        cues, limits = translated_cues(sents, target, conf, transcript.get("duration"))
        record = {
            "schema": SCHEMA,
            "language": target,
            "source_language": transcript.get("language"),
            "source_languages": sorted({s.language for s in sents}),
            "engines": engines_used,
            "duration": transcript.get("duration"),
            "cue_limits": limits,
            "sentences": [s.to_dict() for s in sents],
            "cues": [c.to_dict() for c in cues],
            # the subtitles it was made from (not the translation fingerprint: that covers every
            # target, and adding a target must leave the others' bytes alone)
            "fingerprints": {"subtitles": layout.fingerprints.subs},
        }
        write_srt(cues, paths["srt"], labels)
        write_text(paths["vtt"], vtt_text(cues))
        write_json(paths["json"], record)
        counts[target] = len(cues)
    mark_translated(layout, item.stem, item.media)
    clear_failure(layout.out, item.stem)
    return {"source": item.relpath, "status": "done", "translated_cues": counts}


def translate_batch(items: list[Item], layout: Layout, config: dict[str, Any], threads: int = 1) -> list[dict]:
    """Translate every pending file of a batch; one file's failure costs only itself."""
    engines = Engines(config["translation"], threads)
    todo = [i for i in items if not translations_done(layout, i.stem, i.media)]
    results = [{"source": i.relpath, "status": "skipped"} for i in items if i not in todo]
    for k, item in enumerate(todo, 1):
        if not subs_done(layout, item.stem, item.media) and failure_reason(layout.out, item.stem):
            # its subtitles failed: that record (stage and reason) stays what failed.tsv says
            results.append({"source": item.relpath, "status": "failed", "stage": "subtitles"})
            continue
        try:
            result = translate_one(item, layout, config, engines)
        except Exception as exc:  # one file must never cost the others their results
            results.append(report_failure(layout, item, "translate", exc))
            continue
        log.info("[%d/%d] %s: %s", k, len(todo), item.relpath,
                 ", ".join(f"{t} {n} cues" for t, n in result["translated_cues"].items()))  # fmt: skip
        results.append(result)
    return sorted(results, key=lambda r: r["source"])
