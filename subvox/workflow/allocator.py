"""Which malloc the workflow's jobs run with, and how it gets there.

CTranslate2 allocates and frees 2-51 MiB blocks for every window it decodes. With glibc's
defaults those blocks fragment the heap and a job's RSS grows with the length of the file;
with glibc's mmap threshold fixed at 4 MiB RSS stays flat but every block is fresh pages,
~20 % slower. jemalloc reuses its extents and returns what it frees after a short decay, so
it is as fast as glibc's defaults and as flat as the threshold
(bench/long_memory.py --variants memmap jemalloc mmap-threshold-4m glibc).

A malloc cannot be swapped inside a running process, so the Snakefile puts the library in
LD_PRELOAD before any job starts (``preload``) and each job reports, and falls back to
glibc's 4 MiB threshold when jemalloc is not loaded (``tune``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from subvox.errors import SubvoxError

CHOICES = ("auto", "jemalloc", "glibc")
JEMALLOC = "libjemalloc.so.2"
# Where distributions and conda put it (apt: libjemalloc2; conda-forge: jemalloc).
SEARCH_DIRS = (
    Path(sys.prefix) / "lib",
    Path("/usr/lib/x86_64-linux-gnu"),
    Path("/usr/lib/aarch64-linux-gnu"),
    Path("/usr/lib64"),
    Path("/usr/lib"),
    Path("/usr/local/lib"),
)
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
GLIBC_MMAP_THRESHOLD = 4 << 20


def find_jemalloc() -> str | None:
    """libjemalloc.so.2 for LD_PRELOAD: its path in CONDA_PREFIX, this Python's prefix or the
    usual library folders, else its name as the linker cache knows it (ld.so resolves a bare
    name itself); None when the library is not installed."""
    dirs = [Path(os.environ["CONDA_PREFIX"]) / "lib"] if os.environ.get("CONDA_PREFIX") else []
    for folder in (*dirs, *SEARCH_DIRS):
        if (folder / JEMALLOC).is_file():
            return str(folder / JEMALLOC)
    return ctypes.util.find_library("jemalloc")  # "libjemalloc.so.2" (Linux gives no path)


def preload(choice: str, environ: MutableMapping[str, str] | None = None) -> str | None:
    """Put jemalloc in ``environ``'s LD_PRELOAD (default: this process's environment, which
    every job inherits) per the config's ``allocator``; returns the library's path or None.

    ``auto`` uses jemalloc when it is installed, ``jemalloc`` requires it, ``glibc`` leaves
    LD_PRELOAD alone.
    """
    if choice not in CHOICES:
        raise SubvoxError(f"allocator {choice!r}: expected one of {', '.join(CHOICES)}")
    env = os.environ if environ is None else environ
    if choice == "glibc":
        return None
    path = find_jemalloc()
    if path is None:
        if choice == "jemalloc":
            raise SubvoxError(
                f"allocator jemalloc: {JEMALLOC} not found (apt-get install libjemalloc2, or conda install "
                "jemalloc; or set allocator: glibc)"
            )
        return None
    entries = env.get("LD_PRELOAD", "").replace(":", " ").split()
    if path not in entries:
        env["LD_PRELOAD"] = " ".join([path, *entries])
    return path


def loaded() -> str | None:
    """Path of the malloc library preloaded into this process (jemalloc, or tcmalloc and
    mimalloc a user may preload), or None: glibc's own."""
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            name = line.rsplit("/", 1)[-1]
            if name.startswith(("libjemalloc", "libtcmalloc", "libmimalloc")):
                return line.split()[-1]
    return None


def tune() -> str:
    """Make the best of the malloc this process has; returns a line for the job's log.

    Under jemalloc nothing is to be done. Under glibc, blocks of 4 MiB or more get their own
    mappings, returned to the system when freed, so RSS stays flat on long files (a no-op
    where the C library is not glibc).
    """
    path = loaded()
    if path:
        return f"allocator: {Path(path).name.split('.')[0].removeprefix('lib')} ({path})"
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD)
        return "allocator: glibc, blocks >= 4 MiB mapped apart (jemalloc not loaded: see allocator in the README)"
    return "allocator: the C library's"
