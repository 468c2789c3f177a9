"""Rule subtitles: cues, subtitle files and QA for a transcribed batch (failed files stay recorded)."""

from subvox.atomic import read_json, write_json
from subvox.batch import Item, subtitles_batch
from subvox.errors import SubvoxError
from subvox.library import batch_results_path
from subvox.rulescript import run


def main(smk):
    transcribed = {r["source"]: r for r in read_json(smk.input[0])["files"]}
    items = [Item(*item) for item in smk.params.files]
    results = subtitles_batch(items, smk.params.layout, smk.config, transcribed)
    write_json(batch_results_path(smk.params.layout, smk.wildcards.batch), {"files": results})
    failed = [r for r in results if r["status"] == "failed"]
    if failed:
        raise SubvoxError(f"{len(failed)} of {len(results)} files of this batch failed (see failed.tsv)")
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
