"""Process a batch of files in one job: the model is loaded once, each file is isolated.

A file that fails is recorded (stage and one-line reason, for ``failed.tsv``) and the
batch goes on; every output is written atomically, so an interrupted batch leaves only
complete files and a rerun picks up exactly what is missing.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from subvox.asr import DecodeOptions, ModelSpec, Transcript
from subvox.asr.guards import GuardOptions
from subvox.asr.transcribe import FileRequest, LanguageOptions, transcribe_files
from subvox.errors import SubvoxError
from subvox.library.atomic import read_json, write_json
from subvox.library.failures import clear_failure, failure_reason, report_failure
from subvox.library.layout import Item, Layout, made_from, mark_done, stamp, subs_done
from subvox.media.prepare import prepare_one
from subvox.reports.provenance import model_provenance, software
from subvox.speakers.assign import label_transcript
from subvox.subtitles.qa import file_qa
from subvox.subtitles.recheck import Outcome, Recheck
from subvox.subtitles.segment import Cue, CueLimits, segment_words
from subvox.subtitles.style import limits_for
from subvox.subtitles.writers import rttm_id, write_outputs, write_sidecar

log = logging.getLogger("subvox")
LONG_FILE_S = 120.0  # a file longer than this fills decode batches with its own pieces


def _cached(item: Item, layout: Layout) -> bool:
    """The transcript (and translation) of ``item`` exist for this ASR fingerprint and media."""
    return made_from(layout.transcript(item.stem), item.media) and (
        not layout.translate or made_from(layout.translation(item.stem), item.media)
    )


def asr_request(item: Item, audio: Any, layout: Layout, asr: dict[str, Any], model: ModelSpec) -> FileRequest:
    """What to transcribe (and, if configured, translate) for one file, for ``transcribe_files``."""
    asr_model = model.get()
    decode = dataclasses.replace(DecodeOptions.from_config(asr), task="transcribe")
    guards, languages = GuardOptions.from_config(asr), LanguageOptions.from_config(asr)
    if layout.translate and not asr_model.multilingual:
        raise SubvoxError(f"task translate needs a multilingual model; {model.name} is English-only")
    then = dataclasses.replace(decode, task="translate") if layout.translate else None
    return FileRequest(item, audio, decode, guards, languages, asr["chunk_s"], then=then)


def save_transcripts(
    item: Item, layout: Layout, model: ModelSpec, transcripts: list[Transcript], decision: dict[str, Any] | None = None
) -> float:
    """Write a file's transcript (and translation) with the model that made it and the language
    decision (subvox.subtitles.recheck); returns its duration in seconds."""
    transcript, *translation = transcripts
    if translation:
        write_json(layout.translation(item.stem), translation[0].to_dict())
        stamp(layout.translation(item.stem), item.media)
    record = transcript.to_dict()
    if decision is not None:
        record["language_decision"] = decision
    record["provenance"] = {
        "model": model_provenance(model.path, model.name, model.backend),
        "software": software(),
        "fingerprints": {"asr": layout.fingerprints.asr, "subtitles": layout.fingerprints.subs},
    }
    write_json(layout.transcript(item.stem), record)
    stamp(layout.transcript(item.stem), item.media)
    return transcript.duration


def load_cues(layout: Layout, stem: str, conf: dict[str, Any], translation: bool = False) -> tuple[list[Cue], dict]:
    """The subtitle cues of a transcribed file (or of its English translation) and the
    transcript they come from: the one segmentation that subtitles and dubs share.

    The cue limits are those of the transcript's language (``subtitles`` section ``conf``);
    they are recorded in the transcript under ``cue_limits``."""
    transcript = read_json(layout.translation(stem) if translation else layout.transcript(stem))
    limits = limits_for(conf, transcript.get("language"))
    transcript["cue_limits"] = dataclasses.asdict(limits)
    if layout.diarize:  # who speaks: every word, segment and cue gets its speaker
        speakers = read_json(layout.speakers(stem))
        label_transcript(transcript, speakers["turns"])
        transcript["speakers"] = {k: speakers[k] for k in ("engine", "turns", "speakers", "notes")}
    return segment_words(transcript["segments"], limits, transcript["duration"]), transcript


def _check_turns(item: Item, layout: Layout) -> None:
    """A diarized file needs its current turns; say why they are missing."""
    if not layout.diarize or made_from(layout.speakers(item.stem), item.media):
        return
    why = failure_reason(layout.out, item.stem)
    raise SubvoxError(f"{item.relpath}: no speaker turns ({why or 'the diarize job did not run'})")


def subtitle_one(item: Item, layout: Layout, config: dict[str, Any]) -> dict[str, Any]:
    """Cues, subtitle files, QA and done-marker for one transcribed file."""
    conf = config["subtitles"]
    labels = conf.get("speaker_labels", "dash")
    _check_turns(item, layout)
    cues, transcript = load_cues(layout, item.stem, conf)
    limits = CueLimits(**transcript["cue_limits"])
    transcript["source"] = read_json(layout.probe(item.stem))
    reference_path = Path(item.media).with_suffix(".txt")
    reference = reference_path.read_text(encoding="utf-8", errors="replace") if reference_path.is_file() else None
    qa = file_qa(transcript, cues, limits, reference)
    if transcript.get("language_decision", {}).get("note"):
        qa["notes"] = [*qa["notes"], transcript["language_decision"]["note"]]
    if layout.diarize:
        qa["speakers"] = len(transcript["speakers"]["speakers"])
        qa["notes"] = [*qa["notes"], *transcript["speakers"]["notes"]]
    if conf["sidecar"]["enabled"]:
        try:
            qa["sidecar"] = write_sidecar(
                cues, item.media, transcript["language"], conf["sidecar"]["overwrite"], labels
            )
        except OSError as exc:  # e.g. a read-only media folder: the subtitles in OUTPUT still count
            qa["sidecar"] = f"not written ({exc.strerror})"
    outputs = layout.outputs(item.stem)
    if layout.translate:
        en_cues, translation = load_cues(layout, item.stem, conf, translation=True)
        en_paths = {"srt": outputs.pop("en_srt"), "vtt": outputs.pop("en_vtt")}
        write_outputs(translation, en_cues, en_paths, labels)
        qa["translation_cues"] = len(en_cues)
    transcript["qa"] = qa
    # the transcript may be older than these subtitles (only subtitle options changed): say what made them
    fingerprints = transcript.get("provenance", {}).get("fingerprints")
    if fingerprints is not None:
        fingerprints["subtitles"] = layout.fingerprints.subs
        if layout.diarize:
            fingerprints["speakers"] = layout.fingerprints.speakers
    write_outputs(transcript, cues, outputs, labels, rttm_id(item.stem))
    write_json(layout.qa(item.stem), {"source": item.relpath, **qa})
    mark_done(layout, item.stem, item.media)
    clear_failure(layout.out, item.stem)
    return {"source": item.relpath, "status": "done", "cues": len(cues), "notes": qa["notes"]}


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    return fn(*args), time.perf_counter() - t0


def process_batch(
    items: list[Item],
    layout: Layout,
    config: dict[str, Any],
    model: ModelSpec,
    tmpdir: str | None = None,
    route_model: ModelSpec | None = None,
) -> list[dict[str, Any]]:
    """Subtitle every pending file of a batch; each file is isolated from the others' failures.

    Files already done are skipped; a current transcript is reused (subtitle settings
    changed); otherwise the file is probed and decoded (up to ``asr.batch_size`` files ahead,
    in the background), transcribed with its pieces sharing decode batches with other
    files' (subvox.asr.batched), and its subtitles written as soon as its last piece is back.
    Files whose language is in doubt are held back and transcribed again at the end
    (subvox.subtitles.recheck; ``route_model``: the multilingual model for an English-only one).
    """
    tmpdir = tmpdir or tempfile.gettempdir()
    todo = [i for i in items if not subs_done(layout, i.stem, i.media)]
    needs_asr = [i for i in todo if not _cached(i, layout)]
    results = [{"source": i.relpath, "status": "skipped"} for i in items if i not in todo]
    stage: dict[Item, str] = {}
    count = iter(range(1, len(todo) + 1))

    def subtitles(item: Item, result: dict[str, Any]) -> None:
        try:
            stage[item] = "subtitles"
            result = {**result, **subtitle_one(item, layout, config)}
        except Exception as exc:  # one file must never cost the others their results
            results.append(report_failure(layout, item, stage[item], exc))
            return
        rtf = (
            f", RTF {result['transcribe_s'] / max(result['audio_s'], 1e-9):.3f}"
            if "transcribe_s" in result
            else " (transcript reused)"
        )
        log.info("[%d/%d] %s: %s cues%s", next(count), len(todo), item.relpath, result["cues"], rtf)
        results.append(result)

    for item in todo:
        if item not in needs_asr:
            subtitles(item, {"source": item.relpath, "status": "cached"})
    if not needs_asr:
        return sorted(results, key=lambda r: r["source"])
    try:
        asr_model = model.get()
    except Exception as exc:
        results.extend(report_failure(layout, item, "transcribe", exc) for item in needs_asr)
        return sorted(results, key=lambda r: r["source"])
    batch_size = DecodeOptions.from_config(config["asr"]).batch_size
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as pool:
        ahead = iter(needs_asr)  # probed and extracted in the background, ahead of the decoding
        prepared: deque[Any] = deque()
        prepare_s: dict[Item, float] = {}

        def top_up(depth: int) -> None:
            for i in itertools.islice(ahead, max(0, depth - len(prepared))):
                prepared.append(
                    pool.submit(_timed, prepare_one, i, layout, config["audio"], tmpdir, config.get("separation"))
                )

        def requests() -> Iterator[FileRequest]:
            top_up(2)
            for item in needs_asr:
                stage[item] = "prepare_audio"
                try:
                    audio, prepare_s[item] = prepared.popleft().result()
                    # short files share batches: keep a batch of them ready; a long one fills
                    # batches alone, so only the next is extracted (its temporary space is held)
                    top_up(2 if len(audio) > LONG_FILE_S * 16000 else batch_size + 1)
                    stage[item] = "transcribe"
                    request = asr_request(item, audio, layout, config["asr"], model)
                except Exception as exc:
                    top_up(2)
                    request = FileRequest(item, error=exc)
                yield request

        recheck = Recheck(layout, config, model, route_model)

        def finished(item: Item, outcome: Outcome) -> None:
            try:
                if isinstance(outcome.error, SubvoxError) and stage[item] == "transcribe":
                    raise SubvoxError(f"{item.relpath}: {outcome.error}") from outcome.error
                if outcome.error is not None:
                    raise outcome.error
                duration = save_transcripts(item, layout, outcome.model, outcome.transcripts, outcome.decision)
                timing = {
                    "audio_s": round(duration, 3),
                    "prepare_s": round(prepare_s[item], 3),
                    "transcribe_s": round(outcome.seconds, 3),
                }
                write_json(layout.timing(item.stem), timing)
            except Exception as exc:
                results.append(report_failure(layout, item, stage[item], exc))
                return
            subtitles(item, {"source": item.relpath, "status": "transcribed", **timing})

        for done in transcribe_files(asr_model, requests(), batch_size):
            item, decision, error = done.key, None, done.error
            if error is None:
                try:
                    decision = recheck.judge(item, done.transcripts, done.seconds, not asr_model.multilingual)
                except Exception as exc:  # one file must never cost the others their results
                    error = exc
                else:
                    if decision is None:
                        continue  # held back for a second opinion
            finished(item, Outcome(item, done.transcripts, model, decision or {}, done.seconds, error))
    for outcome in recheck.run(items, tmpdir):
        stage[outcome.item] = "transcribe"
        finished(outcome.item, outcome)
    return sorted(results, key=lambda r: r["source"])
