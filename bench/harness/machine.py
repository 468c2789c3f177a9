"""What machine the figures come from: CPU, cores, RAM, load, package versions, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from typing import Any

from harness import REPO

PACKAGES = [
    "faster-whisper",
    "ctranslate2",
    "onnxruntime",
    "openai-whisper",
    "torch",
    "numpy",
    "pywhispercpp",
    "matplotlib",
]


def _first(path: str, prefix: str) -> str | None:
    with open(path, encoding="utf-8") as fh:
        return next((line for line in fh if line.startswith(prefix)), None)


def machine_info() -> dict[str, Any]:
    """CPU model, cores (all and usable), RAM, platform, package versions, commit, and the
    load average now (``loadavg_start``; callers add ``loadavg_end``)."""
    cpu = _first("/proc/cpuinfo", "model name")
    mem = _first("/proc/meminfo", "MemTotal")
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu.split(":", 1)[1].strip() if cpu else "unknown",
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_mb": int(mem.split()[1]) // 1024 if mem else 0,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit,
        "loadavg_start": list(os.getloadavg()),
    }


def describe(info: dict[str, Any], cores: str = "cores") -> str:
    """``CPU, N cores, M MB RAM``: the machine line of a report."""
    return f"{info['cpu']}, {info['usable_cores']} {cores}, {info['ram_mb']} MB RAM"
