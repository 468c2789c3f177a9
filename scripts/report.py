"""Rule report: OUTPUT/report.html with per-file waveforms and cues, QA, speed and failures."""

import csv
import os

from subvox.reports.html import write_report
from subvox.workflow.rulescript import log, run


def main(smk):
    failed_tsv = os.path.join(smk.params.layout.out, "failed.tsv")
    failed = []
    if os.path.isfile(failed_tsv):
        with open(failed_tsv, encoding="utf-8", newline="") as fh:
            failed = list(csv.DictReader(fh, delimiter="\t"))
    write_report(smk.output.html, smk.params.files, smk.params.layout, failed, smk.params.conf["max_files"])
    log.info("report of %d files written", len(smk.params.files))


run(snakemake, main)
