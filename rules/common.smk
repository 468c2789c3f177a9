import os
import sys

from snakemake.exceptions import WorkflowError

from subvox import models as subvox_models
from subvox.config import load_schema, validate_config
from subvox.discover import WORK_DIRNAME, discover_media
from subvox.errors import SubvoxError
from subvox.failures import write_failed_tsv

try:
    validate_config(config, load_schema(workflow.source_path("../config/schema/config.schema.yaml")))
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None

INPUT = os.path.normpath(config["input_dir"])
OUT = os.path.normpath(config["output_dir"])
WORK = f"{OUT}/{WORK_DIRNAME}"
MODELS = os.path.normpath(config["models_dir"])
ASR = config["asr"]
FORMATS = config["subtitles"]["formats"]
TRANSLATE = ASR["task"] == "translate"
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
    MEDIA = {m.stem: m.relpath for m in discover_media(INPUT, output_dir=OUT, **config["discovery"])}
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None


wildcard_constraints:
    # any relative path (spaces, quotes, unicode, newlines) except the work folder
    stem=rf"(?!{WORK_DIRNAME}/)(?s:.+)",
    model=r"[A-Za-z0-9][A-Za-z0-9._-]*",


def media_path(wildcards):
    """The input media file of one stem (from the discovered media table)."""
    return os.path.join(INPUT, MEDIA[wildcards.stem])


def relpath(wildcards):
    """The input's path relative to input_dir, as recorded in outputs (never absolute)."""
    return MEDIA[wildcards.stem]


def reference_path(wildcards):
    """A human transcript beside the media (``clip.txt`` for ``clip.mp4``), when supplied."""
    ref = os.path.splitext(media_path(wildcards))[0] + ".txt"
    return ref if os.path.isfile(ref) else []


def subtitle_outputs():
    """Named outputs of the subtitles rule for the configured formats (+ English if translating)."""
    outputs = {fmt: f"{OUT}/{{stem}}.{fmt}" for fmt in FORMATS}
    if TRANSLATE:
        outputs.update(en_srt=f"{OUT}/{{stem}}.en.srt", en_vtt=f"{OUT}/{{stem}}.en.vtt")
    return outputs


def all_outputs():
    """Every subtitle file of every discovered media file, and the run summary."""
    per_file = subtitle_outputs().values()
    return [p.format(stem=stem) for stem in MEDIA for p in per_file] + [f"{OUT}/summary.tsv"]


def _asr_model():
    """(file or folder the transcribe rule needs, display name) for the configured model."""
    model = ASR["model"]
    try:
        if ASR["backend"] == "openai-whisper" and model.endswith(".pt"):
            if not os.path.isfile(model):
                raise SubvoxError(f"model path {model!r} does not exist")
            return model, os.path.basename(model)
        ct2 = subvox_models.ct2_source(model, MODELS)
        if (
            config["offline"]
            and not subvox_models.is_ct2_dir(ct2)
            and not subvox_models.can_fetch_offline(model)
        ):
            raise SubvoxError(
                f"model {model!r} is not in {ct2} and offline is true; "
                f"fetch it with: {subvox_models.fetch_hint(model, MODELS)}"
            )
    except SubvoxError as exc:
        raise WorkflowError(str(exc)) from None
    name = os.path.basename(os.path.normpath(model)) if subvox_models.is_local_path(model) else model
    if ASR["backend"] == "openai-whisper":
        return str(subvox_models.openai_checkpoint(MODELS, model)), name
    return str(ct2), name


ASR_MODEL_PATH, ASR_MODEL_NAME = _asr_model()


def report_run(out, media):
    """End of run: OUTPUT/failed.tsv lists every file that failed, with stage and reason."""
    if not os.path.isdir(out):
        return
    failed = write_failed_tsv(out, list(media))
    print(
        f"subvox: {len(media) - failed} of {len(media)} files have subtitles; "
        + (f"{failed} failed (see {out}/failed.tsv)" if failed else "none failed"),
        file=sys.stderr,
    )
