"""Provenance of an output: which bytes, model, software and settings made it.

Everything here is stable across runs and machines with the same inputs and software
(no timestamps, no host names, no absolute paths), so it can sit inside outputs that
are compared byte for byte.
"""

from __future__ import annotations

import platform
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from subvox import __version__
from subvox.models.store import sha256_file

PACKAGES = ("faster-whisper", "ctranslate2", "openai-whisper", "pywhispercpp", "torch", "numpy", "snakemake")


@cache
def software() -> dict[str, str]:
    """Versions of subvox, Python, ffmpeg and the packages that shape transcripts."""
    versions = {"subvox": __version__, "python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = "not installed"
    try:
        first = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, timeout=30).stdout
        versions["ffmpeg"] = first.split("\n", 1)[0].split(" ")[2]
    except (OSError, IndexError, subprocess.SubprocessError):
        versions["ffmpeg"] = "unknown"
    return versions


@cache
def model_provenance(path: str, name: str, backend: str) -> dict[str, Any]:
    """Model name, backend and the sha256 of its weights file (model.bin or the .pt checkpoint)."""
    p = Path(path)
    weights = p / "model.bin" if p.is_dir() else p
    return {"name": name, "backend": backend, "weights": weights.name, "sha256": sha256_file(weights)}
