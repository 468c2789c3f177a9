"""Rule prepare_audio: probe the media, then extract the chosen audio stream as 16 kHz mono WAV."""

from subvox.atomic import write_json
from subvox.media import choose_audio_stream, extract_audio, probe
from subvox.rulescript import log, run


def main(smk):
    audio = smk.params.audio
    info = probe(smk.input.media)
    info["source"] = smk.params.relpath
    index = choose_audio_stream(smk.input.media, info, audio["stream"], audio["prefer_languages"])
    extracted = extract_audio(smk.input.media, smk.output.wav, index, audio["sample_rate"], audio["channels"])
    info["extracted"] = {"audio_stream": index, **extracted}
    write_json(smk.output.probe, info)
    log.info("%s: %.2f s of audio from audio stream %d", smk.params.relpath, extracted["duration"], index)


run(snakemake, main)
