"""Re-voicing end to end: real clips in real containers, piper's neural voice, the real workflow.

Checks what a user of the dub relies on: it says what the subtitles say (round-trip WER
with tiny.en, measured here independently of subvox's own QA), it has the source's exact
length and rate, videos keep their video and original audio packets untouched and gain
one tagged audio track, reruns redo nothing, a speaker change redoes dubs but not
subtitles, and returning to the first speaker gives byte-identical dubs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pysrt
import pytest
import soundfile

from subvox.asr.wer import wer
from subvox.models import store as models
from tests.helpers import clip, ffprobe, make_audio, make_video, packets_hash, snakemake, write_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """Held-out real English speech: two videos (mp4/aac, mkv/opus) and two WAVs (mono, stereo 44.1 kHz)."""
    root = tmp_path_factory.mktemp("dub") / "media"
    files = {
        "video/LJ001-0003": make_video(clip("coqui_LJ001-0003").path, root / "video" / "LJ001-0003.mp4"),
        "video/printing": make_video(clip("LJ001-0001").path, root / "video" / "printing.mkv", acodec="libopus"),
        "audio/LJ001-0004": make_audio(clip("coqui_LJ001-0004").path, root / "audio" / "LJ001-0004.wav"),
        "audio/jfk": make_audio(clip("jfk").path, root / "audio" / "jfk.wav"),
    }
    return root, files


def source_duration(path: Path) -> float:
    return stream_duration(next(s for s in ffprobe(path)["streams"] if s["codec_type"] == "audio"))


def stream_duration(stream: dict) -> float:
    """A stream's duration as the container states it (Matroska: a tag)."""
    if "duration" in stream:
        return float(stream["duration"])
    h, m, sec = stream["tags"]["DURATION"].split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run(library, tmp_path_factory):
    root, files = library
    work = tmp_path_factory.mktemp("dubrun")
    conf = {"input_dir": str(root), "output_dir": str(work / "out"), "models_dir": str(work / "models")}
    write_config(work, **conf, revoice={"enabled": True, "speaker": "joe"})
    proc = snakemake(work)
    return work, work / "out", files, conf, proc


def test_every_file_gets_a_dub_of_the_sources_exact_length_and_rate(run):
    _, out, files, _, _ = run
    for stem, media in files.items():
        dub = out / f"{stem}.revoiced.wav"
        info = soundfile.info(str(dub))
        source_rate = int(next(s for s in ffprobe(media)["streams"] if s["codec_type"] == "audio")["sample_rate"])
        assert info.samplerate == source_rate, stem
        assert abs(info.frames / info.samplerate - source_duration(media)) <= 0.010, stem
        assert info.channels == 1  # replace mode: the dub alone


def test_the_dub_says_what_the_subtitles_say(run):
    """Round-trip WER with tiny.en, transcribed here with faster-whisper directly."""
    from faster_whisper import WhisperModel

    _, out, files, _, _ = run
    model = WhisperModel(str(models.ct2_source("tiny.en", "models")), device="cpu", compute_type="int8")
    refs, hyps = [], []
    for stem in files:
        text = " ".join(" ".join(s.text.split()) for s in pysrt.open(str(out / f"{stem}.srt")))
        segments, _ = model.transcribe(str(out / f"{stem}.revoiced.wav"), beam_size=5, language="en")
        heard = " ".join(s.text.strip() for s in segments)
        print(f"{stem}: WER {wer(text, heard):.3f}\n  subtitles: {text}\n  dub:       {heard}")
        refs.append(text)
        hyps.append(heard)
        qa = json.loads((out / "_subvox" / "qa" / f"{stem}.revoice.json").read_text())
        assert qa["overflows"] == 0 or qa["overflowing"], "every overflowing cue is listed"
        assert qa["roundtrip_wer"] <= 0.25 and 0.0 <= qa["similarity_to_source"] <= 1.0, stem
    corpus = wer(" ".join(refs), " ".join(hyps))
    print(f"corpus round-trip WER {corpus:.3f}")
    assert corpus <= 0.15


