"""Rule transcribe: load the Whisper backend once, transcribe (and translate) the extracted audio."""

import dataclasses
import time

from subvox.asr import DecodeOptions, load_transcriber
from subvox.atomic import write_json
from subvox.errors import SubvoxError
from subvox.guards import GuardOptions
from subvox.media import load_wav
from subvox.rulescript import log, run
from subvox.transcribe import LanguageOptions, regions_of, transcribe_audio


def main(smk):
    asr = smk.params.asr
    t0 = time.perf_counter()
    model = load_transcriber(
        asr["backend"], smk.input.model, smk.params.model_name, asr["device"], asr["compute_type"], smk.threads
    )
    t1 = time.perf_counter()
    audio, _ = load_wav(smk.input.wav)
    decode = dataclasses.replace(DecodeOptions.from_config(asr), task="transcribe")
    guards, languages = GuardOptions.from_config(asr), LanguageOptions.from_config(asr)
    transcript = transcribe_audio(model, audio, decode, guards, languages)
    write_json(smk.output.transcript, transcript.to_dict())
    if smk.params.translate:
        if not model.multilingual:
            raise SubvoxError(f"task translate needs a multilingual model; {smk.params.model_name} is English-only")
        translation = transcribe_audio(
            model,
            audio,
            dataclasses.replace(decode, task="translate"),
            guards,
            languages,
            regions=regions_of(transcript),
        )
        write_json(smk.output.translation, translation.to_dict())
    t2 = time.perf_counter()
    log.info(
        "%s: %d segments, language %s (%.2f), load %.2f s, transcribe %.2f s, RTF %.3f",
        smk.params.relpath,
        len(transcript.segments),
        transcript.language,
        transcript.language_probability,
        t1 - t0,
        t2 - t1,
        (t2 - t1) / max(transcript.duration, 1e-9),
    )


run(snakemake, main)
