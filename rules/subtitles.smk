# Cues from the transcript, written as SRT/VTT/TXT/JSON beside the mirrored input path,
# plus per-file QA and the run summary.


rule subtitles:
    input:
        transcript=f"{WORK}/transcripts/{{stem}}.json",
        probe=f"{WORK}/probe/{{stem}}.json",
        media=media_path,
        reference=reference_path,
        **({"translation": f"{WORK}/transcripts/{{stem}}.translation.json"} if TRANSLATE else {}),
    output:
        **subtitle_outputs(),
        qa=f"{WORK}/qa/{{stem}}.json",
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


rule summary:
    input:
        qa=expand(f"{WORK}/qa/{{stem}}.json", stem=sorted(MEDIA)),
    output:
        f"{OUT}/summary.tsv",
    log:
        f"{WORK}/logs/summary/summary.log",
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/summary.py"
