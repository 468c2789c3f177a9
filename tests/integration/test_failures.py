"""A library with broken and hostile files: good files finish, bad ones are explained, nothing runs."""

from __future__ import annotations

import csv
import os
import shutil

import pytest

from tests.helpers import clip, copy, ffmpeg, make_video, snakemake, write_config

pytestmark = pytest.mark.slow

HOSTILE = [
    "$(touch pwned).flac",
    "-leading dash.flac",
    "semi;colon `touch pwned2`.flac",
    "new\nline.flac",
    'quote\'s "x" [1].flac',
    "ünïcödé – 字幕.flac",
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
    write_config(work, input_dir=str(media), output_dir=str(work / "out"), models_dir=str(work / "models"))
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
    assert "6 of 10 files have subtitles; 4 failed" in proc.stderr


def test_failed_tsv_names_each_bad_file_with_stage_and_reason(library):
    work, _, _ = library
    rows = failed_rows(work / "out")
    assert set(rows) == {"bad/empty.mp4", "bad/notes.mp4", "bad/no audio.mp4", "bad/truncated.mp4"}
    assert "empty file (0 bytes)" in rows["bad/empty.mp4"]["reason"]
    assert "not readable media" in rows["bad/notes.mp4"]["reason"]
    assert "no audio stream" in rows["bad/no audio.mp4"]["reason"]
    assert rows["bad/truncated.mp4"]["reason"]
    assert all(r["stage"] == "prepare_audio" for r in rows.values())
    for row in rows.values():
        assert "\n" not in row["reason"]


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
    assert "7 of 10 files have subtitles; 3 failed" in proc.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "hostile").iterdir()} == done, "finished files redone"
    assert (out / "bad" / "notes.srt").is_file()
    assert set(failed_rows(out)) == {"bad/empty.mp4", "bad/no audio.mp4", "bad/truncated.mp4"}
