"""SIGKILL in the middle of a run: nothing half-written looks complete, and a rerun finishes the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.helpers import REPO, SNAKEMAKE, clip, copy, snakemake, write_config

pytestmark = pytest.mark.slow

CLIPS = ["jfk", "LJ001-0001", "coqui_LJ001-0002", "coqui_LJ001-0003", "coqui_LJ001-0004", "lhotse_ami"]


def outputs(out):
    """Every user-facing file under ``out`` (relative path -> bytes), plus hidden leftovers."""
    files, hidden = {}, []
    for p in sorted(out.rglob("*")):
        if not p.is_file() or "_subvox" in p.relative_to(out).parts:
            continue
        if p.name.startswith("."):
            hidden.append(p)
        else:
            files[str(p.relative_to(out))] = p.read_bytes()
    return files, hidden


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("interrupt") / "media"
    for name in CLIPS:
        c = clip(name)
        copy(c.path, root / "set" / c.path.name)
    return root


def test_sigkill_then_rerun_gives_the_uninterrupted_outputs(media, tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    write_config(reference, input_dir=str(media), output_dir=str(reference / "out"), models_dir=str(tmp_path / "m"))
    snakemake(reference, cores=1)  # int8 decoding can differ with the thread count: keep it equal
    expected, _ = outputs(reference / "out")

    work = tmp_path / "killed"
    work.mkdir()
    write_config(work, input_dir=str(media), output_dir=str(work / "out"), models_dir=str(tmp_path / "m"), batch_size=2)
    cmd = [
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--cores",
        "1",
        "--configfile",
        str(work / "config.yaml"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    subtitles = work / "out" / "set"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if subtitles.is_dir() and len(list(subtitles.glob("*.srt"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be interrupted"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    partial, _ = outputs(work / "out")
    assert 0 < len(partial) < len(expected), "kill should land mid-run"
    for name, content in partial.items():
        if name not in ("summary.tsv", "failed.tsv"):
            assert content == expected[name], f"{name} exists but is not the complete output"

    # finished = recorded as done (a file killed between its SRT and its done-marker is redone)
    done = {m.name.removesuffix(".done") for m in (work / "out" / "_subvox" / "done").glob("*/set/*.done")}
    finished = {p: p.stat().st_mtime_ns for p in (work / "out" / "set").glob("*.srt") if p.stem in done}
    assert finished
    snakemake(work, "--unlock")
    snakemake(work, cores=1)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished, "the rerun redid finished files"
    final, hidden = outputs(work / "out")
    assert final == expected, "rerun after SIGKILL must equal an uninterrupted run byte for byte"
    assert hidden == []
