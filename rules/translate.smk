# Optional translation (translation.targets): one job per batch, after its subtitles job,
# writes OUTPUT/a/b/clip.<lang>.srt/.vtt/.json for every target (engines loaded once per job;
# kept per their own fingerprint, so a target or engine change never re-transcribes).


rule translate:
    input:
        subtitles=f"{WORK}/batches/{{batch}}.json",
    output:
        temp(f"{WORK}/translate_batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
    log:
        f"{WORK}/logs/translate/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/translate/{{batch}}.tsv"
    threads: TRANSLATION_RES["threads"]
    retries: TRANSLATION_RES["retries"]
    resources:
        mem_mb=lambda wildcards, attempt: TRANSLATION_RES["mem_mb"] * attempt,
        runtime=TRANSLATION_RES["runtime"],
        gpu=TRANSLATION_RES["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/translate.py"
