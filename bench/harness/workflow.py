"""The workflow itself: a Snakemake run of the repository's Snakefile in a fresh process."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from harness import REPO

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TIME = "/usr/bin/time"  # GNU time: the peak RSS of the run (apt-get install time)


def write_config(path: Path, **config: Any) -> Path:
    """A workflow config file (YAML) with these keys; the rest are config/config.yaml's defaults."""
    path.write_text(yaml.safe_dump(config))
    return path


def run_snakemake(
    workdir: Path, config: Path, *extra: str, cores: int = 2, peak_rss: bool = False
) -> tuple[float, float | None, str]:
    """``snakemake -s Snakefile --directory WORKDIR --configfile CONFIG --cores N EXTRA...``;
    returns (wall s, peak RSS MB or None, stdout). With ``peak_rss`` it runs under GNU time
    (its maximum resident set size). Raises CalledProcessError when the run fails."""
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "--configfile", str(config)]
    cmd += ["--cores", str(cores), *extra]
    if peak_rss:
        cmd = [TIME, "-f", "MAXRSS_KB=%M", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    rss = None
    if peak_rss:
        hit = re.search(r"MAXRSS_KB=(\d+)", proc.stderr)
        rss = int(hit.group(1)) / 1024 if hit else None
    return wall, rss, proc.stdout
