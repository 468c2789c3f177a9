"""A real single-node SLURM cluster (munge, slurmctld, slurmd) for tests, started and stopped here.

Only the daemons this module starts are stopped; every wait is bounded. Needs root and
Debian's slurm-wlm and munge packages (installed by `.ci/run` / `make slurm-deps`).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "sinfo")


def missing_tools() -> list[str]:
    return [t for t in REQUIRED if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _wait(predicate, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class SlurmCluster:
    root: Path
    hostname: str = field(default_factory=socket.gethostname)
    started: list[tuple[str, Path]] = field(default_factory=list)  # (daemon, pid file) we own
    linked: Path | None = None  # the default-path config link we made

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}

    def _memory_mb(self) -> int:
        out = subprocess.run([_tool("slurmd"), "-C"], capture_output=True, text=True, timeout=30).stdout
        real = int(re.search(r"RealMemory=(\d+)", out).group(1))
        return int(real * 0.9)

    def write_config(self) -> None:
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        r = self.root
        (r / "slurm.conf").write_text(
            f"""ClusterName=subvoxtest
SlurmctldHost={self.hostname}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName={self.hostname} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={self._memory_mb()} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""",
            encoding="utf-8",
        )

    def _munge_running(self) -> bool:
        return subprocess.run(["munge", "-n"], capture_output=True, timeout=10).returncode == 0

    def install_config(self) -> None:
        """Link our slurm.conf at the default path: jobs' srun cannot see SLURM_CONF (the
        executor plugin clears SLURM_* variables inside jobs), so it must be found there."""
        default = Path("/etc/slurm/slurm.conf")
        if default.is_symlink() and str(default.resolve()).startswith(tempfile.gettempdir()) and not default.exists():
            default.unlink()  # dangling link left by an earlier, killed test session
        if default.exists() or default.is_symlink():
            raise RuntimeError(f"{default} exists: this test starts its own cluster and will not replace it")
        default.parent.mkdir(parents=True, exist_ok=True)
        default.symlink_to(self.root / "slurm.conf")
        self.linked = default

    def start(self) -> None:
        self.write_config()
        self.install_config()
        if not self._munge_running():
            run_dir = Path("/run/munge")
            run_dir.mkdir(parents=True, exist_ok=True)
            munge = pwd.getpwnam("munge")
            os.chown(run_dir, munge.pw_uid, munge.pw_gid)
            pidfile = run_dir / "subvox-test-munged.pid"  # munged (user munge) must be able to write it
            subprocess.run(
                ["runuser", "-u", "munge", "--", _tool("munged"), "--pid-file", str(pidfile)], check=True, timeout=30
            )
            self.started.append(("munged", pidfile))
            _wait(self._munge_running, 30, "munged")
        subprocess.run([_tool("slurmctld"), "-f", str(self.root / "slurm.conf")], check=True, timeout=30, env=self.env)
        self.started.append(("slurmctld", self.root / "slurmctld.pid"))
        subprocess.run([_tool("slurmd"), "-f", str(self.root / "slurm.conf")], check=True, timeout=30, env=self.env)
        self.started.append(("slurmd", self.root / "slurmd.pid"))
        _wait(self._node_ready, 90, "the SLURM node to become idle")

    def _node_ready(self) -> bool:
        proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10, env=self.env)
        return proc.returncode == 0 and proc.stdout.strip() in ("idle", "mixed", "allocated")

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller knows (finished ones too: MinJobAge keeps them an hour)."""
        proc = subprocess.run(
            ["squeue", "-h", "-t", "all", "-o", "%i|%j|%T|%k"],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.env,
            check=True,
        )
        rows = [line.split("|") for line in proc.stdout.splitlines() if line.strip()]
        return [{"id": r[0], "name": r[1], "state": r[2], "comment": r[3]} for r in rows]

    def stop(self) -> None:
        for name, pidfile in reversed(self.started):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                _wait(lambda p=pid: not Path(f"/proc/{p}").exists(), 20, f"{name} to stop", 0.2)
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
        self.started.clear()
        if self.linked is not None:
            self.linked.unlink(missing_ok=True)
            self.linked = None
