"""A library changed while a run's jobs are waiting: added, replaced, removed, renamed files and a
folder replaced by a file. No crash, nothing lost or done twice, the summary says what changed,
and the next run completes the rest: the same bytes as a fresh run on the final library.

The change is made as soon as the main process has frozen its plan (``_subvox/plan.json``), before
any job has opened a media file (a job's first second goes to imports and the model). The
cluster side, where jobs read the plan on their node, is in test_slurm.py.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, SNAKEMAKE, clip, copy, snakemake, write_config

pytestmark = pytest.mark.slow


def _library(root: Path) -> None:
    short, other, ami = clip("coqui_LJ001-0002"), clip("coqui_LJ001-0004"), clip("lhotse_ami")
    copy(short.path, root / "keep.flac")
    copy(other.path, root / "gone.flac")
    copy(short.path, root / "swapped.flac")
    copy(ami.path, root / "old name.wav")
    copy(other.path, root / "clips.wav" / "inside.flac")  # a folder named like media


def _change(root: Path) -> None:
    (root / "gone.flac").unlink()
    shutil.copyfile(clip("lhotse_ami").path, root / "swapped.flac.part")
    os.replace(root / "swapped.flac.part", root / "swapped.flac")  # replaced: other content
    os.rename(root / "old name.wav", root / "new name.wav")
    shutil.rmtree(root / "clips.wav")
    shutil.copyfile(clip("lhotse_ami").path, root / "clips.wav")  # the folder is now a file
    copy(clip("coqui_LJ001-0004").path, root / "later" / "added.flac")


def _srts(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.srt"))}


def test_a_library_changed_under_a_run_is_reported_and_completed_by_the_next(tmp_path):
    media, work = tmp_path / "media", tmp_path / "run"
    _library(media)
    work.mkdir()
    write_config(work, input_dir=str(media), output_dir=str(work / "out"), models_dir=str(tmp_path / "m"), batch_size=1)
    plan = work / "out" / "_subvox" / "plan.json"
    cmd = [SNAKEMAKE, "--configfile", str(work / "config.yaml"), "-s", str(REPO / "Snakefile")]
    proc = subprocess.Popen(
        ["timeout", "-k", "10", "600", *cmd, "--directory", str(work), "--cores", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not plan.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert plan.exists(), "the main process froze no plan"
    assert not list((work / "out").rglob("*.srt")), "a job finished before the library could be changed"
    _change(media)
    stdout, stderr = proc.communicate(timeout=660)
    assert proc.returncode == 0, stdout[-3000:] + stderr[-5000:]
    assert "changed during the run: 3 added, 1 replaced, 3 removed" in stderr, stderr[-3000:]
    with open(work / "out" / "changed.tsv", encoding="utf-8") as fh:
        changed = {(r["input"], r["change"]) for r in csv.DictReader(fh, delimiter="\t")}
    assert changed == {
        ("clips.wav", "added"),
        ("later/added.flac", "added"),
        ("new name.wav", "added"),
        ("gone.flac", "removed"),
        ("old name.wav", "removed"),
        ("clips.wav/inside.flac", "removed"),
        ("swapped.flac", "replaced"),
    }
    failed = (work / "out" / "failed.tsv").read_text(encoding="utf-8")
    assert failed.count("\n") == 1, f"a removed file is a change, not a failure: {failed}"

    second = snakemake(work)
    assert "4 files processed, 0 failed, 1 already done" in second.stderr, second.stderr[-3000:]
    assert "changed during the run" not in second.stderr
    assert (work / "out" / "changed.tsv").read_text(encoding="utf-8").count("\n") == 1

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_config(
        fresh, input_dir=str(media), output_dir=str(fresh / "out"), models_dir=str(tmp_path / "m"), batch_size=1
    )
    snakemake(fresh)
    expected = _srts(fresh / "out")
    assert sorted(expected) == ["clips.srt", "keep.srt", "later/added.srt", "new name.srt", "swapped.srt"]
    assert _srts(work / "out") == expected, "the next run completes the rest, byte-identical to a fresh run"
