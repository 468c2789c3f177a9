"""Rule speaker_profile: a speaker's JSON profile, built once and reused by every file."""

from subvox.asr import ModelSpec
from subvox.library.atomic import write_json
from subvox.revoice.job import resolve_device
from subvox.revoice.profiles import build
from subvox.workflow.rulescript import log, run


def main(smk):
    asr, speaker = smk.config["asr"], smk.params.speaker
    model = None
    if speaker.get("reference"):
        model = ModelSpec(
            asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
        ).get()
    profile = build(smk.wildcards.speaker, speaker, model, resolve_device(speaker["device"]))
    write_json(smk.output[0], profile)
    log.info("speaker %s: %s profile written", smk.wildcards.speaker, profile["engine"])


run(snakemake, main)
