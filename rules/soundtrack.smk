# Optional voice / background separation: one job per batch, before the jobs that use the
# stems (revoice.mix background: the dub job; audio.enhance vocals: diarize and subtitles).
# Stems are cached per source fingerprint under _subvox/stems/, so each file is separated once.


rule separate:
    output:
        temp(f"{WORK}/stem_batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
    log:
        f"{WORK}/logs/separate/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/separate/{{batch}}.tsv"
    threads: RES["separate"]["threads"]
    retries: RES["separate"]["retries"]
    resources:
        mem_mb=mem_mb("separate"),
        runtime=RES["separate"]["runtime"],
        gpu=RES["separate"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/separate.py"
