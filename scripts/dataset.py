"""Rule dataset: JSONL manifest of subtitle cues with deterministic per-file splits."""

import os

from subvox.errors import SubvoxError
from subvox.reports.dataset import export
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
    counts = export(files, os.path.dirname(smk.output.manifest), smk.params.conf)
    log.info("dataset from %d files: %s", len(files), counts)


run(snakemake, main)
