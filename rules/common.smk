import os
import sys
import threading
import time

from snakemake.exceptions import WorkflowError

from subvox.config import load_schema, validate_config
from subvox.errors import SubvoxError
from subvox.library import account, layout, plan
from subvox.library.discover import WORK_DIRNAME, display_name, scan_media
from subvox.library.failures import clear_failure, write_failed_tsv, write_skipped_tsv
from subvox.models import store as subvox_models
from subvox.revoice import profiles
from subvox.revoice.cast import check_cast
from subvox.speakers.enroll import check_enroll
from subvox.subtitles.qa import summary_sources, write_summary
from subvox.translate.registry import check_config as check_translation
from subvox.workflow import allocator

try:
    validate_config(config, load_schema(workflow.source_path("../config/schema/config.schema.yaml")))
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None

try:  # before any job starts: jobs inherit the environment (and re-read it on cluster nodes)
    allocator.preload(config["allocator"])
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None

RUN_START = time.time()
INPUT = os.path.normpath(config["input_dir"])
OUT = os.path.normpath(config["output_dir"])
WORK = f"{OUT}/{WORK_DIRNAME}"
MODELS = os.path.normpath(config["models_dir"])
ASR = config["asr"]
RES = config["resources"]


def _check_output_dir(path):
    """Fail before any work when output_dir cannot be created or written."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise WorkflowError(f"output_dir {path!r}: cannot be created ({probe!r} is not a folder)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise WorkflowError(f"output_dir {path!r}: not writable ({probe!r})")


_check_output_dir(OUT)
try:
    ASR_MODEL_PATH, ASR_MODEL_NAME = subvox_models.asr_model(config)
    # the multilingual model an English-only one hands other languages to (asr.routing)
    ROUTE_MODEL_PATH, ROUTE_MODEL_NAME = subvox_models.route_model(config) or ([], None)
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None

REVOICE = config["revoice"]["enabled"]
VOICE_KEYS = layout.voice_keys(config["revoice"]) if REVOICE else []  # speakers entries the dub uses
if REVOICE:
    try:  # an unknown speaker or voice fails here, listing what there is
        check_cast(config)
        for _key in VOICE_KEYS:
            profiles.check_speaker(*profiles.selected(config, _key))
    except SubvoxError as exc:
        raise WorkflowError(str(exc)) from None

if config["diarization"]["enabled"]:
    try:  # a missing enrolled clip stops the run here, not after the library's other work
        check_enroll(config["diarization"]["enroll"])
    except SubvoxError as exc:
        raise WorkflowError(str(exc)) from None

# Translation (rules/translate.smk): a target no installed engine offers, a missing local
# model folder or a source language the engine cannot read stops the run here, in one line
TRANSLATE = bool(config["translation"]["targets"])
TRANSLATION_RES = config["translation"]["resources"]
try:
    check_translation(config)
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None

LAYOUT = layout.layout_for(config)
if workflow.is_main_process:
    try:
        SCAN = scan_media(INPUT, output_dir=OUT, **config["discovery"])
    except SubvoxError as exc:
        raise WorkflowError(str(exc)) from None
    MEDIA = {m.stem: m.relpath for m in SCAN.items}  # real names (may hold bytes that are not UTF-8)
    NAMES = {m.stem: m.name for m in SCAN.items}  # the same as valid UTF-8, for everything written
    # Per-file bookkeeping (see subvox/library/layout.py): only pending files go into batches.
    PENDING = {s for s in MEDIA if not layout.is_done(LAYOUT, s, os.path.join(INPUT, MEDIA[s]))}
    BATCHES, REQUESTED = layout.plan_batches(list(MEDIA), PENDING, LAYOUT.fingerprints, config["batch_size"])
    PLAN = None
    if not workflow.dryrun:  # frozen before any job starts: jobs read only this (subvox/library/plan.py)
        PLAN = plan.freeze(WORK, LAYOUT.fingerprints.plan, INPUT, MEDIA, NAMES, {k: BATCHES[k] for k in REQUESTED})
        for _key in REQUESTED:  # a batch with pending files is to be run again, whatever a past run left
            layout.forget_batch(LAYOUT, _key)
else:  # a job (on a cluster node: the workflow is read again there): the main process's plan
    try:
        PLAN = plan.load(WORK, LAYOUT.fingerprints.plan)
    except SubvoxError as exc:
        raise WorkflowError(str(exc)) from None
    MEDIA = {s: f.relpath for s, f in PLAN.files.items()}
    NAMES = {s: f.name for s, f in PLAN.files.items()}
    BATCHES, REQUESTED = PLAN.batches, PLAN.requested


wildcard_constraints:
    batch=r"[0-9a-f]{16}",
    speaker=r"[A-Za-z0-9][A-Za-z0-9._-]*",
    model=r"[A-Za-z0-9][A-Za-z0-9._-]*",


def batch_items(wildcards):
    """(stem, media path, display name relative to input_dir) of each file of one batch: in a
    job, the planned members whose media still looks as planned (the others wait for the next run)."""
    if wildcards.batch not in BATCHES:  # another main process froze a new plan meanwhile
        raise WorkflowError(f"batch {wildcards.batch} is not in {plan.plan_path(WORK)}: its run was superseded")
    stems = BATCHES[wildcards.batch]
    if not workflow.is_main_process:
        stems, left = plan.unchanged(PLAN, INPUT, stems)
        for stem, change in left.items():
            print(f"subvox: {NAMES[stem]}: {change} since the run was planned; left to the next run", file=sys.stderr)
    return [(s, os.path.join(INPUT, MEDIA[s]), NAMES[s]) for s in stems]


def speaker_turns(wildcards):
    """The batch's diarization job, when diarization is on (its turns shape the subtitles)."""
    return [layout.speakers_marker(LAYOUT, wildcards.batch)] if LAYOUT.diarize else []


