"""Rule convert_ggml: CTranslate2 Whisper folder -> whisper.cpp ggml model, f16 (same weights)."""

from subvox.models.ggml import convert_ggml
from subvox.workflow.rulescript import log, run


def main(smk):
    hparams = convert_ggml(smk.input.model, smk.output.ggml)
    log.info("converted %s to ggml: %s", smk.params.model, hparams)


run(snakemake, main)
