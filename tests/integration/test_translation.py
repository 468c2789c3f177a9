"""Translation end to end: the real workflow on real English speech with the real Apertium.

`translation.targets: [es, ca]` must give every file `clip.es.srt/.vtt/.json` and the same
for ca beside its English subtitles: valid files (read back with pysrt and webvtt-py), text
that is Spanish/Catalan (Apertium's words, not the English), cues inside the source's time
and under the subtitle limits, a broken file that costs the others nothing, a rerun that
does nothing, and a target added later that neither re-transcribes nor changes the others.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pysrt
import pytest
import webvtt

from tests.helpers import check_cues, clip, copy, snakemake, write_config

pytestmark = pytest.mark.slow


def digests(out: Path) -> dict[str, str]:
    """sha256 of every output beside the media (the subtitles, not the bookkeeping)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "_subvox" not in p.parts and p.suffix in (".srt", ".vtt", ".json", ".txt")
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("translate")
    media = work / "media"
    copy(clip("jfk").path, media / "talks" / "jfk.flac")
    copy(clip("coqui_LJ001-0004").path, media / "LJ001-0004.flac")
    (media / "broken.wav").write_bytes(b"RIFF not really a wave file")
    out = work / "out"
    write_config(
        work,
        input_dir=str(media),
        output_dir=str(out),
        models_dir=str(work / "models"),
        asr={"model": "tiny.en"},
        translation={"targets": ["es", "ca"]},
    )
    first = snakemake(work, check=False)
    return work, out, first


def test_every_file_gets_a_spanish_and_a_catalan_srt_vtt_and_json(run):
    _, out, first = run
    assert first.returncode == 1, "the broken file fails the run, and only it"
    assert "2 of 3 files have subtitles; 2 translated, 1 failed" in first.stderr
    for stem in ("talks/jfk", "LJ001-0004"):
        for lang in ("es", "ca"):
            for fmt in ("srt", "vtt", "json"):
                assert (out / f"{stem}.{lang}.{fmt}").is_file(), f"{stem}.{lang}.{fmt}"
    failed = (out / "failed.tsv").read_text(encoding="utf-8").splitlines()
    assert len(failed) == 2 and failed[1].startswith("broken.wav\tprepare_audio\t"), "its own stage and reason"
    assert not list(out.glob("broken.*"))


def test_the_spanish_is_spanish_and_keeps_the_source_timing(run):
    _, out, _ = run
    source = json.loads((out / "talks/jfk.json").read_text(encoding="utf-8"))
    english = " ".join(" ".join(c["lines"]) for c in source["cues"])
    first_word = source["segments"][0]["words"][0]["start"]
    srt = pysrt.open(str(out / "talks/jfk.es.srt"), encoding="utf-8")
    vtt = webvtt.read(str(out / "talks/jfk.es.vtt"))
    spanish = " ".join(item.text.replace("\n", " ") for item in srt)
    assert spanish == " ".join(c.text.replace("\n", " ") for c in vtt), "SRT and VTT say the same"
    assert "país" in spanish and "puede hacer" in spanish and spanish != english
    assert [(str(i.start).replace(",", "."), str(i.end).replace(",", ".")) for i in srt] == [
        (c.start, c.end) for c in vtt
    ]
    assert srt[0].start.ordinal / 1000 >= first_word - 0.5 and srt[-1].end.ordinal / 1000 <= source["duration"]
    record = json.loads((out / "talks/jfk.es.json").read_text(encoding="utf-8"))
    assert record["language"] == "es" and record["engines"]["en->es"]["engine"] == "apertium"
    assert record["sentences"][0]["source"].startswith("And so") and record["sentences"][0]["text"].startswith("Y")
    check_cues(record)
    catalan = (out / "talks/jfk.ca.srt").read_text(encoding="utf-8")
    assert "país" in catalan and "pot fer" in catalan


def test_a_rerun_does_nothing_and_an_added_target_touches_nothing_else(run):
    work, out, _ = run
    before = digests(out)
    times = {p: (out / p).stat().st_mtime_ns for p in before}
    retried = snakemake(work, check=False)  # retries the broken file only
    assert retried.returncode == 1 and "0 already done" not in retried.stderr
    assert digests(out) == before and all((out / p).stat().st_mtime_ns == t for p, t in times.items())
    (work / "media" / "broken.wav").unlink()
    idle = snakemake(work, "--dry-run")
    assert "rule translate" not in idle.stdout and "rule subtitles" not in idle.stdout, idle.stdout
    write_config(  # one more target: only translations are made again, the transcripts are reused
        work,
        input_dir=str(work / "media"),
        output_dir=str(out),
        models_dir=str(work / "models"),
        asr={"model": "tiny.en"},
        translation={"targets": ["es", "ca", "en"]},
    )
    added = snakemake(work)
    assert "rule translate:" in added.stderr and "rule subtitles:" in added.stderr  # the batch, its files skipped
    after = digests(out)
    assert {k: v for k, v in after.items() if k in before} == before, "byte-identical outputs"
    assert (out / "talks/jfk.srt").stat().st_mtime_ns == times["talks/jfk.srt"], "subtitles not rewritten"
    english = json.loads((out / "talks/jfk.en.json").read_text(encoding="utf-8"))
    assert english["engines"]["en->en"]["engine"].startswith("none"), "the source language is kept as spoken"
