"""Rule separate: voice / background stems for a batch of files (failed files are recorded)."""

from subvox.library.atomic import write_json
from subvox.library.layout import Item
from subvox.soundtrack.job import separate_batch
from subvox.workflow.rulescript import run


def main(smk):
    items = [Item(*item) for item in smk.params.files]
    results = separate_batch(items, smk.params.layout, smk.config, smk.threads, smk.resources.get("tmpdir"))
    # per-file failures are recorded; the job succeeds so the batch's other files go on
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
