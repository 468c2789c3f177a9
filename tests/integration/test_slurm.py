"""The workflow on a real two-node SLURM (munge, slurmctld and two slurmd started by the test).

Marked `slurm` (CI runs it). One run holds every scenario, since each job costs ~5 s of start-up:

* its jobs are queued while the partition is down and the library changes under them (a file
  removed, one replaced, one added): the jobs read the frozen plan, not the library;
* the two first batches run on the two nodes, each asking SLURM for a GPU (``resources.
  subtitles.gpu: 1``; the nodes' GPUs are GRES on /dev/null, so nothing runs on them);
* once one batch has finished a file its job is cancelled (``scancel``) and the other node is
  failed (its slurmd and its job's processes SIGKILLed): Snakemake retries both on the node
  left, and the cancelled batch redoes only the file without a done-marker;
* the next (local) run completes the changed files, and every subtitle file is byte-identical
  to a fresh local run on the final library.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REPO, SNAKEMAKE, clip, concat_audio, copy, snakemake, write_config
from tests.slurm_cluster import SlurmCluster, missing_tools, wait_for

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
KEY = re.compile(r"[0-9a-f]{16}")


@pytest.fixture(scope="module")
def cluster():
    missing = missing_tools()
    if missing or os.geteuid() != 0:
        pytest.fail(
            f"a real SLURM needs root and {', '.join(missing) or 'slurm-wlm'}: run `make test` (it installs them)"
        )
    c = SlurmCluster(Path(tempfile.mkdtemp(prefix="subvox-slurm-")))
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(c.root, ignore_errors=True)


def _library(root: Path) -> None:
    """Three batches of two (batch_size 2): a*, b* run first, c* is held back and changed.

    The second file of a and b lasts about a minute, so each of those jobs runs on for a while
    with its short first file done (the two of a batch share decode batches: equally short
    files finish within milliseconds of each other, too fast for the test to see)."""
    for name, prefix in (
        ("a1.flac", "coqui_LJ001-0004"),
        ("b1.flac", "coqui_LJ001-0003"),
        ("c1.flac", "coqui_LJ001-0002"),
        ("c2.flac", "coqui_LJ001-0002"),
    ):
        copy(clip(prefix).path, root / name)
    long = [clip(p).path for p in ("LJ001-0001", "jfk", "coqui_LJ001-0003", "lhotse_ami", "coqui_LJ001-0004")]
    concat_audio(long * 2, root / "a2.wav", gap_s=0.5)
    concat_audio(long[::-1] * 2, root / "b2.wav", gap_s=0.5)


def srts(out: Path) -> dict[str, bytes]:
    """Every subtitle output (SRT, VTT, TXT, JSON) by its path, outside the bookkeeping folder."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.suffix in (".srt", ".vtt", ".txt", ".json") and "_subvox" not in p.relative_to(out).parts
    }


def _pending(cluster: SlurmCluster, count: int) -> list[dict[str, str]] | None:
    pending = [j for j in cluster.jobs() if j["state"] == "PENDING"]
    return pending if len(pending) == count else None


def _config(workdir: Path, media: Path, models: Path) -> None:
    workdir.mkdir()
    resources = {"subtitles": {"threads": 2, "mem_mb": 2000, "runtime": 30, "gpu": 1, "retries": 1}}
    write_config(
        workdir, input_dir=str(media), output_dir=str(workdir / "out"), models_dir=str(models), batch_size=2,
        resources=resources,
    )  # fmt: skip


