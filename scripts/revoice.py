"""Rule revoice: dub a batch of subtitled files, each voice loaded once (failed files are recorded)."""

from subvox.asr import ModelSpec
from subvox.library.atomic import read_json, write_json
from subvox.library.layout import Item
from subvox.revoice.job import VoiceSpec, revoice_batch
from subvox.workflow.rulescript import run


def main(smk):
    asr = smk.config["asr"]
    model = ModelSpec(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    voices = {
        key: VoiceSpec(speaker, read_json(profile))
        for (key, speaker), profile in zip(smk.params.speakers.items(), smk.input.profiles, strict=True)
    }
    items = [Item(*item) for item in smk.params.files]
    results = revoice_batch(items, smk.params.layout, smk.config, voices, model, smk.resources.get("tmpdir"))
    # like the subtitles rule: per-file failures are recorded, the job itself succeeds
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
