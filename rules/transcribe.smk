# Probe, extract and transcribe a batch of files per job: the model is loaded once per batch.


rule transcribe:
    input:
        media=batch_media,
        model=ASR_MODEL_PATH,
    output:
        temp(f"{WORK}/batches/{{batch}}.transcribed.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
        model_name=ASR_MODEL_NAME,
    log:
        f"{WORK}/logs/transcribe/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/transcribe/{{batch}}.tsv"
    threads: RES["transcribe"]["threads"]
    retries: RES["transcribe"]["retries"]
    resources:
        mem_mb=mem_mb("transcribe"),
        runtime=RES["transcribe"]["runtime"],
        gpu=RES["transcribe"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/transcribe.py"
