# Cues from the transcript, written as SRT/VTT/TXT/JSON beside the mirrored input path.


rule subtitles:
    input:
        transcript=f"{WORK}/transcripts/{{stem}}.json",
        probe=f"{WORK}/probe/{{stem}}.json",
    output:
        **{fmt: f"{OUT}/{{stem}}.{fmt}" for fmt in FORMATS},
    params:
        subtitles=config["subtitles"],
        relpath=relpath,
    log:
        f"{WORK}/logs/subtitles/{{stem}}.log",
    threads: RES["subtitles"]["threads"]
    resources:
        mem_mb=RES["subtitles"]["mem_mb"],
        runtime=RES["subtitles"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/subtitles.py"
