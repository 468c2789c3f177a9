"""Planning and submitting a library to SLURM: a 1,000-file library in batches of 20 (50 jobs).

    .venv/bin/python bench/slurm_submit.py [--files 1000] [--batch-size 20] [--repeat 2]

Starts the tests' real two-node SLURM (tests/slurm_cluster.py; needs root, slurm-wlm, munge)
with its partition down, so the jobs are submitted and wait, and runs the SLURM workflow
profile on a library of hard links to one real clip. Prints, per run: seconds from start to
the frozen plan (``_subvox/plan.json``: scan, bookkeeping, batches), to the first and to the
last job in SLURM's queue, jobs submitted per second, and the main process's peak RSS
(VmHWM, sampled every 0.1 s). The run is then interrupted (Snakemake cancels its jobs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness import REPO
from harness.stats import md_table
from harness.workflow import SNAKEMAKE, write_config

from tests.slurm_cluster import SlurmCluster


def _peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_run(cluster: SlurmCluster, root: Path, config: Path, expected: int) -> list[float]:
    """[s to plan, s to first job queued, s to last job queued, jobs/s, peak RSS MB]."""
    shutil.rmtree(root / "out", ignore_errors=True)
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(root), "--configfile", str(config)]
    cmd += ["--workflow-profile", str(REPO / "profiles" / "slurm"), "--jobs", str(expected + 10)]
    cmd += ["--default-resources", "slurm_partition=debug", "slurm_account=bench", "--slurm-status-command", "squeue"]
    before = {j["id"] for j in cluster.jobs()}
    plan = root / "out" / "_subvox" / "plan.json"
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cluster.env)
    planned = first = last = None
    peak = 0.0
    try:
        while last is None and time.monotonic() - t0 < 600 and proc.poll() is None:
            peak = max(peak, _peak_mb(proc.pid))
            if planned is None and plan.exists():
                planned = time.monotonic() - t0
            queued = len([j for j in cluster.jobs() if j["id"] not in before])
            if queued and first is None:
                first = time.monotonic() - t0
            if queued >= expected:
                last = time.monotonic() - t0
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)  # Snakemake cancels the jobs it submitted
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
    if last is None or first is None or planned is None:
        raise RuntimeError(f"only some of {expected} jobs were queued in 600 s")
    rate = (expected - 1) / (last - first) if last > first else float("inf")
    return [planned, first, last, rate, peak]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="subvox-submit-"))
    clip = REPO / "tests" / "data" / "audio" / "coqui_LJ001-0002.flac"
    for i in range(args.files):
        target = root / "media" / f"show{i // 100:03d}" / f"episode {i % 100:02d}.flac"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(clip, target)
    config = write_config(
        root / "config.yaml", input_dir=str(root / "media"), output_dir=str(root / "out"),
        models_dir=str(root / "models"), batch_size=args.batch_size,
    )  # fmt: skip
    expected = -(-args.files // args.batch_size)
    cluster = SlurmCluster(root / "slurm")
    try:
        cluster.start()
        cluster.scontrol("update", "PartitionName=debug", "State=DOWN")  # submitted jobs wait
        rows = []
        for k in range(args.repeat):
            planned, first, last, rate, peak = one_run(cluster, root, config, expected)
            rows.append([str(k + 1), f"{planned:.2f}", f"{first:.2f}", f"{last:.2f}", f"{rate:.1f}", f"{peak:.0f}"])
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"library: {args.files} files, batch_size {args.batch_size}: {expected} SLURM jobs")
    heads = ["run", "plan frozen s", "first job queued s", "last job queued s", "jobs/s", "main RSS peak MB"]
    print(md_table(heads, rows))


if __name__ == "__main__":
    main()
