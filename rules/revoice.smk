# Optional re-voicing (revoice.enabled): one profile per speaker, then one job per batch
# that speaks every subtitled file's cues, fits them to the timing, mixes and muxes the
# dub, and checks it (round-trip WER, speaker similarity, overflowing cues).


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
        profiles=expand(f"{WORK}/speakers/{{key}}.json", key=VOICE_KEYS),
        model=ASR_MODEL_PATH,
        stems=stems_for_dub,
    output:
        temp(f"{WORK}/revoice_batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
        model_name=ASR_MODEL_NAME,
        speakers={key: config["speakers"][key] for key in VOICE_KEYS},
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
