"""Rule report: OUTPUT/report.html (the library overview) and OUTPUT/report_files/ (a page per file)."""

from subvox.reports.review import write_report
from subvox.workflow.rulescript import log, run


def main(smk):
    records = write_report(smk.output.html, smk.params.files, smk.params.layout, smk.params.conf)
    flagged = sum(1 for r in records if r.flags)
    failed = sum(1 for r in records if r.failed)
    log.info("report of %d files written (%d need attention, %d of them failed)", len(records), flagged, failed)


run(snakemake, main)
