# One job per batch of pending files: probe, extract, transcribe (model loaded once per
# job), readable cues, SRT/VTT/TXT/JSON beside the mirrored input path, per-file QA.
# Planning and per-file bookkeeping: rules/common.smk and subvox/library/layout.py. The run
# summary (summary.tsv, failed.tsv) is written when the run ends (report_run).


rule subtitles:
    input:
        # media paths travel in params (a "{" in a file name must not look like a wildcard);
        # whether a file needs work is decided by subvox's own bookkeeping, not by mtimes here
        model=ASR_MODEL_PATH,
        route_model=ROUTE_MODEL_PATH,
        speakers=speaker_turns,
        stems=stems_for_asr,
    output:
        temp(f"{WORK}/batches/{{batch}}.json"),
    params:
        files=batch_items,
        layout=LAYOUT,
        model_name=ASR_MODEL_NAME,
        route_model_name=ROUTE_MODEL_NAME,
    log:
        f"{WORK}/logs/subtitles/{{batch}}.log",
    benchmark:
        f"{WORK}/benchmarks/subtitles/{{batch}}.tsv"
    threads: RES["subtitles"]["threads"]
    retries: RES["subtitles"]["retries"]
    resources:
        mem_mb=mem_mb("subtitles"),
        runtime=RES["subtitles"]["runtime"],
        gpu=RES["subtitles"]["gpu"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/subtitles.py"

