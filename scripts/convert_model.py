"""Rule convert_model: CTranslate2 Whisper folder -> openai-whisper checkpoint (same weights)."""

from subvox.models.ct2 import convert
from subvox.workflow.rulescript import log, run


def main(smk):
    dims = convert(smk.input.model, smk.output.checkpoint)
    log.info("converted %s: %s", smk.params.model, dims)


run(snakemake, main)
