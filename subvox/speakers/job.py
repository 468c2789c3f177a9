"""The diarization job of a batch: speaker turns for every file that has none for this fingerprint.

Runs before the batch's subtitles job (the subtitles need the turns). The engine loads once
per job; each file is decoded like for transcription, diarized, its speakers named from the
enrolled voices, and its turns written atomically under ``_subvox/diarization/<fingerprint>/``.
A file that fails is recorded and costs the batch nothing but itself.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from typing import Any

from subvox.library.atomic import write_json
from subvox.library.failures import report_failure
from subvox.library.layout import Item, Layout, made_from, stamp
from subvox.media.prepare import prepare_one
from subvox.speakers.base import DiarizationOptions, Turn
from subvox.speakers.enroll import enrolled_voiceprints, name_speakers, speaker_voiceprints
from subvox.speakers.registry import load_diarizer

log = logging.getLogger("subvox")

SCHEMA = "subvox.speakers/1"
WORKFLOW_KEYS = ("enabled", "engine", "enroll", "enroll_threshold", "enhance_mix")  # not the engine's options


def options_from(conf: dict[str, Any], threads: int) -> DiarizationOptions:
    """The engine's options from the ``diarization`` config section."""
    return DiarizationOptions.from_config(
        {k: v for k, v in conf.items() if k not in WORKFLOW_KEYS} | {"threads": threads}
    )


def heard_audio(config: dict[str, Any]) -> dict[str, Any]:
    """The ``audio`` options the diarizer's audio is prepared with: ASR's, with its own share of
    the enhanced signal where ``diarization.enhance_mix`` is set."""
    mix = config["diarization"].get("enhance_mix")
    return config["audio"] if mix is None else {**config["audio"], "enhance_mix": mix}


def diarize_one(
    item: Item, samples: Any, diarizer: Any, options: DiarizationOptions, conf: dict, enrolled: dict
) -> dict:
    """The speakers record of one file (turns, who each speaker is, engine and options)."""
    if hasattr(diarizer, "analyse"):  # keep the analysis: voiceprints for enrolled names
        analysis = diarizer.analyse(samples, options)
        turns = diarizer.assign(analysis, options)
        prints = speaker_voiceprints(analysis, turns) if enrolled else {}
    else:
        turns, prints = diarizer.diarize(samples, options), {}
    turns, speakers = name_speakers(turns, prints, enrolled, conf["enroll_threshold"])
    notes = []
    if not turns:
        notes.append("no speech detected: no speaker turns")
    return {
        "schema": SCHEMA,
        "source": item.relpath,
        "engine": conf["engine"],
        "options": {k: v for k, v in dataclasses.asdict(options).items() if k != "threads"},
        "duration": round(len(samples) / 16000, 3),
        "turns": [dataclasses.asdict(Turn(round(t.start, 3), round(t.end, 3), t.speaker)) for t in turns],
        "speakers": speakers,
        "notes": notes,
    }


def diarize_batch(
    items: list[Item], layout: Layout, config: dict[str, Any], threads: int, tmpdir: str | None = None
) -> list[dict[str, Any]]:
    """Diarize every file of a batch without current turns; failures stay per file."""
    tmpdir = tmpdir or tempfile.gettempdir()
    conf = config["diarization"]
    todo = [i for i in items if not made_from(layout.speakers(i.stem), i.media)]
    results = [{"source": i.relpath, "status": "skipped"} for i in items if i not in todo]
    if not todo:
        return results
    options, audio = options_from(conf, threads), heard_audio(config)
    t0 = time.perf_counter()
    diarizer = load_diarizer(conf["engine"])
    with tempfile.TemporaryDirectory(prefix="subvox-enroll-", dir=tmpdir) as tmp:
        enrolled = enrolled_voiceprints(conf["enroll"], diarizer, options, tmp)
    log.info(
        "diarizer %s ready (%d enrolled voices) in %.2f s", conf["engine"], len(enrolled), time.perf_counter() - t0
    )
    for k, item in enumerate(todo, 1):
        stage = "prepare_audio"
        try:
            t1 = time.perf_counter()
            samples = prepare_one(item, layout, audio, tmpdir, config.get("separation"))
            stage = "diarize"
            record = diarize_one(item, samples, diarizer, options, conf, enrolled)
            del samples
            write_json(layout.speakers(item.stem), record)
            stamp(layout.speakers(item.stem), item.media)
        except Exception as exc:  # one file must never cost the others their results
            results.append(report_failure(layout, item, stage, exc))
            continue
        wall = time.perf_counter() - t1
        log.info(
            "[%d/%d] %s: %d speakers, %d turns, RTF %.3f",
            k, len(todo), item.relpath, len(record["speakers"]), len(record["turns"]),
            wall / max(record["duration"], 1e-9),
        )  # fmt: skip
        results.append({"source": item.relpath, "status": "diarized", "speakers": len(record["speakers"])})
    return sorted(results, key=lambda r: r["source"])
