"""Rule transcribe: probe, extract and transcribe a batch of files with one loaded model."""

from subvox.atomic import write_json
from subvox.batch import Item, ModelSpec, transcribe_batch
from subvox.rulescript import run


def main(smk):
    asr = smk.config["asr"]
    model = ModelSpec(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    items = [Item(*item) for item in smk.params.files]
    results = transcribe_batch(items, smk.params.layout, smk.config, model, smk.resources.get("tmpdir"))
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
