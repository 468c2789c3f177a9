"""Find media files under the input folder and give each a collision-free output stem.

A *stem* is the input's path relative to ``input_dir`` without its extension
(``a/b/clip.mp4`` -> ``a/b/clip``); outputs are ``OUTPUT/<stem>.srt`` etc. Two inputs
that would share a stem (``clip.mp4`` and ``clip.mkv`` in one folder) both keep their
extension in the stem instead (``clip.mp4``, ``clip.mkv``), so nothing is overwritten.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from subvox.errors import SubvoxError

#: Folder under OUTPUT holding intermediates, logs and benchmarks; never a stem prefix.
WORK_DIRNAME = "_subvox"


@dataclass(frozen=True)
class MediaItem:
    """One input file: its stem (output key) and its path relative to the input folder."""

    stem: str
    relpath: str


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Translate a path glob where ``**`` spans folders and ``*`` stays within one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                out.append(fnmatch.translate(pattern[i : end + 1])[4:-3])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def _matches(relpath: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.match(relpath) for p in patterns)


def _walk(root: Path, follow_symlinks: bool) -> list[str]:
    """Relative POSIX paths of regular files under ``root``, visiting each real folder once."""
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue  # symlink loop or a folder reached twice
        seen.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=True):
                    found.append(PurePosixPath(Path(entry.path).relative_to(root)).as_posix())
            except OSError:
                continue  # dangling link, permission denied: not a media file we can read
    return sorted(found)


def discover_media(
    input_dir: str | os.PathLike[str],
    extensions: list[str],
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    follow_symlinks: bool = True,
    output_dir: str | os.PathLike[str] | None = None,
) -> list[MediaItem]:
    """List media under ``input_dir`` in a stable order, with unique stems.

    Hidden files/folders and an output folder nested inside the input are skipped.
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise SubvoxError(f"input_dir {str(root)!r}: not a folder")
    exts = {e.lower().lstrip(".") for e in extensions}
    inc = [_glob_to_regex(p) for p in include or []]
    exc = [_glob_to_regex(p) for p in exclude or []]
    skip_prefix = None
    if output_dir is not None:
        try:
            rel = Path(output_dir).resolve().relative_to(root.resolve())
        except ValueError:
            rel = None
        if rel is not None and not rel.parts:
            raise SubvoxError(
                f"output_dir {str(output_dir)!r} is input_dir: use a separate folder "
                "(subtitles.sidecar writes <stem>.<lang>.srt next to the media)"
            )
        if rel is not None:
            skip_prefix = rel.as_posix() + "/"

    chosen: list[str] = []
    for rel in _walk(root, follow_symlinks):
        if skip_prefix is not None and rel.startswith(skip_prefix):
            continue
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts) or parts[0] == WORK_DIRNAME:
            continue
        suffix = PurePosixPath(rel).suffix.lower().lstrip(".")
        if suffix not in exts:
            continue
        if inc and not _matches(rel, inc):
            continue
        if _matches(rel, exc):
            continue
        chosen.append(rel)
    return assign_stems(chosen)


def assign_stems(relpaths: list[str]) -> list[MediaItem]:
    """Give each relative path an output stem; keep the extension where stems would clash."""
    by_stem: dict[str, list[str]] = defaultdict(list)
    for rel in relpaths:
        by_stem[str(PurePosixPath(rel).with_suffix(""))].append(rel)
    items = []
    for stem, rels in by_stem.items():
        if len(rels) == 1:
            items.append(MediaItem(stem=stem, relpath=rels[0]))
        else:
            items.extend(MediaItem(stem=rel, relpath=rel) for rel in rels)
    seen: dict[str, str] = {}
    for m in items:
        if m.stem in seen:  # e.g. a.mp3 + a.wav (stems a.mp3, a.wav) next to a.mp3.flac (stem a.mp3)
            raise SubvoxError(f"{seen[m.stem]!r} and {m.relpath!r} would write the same outputs; rename one")
        seen[m.stem] = m.relpath
    return sorted(items, key=lambda m: m.stem)
