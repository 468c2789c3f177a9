"""Rule subtitles: a batch of files to subtitles with one loaded model (failed files are recorded)."""

from subvox.asr import ModelSpec
from subvox.library.atomic import write_json
from subvox.library.layout import Item, batch_results_path
from subvox.subtitles.job import process_batch
from subvox.workflow.rulescript import run


def main(smk):
    asr = smk.config["asr"]
    model = ModelSpec(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    route = None
    if smk.params.route_model_name:  # the multilingual model runs on faster-whisper whatever the backend
        route = ModelSpec(
            "faster-whisper",
            smk.input.route_model,
            smk.params.route_model_name,
            asr["device"],
            asr["compute_type"],
            smk.threads,
        )
    items = [Item(*item) for item in smk.params.files]
    results = process_batch(items, smk.params.layout, smk.config, model, smk.resources.get("tmpdir"), route)
    write_json(batch_results_path(smk.params.layout, smk.wildcards.batch), {"files": results})
    # Per-file failures do not fail the job (they are recorded for failed.tsv, and the run's
    # exit status reports them at the end), so dataset/report still see the finished files.
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