def test_one_run_spreads_over_two_nodes_survives_a_cancelled_job_a_failed_node_and_a_changing_library(
    cluster, tmp_path
):
    media, remote = tmp_path / "media", tmp_path / "remote"
    _library(media)
    _config(remote, media, tmp_path / "models")
    out = remote / "out"
    cmd = [
        "timeout", "-k", "10", "600", SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(remote),
        "--configfile", str(remote / "config.yaml"), "--workflow-profile", str(REPO / "profiles" / "slurm"),
        "--jobs", "4", "--verbose", "--default-resources", "slurm_partition=debug", "slurm_account=test",
        "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
    ]  # fmt: skip
    cluster.scontrol("update", "PartitionName=debug", "State=DOWN")  # jobs are accepted and wait
    log = (tmp_path / "snakemake.log").open("w+")
    proc = subprocess.Popen(  # its own session: a failing test kills snakemake too, not only `timeout`
        cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=cluster.env, start_new_session=True
    )
    try:
        queued = wait_for(lambda: _pending(cluster, 3), 120, "3 queued jobs", 0.2)
        plan = json.loads((out / "_subvox" / "plan.json").read_text())
        key_of = {m: k for k, members in plan["batches"].items() for m in members}
        job_of = {KEY.search(j["comment"]).group(): j["id"] for j in queued}
        assert sorted(map(sorted, plan["batches"].values())) == [["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]
        held = job_of[key_of["c1"]]
        cluster.scontrol("hold", held)
        (media / "c1.flac").unlink()  # removed while queued
        shutil.copyfile(clip("lhotse_ami").path, media / "c2.flac")  # replaced while queued
        copy(clip("jfk").path, media / "d1.flac")  # added while queued
        cluster.scontrol("update", "PartitionName=debug", "State=UP")

        done = out / "_subvox" / "done"

        def one_file_in():
            running = {KEY.search(j["comment"]).group(): j for j in cluster.jobs() if j["state"] == "RUNNING"}
            if len(running) < 2:
                return None
            for key, job in running.items():
                finished = [m for m in plan["batches"][key] if list(done.glob(f"*/{m}.done"))]
                if len(finished) == 1:
                    return job, finished[0], next(j for k, j in running.items() if k != key)

        cancelled, first, failed = wait_for(one_file_in, 180, "a batch on each node, one with a file done", 0.2)
        kept = (out / f"{first}.srt").stat()
        subprocess.run(["scancel", cancelled["id"]], check=True, timeout=30, env=cluster.env)
        assert cluster.fail_node(failed["node"]) == [failed["id"]]
        cluster.scontrol("release", held)
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.seek(0)
        text = log.read()
        log.close()
        for node in cluster.nodes:  # the failed node back into service, for whatever runs next
            if cluster.node_states().get(node) != "idle":
                cluster.start_node(node)
    assert proc.returncode == 0, text[-8000:]
    assert "4 of 5 files have subtitles; none failed, 1 unfinished" in text, text[-3000:]
    assert "changed during the run: 1 added, 1 replaced, 1 removed" in text

    jobs = {j["id"]: j for j in cluster.jobs()}
    assert jobs[cancelled["id"]]["state"] == "CANCELLED" and jobs[failed["id"]]["state"] == "NODE_FAIL", jobs
    assert {cancelled["node"], failed["node"]} == set(cluster.nodes), "the first two batches ran on both nodes"
    completed = [j for j in jobs.values() if j["state"] == "COMPLETED"]
    for victim in (cancelled, failed):
        retried = [j for j in completed if j["comment"] == victim["comment"]]
        assert len(retried) == 1 and retried[0]["node"] == cancelled["node"], (victim, jobs)
    assert (out / f"{first}.srt").stat().st_ino == kept.st_ino, "the retry redid a file that had its done-marker"
    assert len(completed) == 3 and all("gres:gpu:1" in j["gpus"] for j in jobs.values()), jobs
    assert re.search(r"sbatch call: .*--gpus=1", text), "the GPU request is in the generated sbatch call"
    assert not (out / "c1.srt").exists() and not (out / "c2.srt").exists() and not (out / "d1.srt").exists()

    nxt = snakemake(remote)  # the next run (local) takes up what changed
    assert "2 files processed, 0 failed, 4 already done" in nxt.stderr, nxt.stderr[-3000:]
    local = tmp_path / "local"
    _config(local, media, tmp_path / "models")
    snakemake(local)
    expected = srts(local / "out")
    stems = ["a1", "a2", "b1", "b2", "c2", "d1"]
    assert sorted(k for k in expected if k.endswith(".srt")) == [f"{s}.srt" for s in stems]
    assert len(expected) == 4 * 6, "SRT, VTT, TXT and JSON of each file"
    assert srts(out) == expected, "byte-identical to an uninterrupted local run"
