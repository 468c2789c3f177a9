# Readable cues, SRT/VTT/TXT/JSON beside the mirrored input path and per-file QA, per batch.
# The run summary (summary.tsv, failed.tsv) is written when the run ends (see report_run).


rule subtitles:
    input:
        f"{WORK}/batches/{{batch}}.transcribed.json",
    output:
        temp(f"{WORK}/batches/{{batch}}.subtitled.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
    log:
        f"{WORK}/logs/subtitles/{{batch}}.log",
    threads: RES["subtitles"]["threads"]
    resources:
        mem_mb=mem_mb("subtitles"),
        runtime=RES["subtitles"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/subtitles.py"
