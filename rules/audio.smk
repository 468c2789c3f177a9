# Probe each media file and extract the model-ready audio (16 kHz mono PCM WAV).


rule prepare_audio:
    input:
        media=media_path,
    output:
        probe=f"{WORK}/probe/{{stem}}.json",
        wav=temp(f"{WORK}/audio/{{stem}}.wav"),
    params:
        audio=config["audio"],
        relpath=relpath,
    log:
        f"{WORK}/logs/prepare_audio/{{stem}}.log",
    threads: RES["prepare_audio"]["threads"]
    resources:
        mem_mb=RES["prepare_audio"]["mem_mb"],
        runtime=RES["prepare_audio"]["runtime"],
    conda:
        "../envs/subvox.yaml"
    script:
        "../scripts/prepare_audio.py"