def test_videos_keep_their_streams_untouched_and_gain_a_tagged_dub_track(run):
    _, out, files, _, _ = run
    for stem, media in files.items():
        muxed = out / f"{stem}.revoiced{media.suffix}"
        if not stem.startswith("video/"):
            assert sorted(p.name for p in muxed.parent.glob(f"{media.stem}.revoiced.*")) == [
                f"{media.stem}.revoiced.wav"
            ]
            continue
        streams = ffprobe(muxed)["streams"]
        assert [s["codec_type"] for s in streams] == ["video", "audio", "audio"], stem
        dub = streams[2]
        title = dub["tags"].get("title") or dub["tags"].get("handler_name")  # MP4 names tracks by handler
        assert dub["tags"].get("language") == "eng" and title == "subvox dub (joe)", stem
        assert dub["disposition"]["default"] == 0
        assert packets_hash(muxed, "0:v") == packets_hash(media, "0:v"), "video packets bit-identical"
        assert packets_hash(muxed, "0:a:0") == packets_hash(media, "0:a:0"), "original audio kept as is"
        assert abs(stream_duration(dub) - source_duration(media)) < 0.05


def test_summary_carries_the_dub_figures(run):
    _, out, files, _, proc = run
    rows = list(csv.DictReader((out / "summary.tsv").open(), delimiter="\t"))
    assert len(rows) == len(files) and all(r["dub_wer"] != "" and r["dub_overflows"] != "" for r in rows)
    assert f"{len(files)} dubbed" in proc.stderr


def test_report_lists_the_dubs(run):
    work, out, files, _, _ = run
    snakemake(work, "report")
    assert (out / "report.html").is_file()
    for stem in files:  # each file's review page plays its dub and lists the dub's QA
        page = (out / "report_files" / f"{stem}.html").read_text(encoding="utf-8")
        assert '<audio id="dub"' in page and f"{Path(stem).name}.revoiced" in page, stem
        dub = page.split("<h2>Dub</h2>", 1)[1].split("<h2>", 1)[0]
        assert "<td>joe</td>" in dub, dub


def test_rerun_redoes_nothing_and_a_speaker_change_redoes_only_the_dubs(run, library):
    work, out, files, conf, _ = run
    outputs = sorted(p for p in out.rglob("*") if p.is_file() and "_subvox" not in p.parts and p.suffix != ".tsv")
    before = {p: p.stat().st_mtime_ns for p in outputs}
    first = {stem: digest(out / f"{stem}.revoiced.wav") for stem in files}
    dry = snakemake(work, "-n")
    assert "revoice" not in dry.stdout and "subtitles" not in dry.stdout
    snakemake(work)
    assert {p: p.stat().st_mtime_ns for p in outputs} == before, "a finished library is left alone"

    write_config(work, **conf, revoice={"enabled": True, "speaker": "robot", "mix": "duck"})
    snakemake(work)
    srt = out / "audio" / "jfk.srt"
    assert srt.stat().st_mtime_ns == before[srt], "subtitles are not redone for a speaker change"
    jfk = soundfile.info(str(out / "audio" / "jfk.revoiced.wav"))
    assert jfk.channels == 2, "duck keeps the original's channels"
    assert digest(out / "audio" / "jfk.revoiced.wav") != first["audio/jfk"]

    write_config(work, **conf, revoice={"enabled": True, "speaker": "joe"})
    snakemake(work)
    assert {stem: digest(out / f"{stem}.revoiced.wav") for stem in files} == first, "dubs are reproducible"
    shutil.rmtree(work / "models", ignore_errors=True)


def test_a_file_whose_dub_fails_costs_the_others_nothing(run):
    work, out, files, conf, _ = run
    write_config(work, **conf, revoice={"enabled": True, "speaker": "joe", "mix": "duck"})
    (out / "_subvox" / "probe" / "audio" / "jfk.json").unlink()  # the dub stage needs it
    proc = snakemake(work, check=False)
    assert proc.returncode == 1, "failed files show in the exit status"
    rows = list(csv.DictReader((out / "failed.tsv").open(), delimiter="\t"))
    assert [(r["input"], r["stage"]) for r in rows] == [("audio/jfk.wav", "revoice")]
    assert "\n" not in rows[0]["reason"] and "jfk.wav" in rows[0]["reason"]
    for stem in files:
        qa = json.loads((out / "_subvox" / "qa" / f"{stem}.revoice.json").read_text())
        assert (qa["mix"] == "duck") == (stem != "audio/jfk"), "the others are dubbed anew, jfk keeps its old dub"
    assert "3 dubbed" in proc.stderr and "1 failed" in proc.stderr
