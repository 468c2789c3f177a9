"""A real SLURM cluster on this one machine (munge, slurmctld, one slurmd per node) for tests.

Several compute nodes share the machine through Slurm's own support for it: each node is a
``slurmd -N <name>`` with its own port (``Port=`` on its NodeName line), spool, pid and log
file (``%n`` in their paths); Debian's slurm-wlm 22.05 honours it. Each node offers one
GPU as a GRES backed by ``/dev/null`` (there is no GPU here): enough for SLURM to schedule
and account GPU requests, not to run CUDA. Only the daemons and job processes this module
starts are stopped, by pid; every wait is bounded. Needs root and Debian's slurm-wlm and
munge packages (installed by `.ci/run` / `make slurm-deps`).
"""

from __future__ import annotations

import contextlib
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

REQUIRED = ("slurmctld", "slurmd", "munged", "sbatch", "squeue", "sinfo", "scontrol", "scancel")


def missing_tools() -> list[str]:
    return [t for t in REQUIRED if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5):
    """The first true value of ``predicate()``, polled every ``interval`` s for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class SlurmCluster:
    root: Path
    nodes: tuple[str, ...] = ("node1", "node2")
    cpus: int = 2  # per node: a job asking for 2 threads takes a whole node
    hostname: str = field(default_factory=socket.gethostname)
    started: list[tuple[str, Path]] = field(default_factory=list)  # (daemon, pid file) we own
    linked: Path | None = None  # the default-path config link we made

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.root / "slurm.conf")}

    def _memory_mb(self) -> int:
        out = subprocess.run([_tool("slurmd"), "-C"], capture_output=True, text=True, timeout=30).stdout
        real = int(re.search(r"RealMemory=(\d+)", out).group(1))
        return int(real * 0.9 / len(self.nodes))

    def write_config(self) -> None:
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        r = self.root
        mem = self._memory_mb()
        nodes = "\n".join(
            f"NodeName={n} NodeHostname={self.hostname} NodeAddr=127.0.0.1 Port={6818 + i} CPUs={self.cpus} "
            f"RealMemory={mem} Gres=gpu:1 State=UNKNOWN"
            for i, n in enumerate(self.nodes)
        )
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
GresTypes=gpu
ReturnToService=2
JobRequeue=0
SlurmdTimeout=5
MinJobAge=3600
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool/%n
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd-%n.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd-%n.log
SlurmctldPort=6817
SlurmdPort=6818
{nodes}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""",
            encoding="utf-8",
        )
        (r / "gres.conf").write_text(f"NodeName={','.join(self.nodes)} Name=gpu File=/dev/null\n", encoding="utf-8")

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
            wait_for(self._munge_running, 30, "munged")
        subprocess.run([_tool("slurmctld"), "-f", str(self.root / "slurm.conf")], check=True, timeout=30, env=self.env)
        self.started.append(("slurmctld", self.root / "slurmctld.pid"))
        for node in self.nodes:
            self.start_node(node)
        wait_for(lambda: self.node_states() == dict.fromkeys(self.nodes, "idle"), 90, "every SLURM node to become idle")

    def start_node(self, node: str) -> None:
        """Start (or restart) one node's slurmd and put the node back into service."""
        subprocess.run(
            [_tool("slurmd"), "-f", str(self.root / "slurm.conf"), "-N", node], check=True, timeout=30, env=self.env
        )
        entry = ("slurmd", self.root / f"slurmd-{node}.pid")
        if entry not in self.started:
            self.started.append(entry)
        self.scontrol("update", f"NodeName={node}", "State=RESUME", check=False)  # after a failure: back to idle

    def fail_node(self, node: str) -> list[str]:
        """The node goes down: its slurmd and every process of the jobs running on it are killed
        (SIGKILL, by pid), as if it lost power; returns those jobs' ids."""
        running = [j["id"] for j in self.jobs() if j["node"] == node and j["state"] == "RUNNING"]
        pids = _slurmd_pid(self.root / f"slurmd-{node}.pid") + [p for j in running for p in _job_pids(j)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return running

    def node_states(self) -> dict[str, str]:
        proc = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%N %T"], capture_output=True, text=True, timeout=10, env=self.env
        )
        rows = [line.split() for line in proc.stdout.splitlines() if line.strip()] if proc.returncode == 0 else []
        return {r[0]: r[1].rstrip("*~#") for r in rows}

    def scontrol(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(
            [_tool("scontrol"), *args], capture_output=True, text=True, timeout=30, env=self.env, check=check
        )
        return proc.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller knows (finished ones too: MinJobAge keeps them an hour):
        id, name, state, comment, node and the GPU request as SLURM recorded it."""
        rows = []
        for line in self.scontrol("show", "job", "-o", check=False).splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobId" in fields:
                rows.append(
                    {
                        "id": fields["JobId"],
                        "name": fields.get("JobName", ""),
                        "state": fields.get("JobState", ""),
                        "comment": fields.get("Comment", ""),
                        "node": fields.get("BatchHost", "") or fields.get("NodeList", ""),
                        "gpus": fields.get("TresPerJob", "") + fields.get("TresPerNode", ""),
                    }
                )
        return rows

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
                wait_for(lambda p=pid: not Path(f"/proc/{p}").exists(), 20, f"{name} to stop", 0.2)
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
        self.started.clear()
        if self.linked is not None:
            self.linked.unlink(missing_ok=True)
            self.linked = None


def _slurmd_pid(pidfile: Path) -> list[int]:
    try:
        return [int(pidfile.read_text().strip())]
    except (OSError, ValueError):
        return []


def _job_pids(job_id: str) -> list[int]:
    """Processes of one SLURM job: its slurmstepd and everything started with its SLURM_JOB_ID."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline.startswith(f"slurmstepd: [{job_id}.".encode()) or f"SLURM_JOB_ID={job_id}".encode() in environ:
            pids.append(int(proc.name))
    return pids
