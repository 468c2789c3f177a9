# Transcribe with the configured Whisper backend; the model is loaded once per job.


rule transcribe:
    input:
        wav=f"{WORK}/audio/{{stem}}.wav",
        model=ASR_MODEL_PATH,
    output:
        transcript=f"{WORK}/transcripts/{{stem}}.json",
        **({"translation": f"{WORK}/transcripts/{{stem}}.translation.json"} if TRANSLATE else {}),
    params:
        asr=ASR,
        translate=TRANSLATE,
        model_name=ASR_MODEL_NAME,
        relpath=relpath,
    log:
        f"{WORK}/logs/transcribe/{{stem}}.log",
    benchmark:
        f"{WORK}/benchmarks/transcribe/{{stem}}.tsv"
    threads: RES["transcribe"]["threads"]
    resources:
        mem_mb=RES["transcribe"]["mem_mb"],
        runtime=RES["transcribe"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/transcribe.py"
