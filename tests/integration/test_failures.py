"""A library with broken and hostile files: good files finish, bad ones are explained, nothing runs."""

from __future__ import annotations

import csv
import json
import os
import shutil

import pytest

from subvox.asr.wer import wer
from subvox.reports.review.peaks import MAX_BINS, PER_SECOND
from tests.helpers import clip, copy, ffmpeg, make_audio, make_video, snakemake, synth, two_tracks, write_config

pytestmark = pytest.mark.slow

HOSTILE = [
    "$(touch pwned).flac",
    "-leading dash.flac",
    "semi;colon `touch pwned2`.flac",
    "new\nline.flac",
    'quote\'s "x" [1].flac',
    "ünïcödé – 字幕.flac",
    "lecture {2} {batch}.flac",
]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    work = tmp_path_factory.mktemp("failures")
    media = work / "media"
    good = clip("coqui_LJ001-0002").path
    for name in HOSTILE:
        copy(good, media / "hostile" / name)
    (media / "bad").mkdir(parents=True)
    (media / "bad" / "empty.mp4").write_bytes(b"")
    (media / "bad" / "notes.mp4").write_text("just text\n")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=5:duration=2",
        "-pix_fmt",
        "yuv420p",
        str(media / "bad" / "no audio.mp4"),
    )
    full = make_video(good, work / "full.mp4")
    data = full.read_bytes()
    (media / "bad" / "truncated.mp4").write_bytes(data[: len(data) // 3])
    ffmpeg(
        "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", "-c:a", "pcm_s16le", str(media / "bad" / "zero.wav")
    )
    # awkward but valid audio
    speech = clip("coqui_LJ001-0004").path
    make_audio(speech, media / "odd" / "telephone 8k.mp3", "-ar", "8000", "-ac", "1")
    make_audio(speech, media / "odd" / "surround 5.1.wav", "-ar", "48000", "-ac", "6")
    make_audio(speech, media / "odd" / "blip.wav", "-t", "0.4")
    synth(media / "odd" / "hour of silence.flac", "anullsrc=r=16000:cl=mono", 3600)
    two_tracks(clip("leopard_test_de").path, speech, str(media / "odd" / "two tracks.mkv"))
    copy(speech, media / "dup" / "clip.flac")
    make_audio(speech, media / "dup" / "clip.mp3")
    (media / "odd" / "loop").symlink_to(media / "odd")
    write_config(
        work,
        input_dir=str(media),
        output_dir=str(work / "out"),
        models_dir=str(work / "models"),
        audio={"prefer_languages": ["eng"]},
    )
    proc = snakemake(work, check=False)
    return work, media, proc


def failed_rows(out):
    with open(out / "failed.tsv", encoding="utf-8", newline="") as fh:
        return {row["input"]: row for row in csv.DictReader(fh, delimiter="\t")}


def test_every_good_file_is_done_despite_bad_ones(library):
    work, _, proc = library
    out = work / "out"
    for name in HOSTILE:
        stem = os.path.splitext(name)[0]
        assert (out / "hostile" / f"{stem}.srt").read_text(encoding="utf-8").strip(), name
    assert proc.returncode != 0, "the run must say that some files failed"
    assert "14 of 19 files have subtitles; 5 failed" in proc.stderr


def test_awkward_valid_audio_is_transcribed(library):
    work, _, _ = library
    out = work / "out"
    reference = clip("coqui_LJ001-0004").reference
    for stem in ("odd/telephone 8k", "odd/surround 5.1", "odd/two tracks", "dup/clip.flac", "dup/clip.mp3"):
        data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        text = " ".join(s["text"] for s in data["segments"])
        assert wer(reference, text) <= 0.25, (stem, text)
    assert json.loads((out / "odd" / "two tracks.json").read_text())["source"]["extracted"]["audio_stream"] == 1
    silence = json.loads((out / "odd" / "hour of silence.json").read_text(encoding="utf-8"))
    assert silence["cues"] == [] and silence["duration"] == pytest.approx(3600, abs=0.1)
    assert (out / "odd" / "blip.srt").is_file()


def test_failed_tsv_names_each_bad_file_with_stage_and_reason(library):
    work, _, _ = library
    rows = failed_rows(work / "out")
    assert set(rows) == {"bad/empty.mp4", "bad/notes.mp4", "bad/no audio.mp4", "bad/truncated.mp4", "bad/zero.wav"}
    assert "empty file (0 bytes)" in rows["bad/empty.mp4"]["reason"]
    assert "not readable media" in rows["bad/notes.mp4"]["reason"]
    assert "no audio stream" in rows["bad/no audio.mp4"]["reason"]
    assert rows["bad/truncated.mp4"]["reason"]
    assert "no audio stream" in rows["bad/zero.wav"]["reason"] or "zero samples" in rows["bad/zero.wav"]["reason"]
    assert all(r["stage"] == "prepare_audio" for r in rows.values())
    for name, row in rows.items():
        assert "\n" not in row["reason"]
        assert name in row["reason"] and str(work) not in row["reason"], "named as in the library, not by path"


def test_report_is_built_and_lists_the_failures(library):
    work, _, _ = library
    proc = snakemake(work, "report", check=False)
    assert proc.returncode != 0, "still failing files keep the exit status non-zero"
    page = (work / "out" / "report.html").read_text(encoding="utf-8")
    for name in ("bad/empty.mp4", "bad/notes.mp4", "bad/no audio.mp4", "bad/truncated.mp4", "bad/zero.wav"):
        assert name in page
    pages = sorted((work / "out" / "report_files").rglob("*.html"))
    assert len(pages) == 14, "a review page for each finished file"
    for path in pages:  # each page carries its waveform (silent files: all zero)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text.split('id="review-data">', 1)[1].split("</script>", 1)[0])
        bins = min(MAX_BINS, PER_SECOND * data["duration"])  # the 0.4-s blip has 20, the silent hour 3,000
        assert data["duration"] > 0 and abs(len(data["peaks"]) - bins) <= 2, path


def test_names_run_nothing(library):
    work, _, _ = library
    assert not list(work.rglob("pwned*"))
    assert not os.path.exists("pwned") and not os.path.exists("pwned2")


def test_rerun_retries_only_the_failed_files(library):
    work, media, _ = library
    out = work / "out"
    done = {p: p.stat().st_mtime_ns for p in (out / "hostile").iterdir()}
    shutil.copyfile(clip("coqui_LJ001-0004").path, media / "bad" / "notes.mp4")  # fixed by the user
    proc = snakemake(work, check=False)
    assert "15 of 19 files have subtitles; 4 failed" in proc.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "hostile").iterdir()} == done, "finished files redone"
    assert (out / "bad" / "notes.srt").is_file()
    assert set(failed_rows(out)) == {"bad/empty.mp4", "bad/no audio.mp4", "bad/truncated.mp4", "bad/zero.wav"}
