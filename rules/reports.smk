# Optional targets over the whole library, after every batch: `snakemake dataset`,
# `snakemake report`.


rule dataset:
    input:
        expand(f"{WORK}/batches/{{batch}}.json", batch=REQUESTED),
    output:
        summary=f"{OUT}/subvox-dataset/summary.json",
    params:
        layout=LAYOUT,
        files=library_files,
        conf=config["dataset"],
    log:
        f"{WORK}/logs/dataset/dataset.log",
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/dataset.py"


rule report:
    input:
        final_markers(),
    output:
        html=f"{OUT}/report.html",
    params:
        layout=LAYOUT,
        files=library_files,
        conf=config["report"],
    log:
        f"{WORK}/logs/report/report.log",
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/report.py"
