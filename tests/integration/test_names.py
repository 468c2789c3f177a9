"""Any name the file system holds: non-UTF-8 names are processed under an escaped name, odd entries reported."""

from __future__ import annotations

import csv
import json
import os

import pytest

from tests.helpers import clip, copy, snakemake, write_config

pytestmark = pytest.mark.slow

LATIN1 = b"caf\xe9 latin1.flac"  # Latin-1 bytes, as copied from an old NAS share
BROKEN = b"bad \xff\xfe sequence.flac"  # bytes that are no encoding's text


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("names")
    media = work / "media"
    good = clip("coqui_LJ001-0002").path
    copy(good, media / "good.flac")
    copy(good, media / "nested" / "ünïcödé.flac")
    data = good.read_bytes()
    for name in (LATIN1, b"nested/" + BROKEN):
        with open(os.fsencode(media) + b"/" + name, "wb") as fh:
            fh.write(data)
    os.mkfifo(media / "pipe.wav")  # reading it would block forever
    os.symlink("/dev/zero", media / "zero.wav")  # reading it would never end
    os.symlink(media / "gone.wav", media / "dangling.wav")
    os.symlink(media / "loop_b.mp3", media / "loop_a.mp3")
    os.symlink(media / "loop_a.mp3", media / "loop_b.mp3")
    (media / "folder.mp4").mkdir()
    (media / "notes.txt").write_text("not media, never reported\n")
    (media / ".hidden.wav").write_bytes(b"hidden files stay silently ignored")
    config = write_config(
        work, input_dir=str(media), output_dir=str(work / "out"), asr={"model": "tiny.en"}, batch_size=3
    )
    first = snakemake(work, config=config, timeout=600)
    second = snakemake(work, config=config, timeout=120)
    return work / "out", first, second


def test_every_name_gets_subtitles_under_its_display_name(run):
    out, first, _ = run
    for stem in ("good", "nested/ünïcödé", "caf\\xe9 latin1", "nested/bad \\xff\\xfe sequence"):
        srt = out / f"{stem}.srt"
        assert srt.is_file() and "-->" in srt.read_text(encoding="utf-8"), stem
        data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        assert data["source"]["source"] == f"{stem}.flac"
    rows = list(csv.DictReader((out / "summary.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert sorted(r["source"] for r in rows) == sorted(
        ["good.flac", "nested/ünïcödé.flac", "caf\\xe9 latin1.flac", "nested/bad \\xff\\xfe sequence.flac"]
    )
    assert (out / "failed.tsv").read_text(encoding="utf-8") == "input\tstage\treason\n"
    assert "4 of 4 files have subtitles; none failed; 6 entries skipped" in first.stderr


def test_odd_entries_are_listed_once_with_a_reason(run):
    out, _, _ = run
    rows = list(csv.DictReader((out / "skipped.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert {r["entry"]: r["reason"] for r in rows} == {
        "dangling.wav": "a symlink whose target does not exist",
        "folder.mp4": "a folder, not a media file",
        "loop_a.mp3": "a symlink loop",
        "loop_b.mp3": "a symlink loop",
        "pipe.wav": "a named pipe (FIFO), not a regular file",
        "zero.wav": "a character device, not a regular file",
    }
    assert len(rows) == 6


def test_rerun_is_a_no_op_and_logs_are_readable(run):
    out, _, second = run
    assert "This run: 0 files processed, 0 failed, 4 already done" in second.stderr
    assert "6 entries skipped" in second.stderr, "reported on every run, not only the first"
    for log in (out / "_subvox" / "logs").rglob("*.log"):
        log.read_text(encoding="utf-8")  # valid UTF-8 whatever the names
