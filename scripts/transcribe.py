"""Rule transcribe: load the Whisper backend once and transcribe the extracted audio."""

import time

from subvox.asr import DecodeOptions, load_transcriber
from subvox.atomic import write_json
from subvox.media import load_wav
from subvox.rulescript import log, run


def main(smk):
    asr = smk.params.asr
    t0 = time.perf_counter()
    model = load_transcriber(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    t1 = time.perf_counter()
    audio, _ = load_wav(smk.input.wav)
    transcript = model.transcribe(audio, DecodeOptions.from_config(asr))
    t2 = time.perf_counter()
    write_json(smk.output.transcript, transcript.to_dict())
    rtf = (t2 - t1) / max(transcript.duration, 1e-9)
    log.info(
        "%s: %d segments, language %s (%.2f), load %.2f s, transcribe %.2f s, RTF %.3f",
        smk.params.relpath,
        len(transcript.segments),
        transcript.language,
        transcript.language_probability,
        t1 - t0,
        t2 - t1,
        rtf,
    )


run(snakemake, main)
