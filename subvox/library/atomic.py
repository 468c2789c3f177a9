"""Atomic file writes: a reader (or a resumed run) never sees a half-written output."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic,
    and its name starts with a dot and ends in ``.part`` so it never looks like an output.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name[:100])}.*.part"):  # left by a killed run
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:100]}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically (LF line endings, exactly as given)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))


def dumps_json(data: Any) -> str:
    """Stable JSON: sorted keys, fixed indentation, UTF-8 kept, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a UTF-8 JSON file."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as stable JSON, atomically."""
    write_text(path, dumps_json(data))