def final_markers():
    """The default target: every requested batch, through its last stage."""
    stage = "revoice_batches" if REVOICE else "batches"
    translated = expand(f"{WORK}/translate_batches/{{batch}}.json", batch=REQUESTED) if TRANSLATE else []
    return expand(f"{WORK}/{stage}/{{batch}}.json", batch=REQUESTED) + translated


# Voice / background stems (rules/soundtrack.smk): which later jobs wait for them
STEMS_FOR_ASR = config["audio"]["enhance"] == "vocals"
STEMS_FOR_DUB = REVOICE and config["revoice"]["mix"] == "background"


def stems_for_asr(wildcards):
    """The batch's separation job, when the models hear the separated voice."""
    return [f"{WORK}/stem_batches/{wildcards.batch}.json"] if STEMS_FOR_ASR else []


def stems_for_dub(wildcards):
    """The batch's separation job, when the dub is laid over the separated background."""
    return [f"{WORK}/stem_batches/{wildcards.batch}.json"] if STEMS_FOR_DUB else []


def speaker_reference(wildcards):
    """A cloned speaker's reference clip (so a re-recorded clip rebuilds the profile)."""
    reference = config["speakers"][wildcards.speaker].get("reference")
    return [reference] if reference else []


def library_files(wildcards):
    """(stem, media path, display name relative to input_dir) of every file of the library."""
    return [(s, os.path.join(INPUT, MEDIA[s]), NAMES[s]) for s in sorted(MEDIA)]


def mem_mb(rule):
    """Memory request per attempt: a job killed for memory is retried with more."""
    return lambda wildcards, attempt: RES[rule]["mem_mb"] * attempt


def release_scheduler_timers():
    """Cancel the scheduler's pending re-evaluation timers: the run is over.

    Snakemake 9 arms a non-daemon threading.Timer after each scheduling round (its default
    rate limit, 100 jobs per 1 s), and the interpreter waits for the last one before it exits:
    every run ended ~1 s after its last job. Called from onsuccess/onerror, when nothing is
    left to schedule.
    """
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def report_run(out, media):
    """End of run: OUTPUT/summary.tsv, OUTPUT/failed.tsv and a one-line account of the run."""
    if not os.path.isdir(out):
        return
    changed = _library_changes(out)
    media = {s: r for s, r in media.items() if s not in changed.removed}
    paths = {s: os.path.join(INPUT, media[s]) for s in media}
    subtitled = {s for s in media if layout.subs_done(LAYOUT, s, paths[s])}
    done = {s for s in subtitled if layout.is_done(LAYOUT, s, paths[s])}  # dubs and translations too
    dubbed = f"{sum(layout.dub_done(LAYOUT, s, paths[s]) for s in subtitled)} dubbed, " if REVOICE else ""
    if TRANSLATE:
        dubbed += f"{sum(layout.translations_done(LAYOUT, s, paths[s]) for s in subtitled)} translated, "
    failed = write_failed_tsv(out, [s for s in media if s not in done])  # their inputs
    skipped = write_skipped_tsv(out, SCAN.skipped)
    summary = f"{out}/summary.tsv"
    listed = {display_name(r) for r in media.values()}
    if REQUESTED or not os.path.isfile(summary) or summary_sources(summary) - listed:  # or a file left
        write_summary(summary, LAYOUT, media)
    print(
        f"subvox: {len(subtitled)} of {len(media)} files have subtitles; {dubbed}"
        + (f"{len(failed)} failed (see {out}/failed.tsv)" if failed else "none failed")
        + (f", {len(media) - len(done) - len(failed)} unfinished" if len(media) - len(done) - len(failed) else "")
        + (f"; {skipped} entries skipped (see {out}/skipped.tsv)" if skipped else "")
        + (f"; changed during the run: {len(changed.added)} added, {len(changed.replaced)} replaced, "
           f"{len(changed.removed)} removed (see {out}/changed.tsv; the next run takes them up)" if changed else "")
        + f". This run: {account.run_account(LAYOUT, REQUESTED, paths, done, failed, RUN_START)}",
        file=sys.stderr,
    )
    return failed


def _library_changes(out):
    """What changed in the library under this run (added, replaced, removed since the plan was
    frozen): replaced files lose their done-markers (a job may have read either version), removed
    ones their failure records; OUTPUT/changed.tsv lists them all."""
    if PLAN is None:
        return plan.Changes([], [], [])
    try:
        now = scan_media(INPUT, output_dir=OUT, **config["discovery"]).items
    except SubvoxError:
        now = []  # the whole input folder is gone: every planned file counts as removed
    found = plan.changes(PLAN, INPUT, {m.stem: m.relpath for m in now})
    for stem in found.replaced:
        layout.forget_done(LAYOUT, stem)
    for stem in found.removed:
        clear_failure(out, stem)
    plan.write_changed_tsv(out, PLAN, found, {m.stem: m.name for m in now})
    return found


def models_to_stage(wildcards):
    """Every model a run may load: the ASR model, the multilingual one it routes other
    languages to, and the target dubs' round-trip model (defined in rules/revoice.smk)."""
    return [ASR_MODEL_PATH, *([ROUTE_MODEL_PATH] if ROUTE_MODEL_NAME else []), *(ROUNDTRIP or ())[:1]]
