"""The workflow on a real single-node SLURM (munge + slurmctld + slurmd started by the test).

Marked `slurm` (CI runs it): same subtitles as a local run, jobs visible to SLURM.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REPO, SNAKEMAKE, clip, copy, snakemake, write_config
from tests.slurm_cluster import SlurmCluster, missing_tools

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


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


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm") / "media"
    for name in ("jfk", "coqui_LJ001-0003", "lhotse_ami"):
        c = clip(name)
        copy(c.path, root / "set" / c.path.name)
    return root


def srts(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.srt"))}


def test_slurm_run_matches_local_run_and_jobs_are_in_the_queue(cluster, media, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    write_config(
        local, input_dir=str(media), output_dir=str(local / "out"), models_dir=str(tmp_path / "models"), batch_size=2
    )
    snakemake(local)

    remote = tmp_path / "remote"
    remote.mkdir()
    write_config(
        remote, input_dir=str(media), output_dir=str(remote / "out"), models_dir=str(tmp_path / "models"), batch_size=2
    )
    cmd = [
        "timeout",
        "-k",
        "10",
        "600",
        SNAKEMAKE,
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(remote),
        "--configfile",
        str(remote / "config.yaml"),
        "--workflow-profile",
        str(REPO / "profiles" / "slurm"),
        "--jobs",
        "4",
        "--default-resources",
        "slurm_partition=debug",
        "slurm_account=test",
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=cluster.env, timeout=660)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "3 of 3 files have subtitles; none failed" in proc.stderr

    expected = srts(local / "out")
    assert len(expected) == 3
    assert srts(remote / "out") == expected

    jobs = cluster.jobs()
    finished = [j for j in jobs if j["state"] == "COMPLETED"]
    assert len(finished) >= 2, jobs  # 3 files in batches of 2: two batch jobs
    assert all("subtitles" in j["comment"] for j in finished), jobs
