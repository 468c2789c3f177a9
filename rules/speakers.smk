# Optional diarization (diarization.enabled): one job per batch, before its subtitles job,
# finds who speaks when in every file without current turns (kept per their own
# fingerprint under _subvox/diarization/, so subtitle options never re-diarize).


rule diarize:
    input:
        stems=stems_for_asr,
    output:
        temp(f"{WORK}/speaker_batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
    log:
        f"{WORK}/logs/diarize/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/diarize/{{batch}}.tsv"
    threads: RES["diarize"]["threads"]
    retries: RES["diarize"]["retries"]
    resources:
        mem_mb=mem_mb("diarize"),
        runtime=RES["diarize"]["runtime"],
        gpu=RES["diarize"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/diarize.py"
