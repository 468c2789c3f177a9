"""Rule subtitles: build readable cues from the transcript and write SRT/VTT/TXT/JSON."""

import json

from subvox.rulescript import log, run
from subvox.subtitles import build_cues, write_outputs


def main(smk):
    with open(smk.input.transcript, encoding="utf-8") as fh:
        transcript = json.load(fh)
    with open(smk.input.probe, encoding="utf-8") as fh:
        transcript["source"] = json.load(fh)
    conf = smk.params.subtitles
    cues = build_cues(transcript["segments"], conf["max_line_chars"], conf["max_lines"])
    write_outputs(transcript, cues, dict(smk.output.items()))
    log.info("%s: %d cues", smk.params.relpath, len(cues))


run(snakemake, main)
