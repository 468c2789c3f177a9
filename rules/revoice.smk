# Optional re-voicing (revoice.enabled): one profile per speaker, then one job per batch
# that speaks every subtitled file's cues, fits them to the timing, mixes and muxes the
# dub, and checks it (round-trip WER, speaker similarity, overflowing cues). With
# translation targets it runs after the batch's translate job and dubs every target too
# (a voice per language: revoice.targets.voices, else espeak-ng's; one muxed track each).
from subvox.library.targets import dubbed_targets
from subvox.revoice import translated

DUBBED_TARGETS = dubbed_targets(config)
try:  # a target no voice speaks, a bad voice or a missing round-trip model stops the run here
    translated.check_targets(config)
    ROUNDTRIP = translated.roundtrip_model(config)  # (folder, name) of the target dubs' round-trip model
except SubvoxError as exc:
    raise WorkflowError(str(exc)) from None
DUB_KEYS = sorted({*VOICE_KEYS, *translated.voice_keys(config)}) if REVOICE else []


rule speaker_profile:
    input:
        # the ASR model gives a cloned voice's word timings; a reference clip is watched too
        model=ASR_MODEL_PATH,
        reference=speaker_reference,
    output:
        f"{WORK}/speakers/{{speaker}}.json",
    params:
        speaker=lambda wc: config["speakers"][wc.speaker],
        model_name=ASR_MODEL_NAME,
    log:
        f"{WORK}/logs/speaker_profile/{{speaker}}.log",
    threads: RES["speaker_profile"]["threads"]
    resources:
        mem_mb=mem_mb("speaker_profile"),
        runtime=RES["speaker_profile"]["runtime"],
        gpu=RES["speaker_profile"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/speaker_profile.py"


rule revoice:
    input:
        subtitles=f"{WORK}/batches/{{batch}}.json",
        profiles=expand(f"{WORK}/speakers/{{key}}.json", key=DUB_KEYS),
        model=ASR_MODEL_PATH,
        stems=stems_for_dub,
        # the batch's translate job, when the dub speaks its translations
        translations=lambda wc: [f"{WORK}/translate_batches/{wc.batch}.json"] if DUBBED_TARGETS else [],
        roundtrip=ROUNDTRIP[0] if ROUNDTRIP else [],
    output:
        temp(f"{WORK}/revoice_batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
        model_name=ASR_MODEL_NAME,
        speakers={key: config["speakers"][key] for key in DUB_KEYS},
        roundtrip_name=ROUNDTRIP[1] if ROUNDTRIP else None,
    log:
        f"{WORK}/logs/revoice/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/revoice/{{batch}}.tsv"
    threads: RES["revoice"]["threads"]
    retries: RES["revoice"]["retries"]
    resources:
        mem_mb=mem_mb("revoice"),
        runtime=RES["revoice"]["runtime"],
        gpu=RES["revoice"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/revoice.py"
