"""Rule dataset: the cue rows as JSONL, Lhotse, Hugging Face and NeMo manifests, fixed per-file splits."""

import os

from subvox.errors import SubvoxError
from subvox.reports.datasets.export import export
from subvox.workflow.rulescript import log, run


def main(smk):
    layout = smk.params.layout
    if "json" not in layout.formats:
        raise SubvoxError("the dataset is built from the per-file JSON: add json to subtitles.formats")
    files = [
        (layout.outputs(stem)["json"], media, rel)
        for stem, media, rel in smk.params.files
        if os.path.isfile(layout.outputs(stem)["json"])
    ]
    summary = export(files, os.path.dirname(smk.output.summary), smk.params.conf)
    log.info("dataset from %d files (%d duplicates left out): %s", summary["files"], summary["duplicates"], summary)


run(snakemake, main)
