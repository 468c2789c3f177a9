"""Rule subtitles: readable cues from the transcript, SRT/VTT/TXT/JSON, QA and optional sidecar."""

from pathlib import Path

from subvox.atomic import read_json, write_json
from subvox.qa import file_qa
from subvox.rulescript import log, run
from subvox.segment import CueLimits, segment_words
from subvox.subtitles import write_outputs, write_sidecar


def main(smk):
    conf = smk.params.subtitles
    limits = CueLimits.from_config(conf)
    transcript = read_json(smk.input.transcript)
    transcript["source"] = read_json(smk.input.probe)
    cues = segment_words(transcript["segments"], limits, transcript["duration"])
    reference = Path(smk.input.reference).read_text(encoding="utf-8") if smk.input.get("reference") else None
    qa = file_qa(transcript, cues, limits, reference)
    if conf["sidecar"]["enabled"]:
        qa["sidecar"] = write_sidecar(cues, smk.input.media, transcript["language"], conf["sidecar"]["overwrite"])
    transcript["qa"] = qa
    outputs = {fmt: smk.output.get(fmt) for fmt in ("srt", "vtt", "txt", "json") if smk.output.get(fmt)}
    write_outputs(transcript, cues, outputs)
    if smk.input.get("translation"):
        translation = read_json(smk.input.translation)
        en_cues = segment_words(translation["segments"], limits, translation["duration"])
        write_outputs(translation, en_cues, {"srt": smk.output.en_srt, "vtt": smk.output.en_vtt})
        qa["translation_cues"] = len(en_cues)
    write_json(smk.output.qa, {"source": smk.params.relpath, **qa})
    log.info(
        "%s: %d cues, language %s, %s",
        smk.params.relpath,
        len(cues),
        transcript["language"],
        "; ".join(qa["notes"]) or "no QA notes",
    )


run(snakemake, main)
