"""Rule summary: one line per file with its QA figures (OUTPUT/summary.tsv)."""

from subvox.atomic import read_json, write_text
from subvox.qa import summary_row, summary_tsv
from subvox.rulescript import log, run


def main(smk):
    rows = [summary_row(qa["source"], qa) for qa in map(read_json, smk.input.qa)]
    write_text(smk.output[0], summary_tsv(rows))
    for row in rows:
        log.info("%s", "\t".join(str(v) for v in row.values()))


run(snakemake, main)
