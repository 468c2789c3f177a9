"""Rule revoice: dub a batch of subtitled files, each voice loaded once (failed files are recorded)."""

from subvox.asr import ModelSpec
from subvox.library.atomic import read_json, write_json
from subvox.library.layout import Item
from subvox.revoice.job import VoiceSpec, revoice_batch
from subvox.revoice.translated import TargetDubs, target_voices
from subvox.workflow.rulescript import run


def main(smk):
    asr = smk.config["asr"]
    model = ModelSpec(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    voices = {
        key: VoiceSpec(speaker, read_json(profile))
        for (key, speaker), profile in zip(smk.params.speakers.items(), smk.input.profiles, strict=True)
    }
    # the target dubs' round trip always runs on faster-whisper (a CTranslate2 folder)
    name = smk.params.roundtrip_name
    heard_by = ModelSpec("faster-whisper", smk.input.roundtrip, name, asr["device"], asr["compute_type"], smk.threads)
    targets = TargetDubs(target_voices(smk.config, voices), heard_by if name else None)
    items = [Item(*item) for item in smk.params.files]
    tmpdir = smk.resources.get("tmpdir")
    results = revoice_batch(items, smk.params.layout, smk.config, voices, model, tmpdir, targets)
    # like the subtitles rule: per-file failures are recorded, the job itself succeeds
    write_json(smk.output[0], {"batch": smk.wildcards.batch, "files": results})


run(snakemake, main)
