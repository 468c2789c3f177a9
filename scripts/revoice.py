"""Rule revoice: dub a batch of subtitled files with one loaded voice (failed files are recorded)."""

from subvox.library.atomic import read_json, write_json
from subvox.revoice.job import VoiceSpec, revoice_batch
from subvox.subtitles.job import Item, ModelSpec
from subvox.workflow.rulescript import run


def main(smk):
    asr = smk.config["asr"]
    model = ModelSpec(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    voice = VoiceSpec(smk.params.speaker, read_json(smk.input.profile))
    items = [Item(*item) for item in smk.params.files]
    results = revoice_batch(items, smk.params.layout, smk.config, voice, model, smk.resources.get("tmpdir"))
    # like the subtitles rule: per-file failures are recorded, the job itself succeeds
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
