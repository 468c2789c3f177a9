"""Rule translate: subtitles in every translation target for a batch (failed files are recorded)."""

from subvox.library.atomic import write_json
from subvox.library.layout import Item
from subvox.translate.job import translate_batch
from subvox.workflow.rulescript import run


def main(smk):
    items = [Item(*item) for item in smk.params.files]
    results = translate_batch(items, smk.params.layout, smk.config, smk.threads)
    # per-file failures are recorded; the job succeeds so the batch's other files go on
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
