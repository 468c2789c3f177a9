"""Find media files under the input folder and give each a collision-free output stem.

A *stem* is the input's path relative to ``input_dir`` without its extension
(``a/b/clip.mp4`` -> ``a/b/clip``); outputs are ``OUTPUT/<stem>.srt`` etc. Two inputs
that would share a stem (``clip.mp4`` and ``clip.mkv`` in one folder) both keep their
extension in the stem instead (``clip.mp4``, ``clip.mkv``), so nothing is overwritten. So does
an input named like another's per-language outputs (``clip.es.mp4`` beside ``clip.mp4``, whose
Spanish subtitles are ``clip.es.srt``): its stem is ``clip.es.mp4``.

File names are bytes on Linux. A name that is not valid UTF-8 (Latin-1 from an old NAS
share, a zip archive) is read from its real bytes, but everything subvox writes about it
(outputs, JSON, TSVs, logs) uses its *display name*: each byte that is not UTF-8 written as
``\\xNN`` (``caf\\xe9.wav``), so outputs are ``OUTPUT/caf\\xe9.srt``. Entries with a media
extension that are not regular readable files (named pipes, devices, dangling or looping
symlinks, folders) are returned as *skipped*, with the reason, for ``skipped.tsv``.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from subvox.errors import SubvoxError

#: Folder under OUTPUT holding intermediates, logs and benchmarks; never a stem prefix.
WORK_DIRNAME = "_subvox"


@dataclass(frozen=True)
class MediaItem:
    """One input file: its stem (output key), its real path relative to the input folder, its display name."""

    stem: str
    relpath: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", display_name(self.relpath))


@dataclass(frozen=True)
class Skipped:
    """An entry named like media that is not a regular, readable file."""

    name: str  # display name, relative to the input folder
    reason: str


@dataclass(frozen=True)
class Scan:
    """What discovery found: the media files, and the entries it left out (with reasons)."""

    items: list[MediaItem]
    skipped: list[Skipped]


def display_name(relpath: str) -> str:
    """``relpath`` as valid UTF-8 text: bytes that are not UTF-8 become ``\\xNN`` (the same for valid names)."""
    return os.fsencode(relpath).decode("utf-8", "backslashreplace")


def _not_a_file(path: str) -> str:
    """Why ``path`` (not a folder, not a regular file) is no media file, in a few words."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        if os.path.islink(path):
            return "a symlink whose target does not exist"
        return f"not readable ({exc.strerror or exc})"
    kinds = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]  # fmt: skip
    kind = next((what for test, what in kinds if test(mode)), None)
    return f"{kind}, not a regular file" if kind else "not a regular file"


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


def _walk(root: Path, follow_symlinks: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """Relative POSIX paths of regular readable files under ``root`` (each real folder visited once),
    and (path, reason) of every other entry that is not a folder (folders: reason ``a folder``)."""
    found: list[str] = []
    odd: list[tuple[str, str]] = []
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
            rel = PurePosixPath(Path(entry.path).relative_to(root)).as_posix()
            try:
                if entry.is_dir(follow_symlinks=follow_symlinks):
                    stack.append(Path(entry.path))
                    odd.append((rel, "a folder, not a media file"))
                elif entry.is_file(follow_symlinks=True):
                    if os.access(entry.path, os.R_OK):
                        found.append(rel)
                    else:
                        odd.append((rel, "not readable (permission denied)"))
                else:
                    odd.append((rel, _not_a_file(entry.path)))
            except OSError:
                odd.append((rel, _not_a_file(entry.path)))
    return sorted(found), sorted(odd)


def discover_media(input_dir: str | os.PathLike[str], extensions: list[str], **options: Any) -> list[MediaItem]:
    """List media under ``input_dir`` in a stable order, with unique stems (see ``scan_media``)."""
    return scan_media(input_dir, extensions, **options).items


def scan_media(
    input_dir: str | os.PathLike[str],
    extensions: list[str],
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    follow_symlinks: bool = True,
    output_dir: str | os.PathLike[str] | None = None,
) -> Scan:
    """Media under ``input_dir`` with unique stems, and the media-named entries that are not files.

    Hidden files/folders and an output folder nested inside the input are skipped silently.
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

    def wanted(rel: str) -> bool:
        if skip_prefix is not None and rel.startswith(skip_prefix):
            return False
        parts = rel.split("/")
        if any(p.startswith(".") for p in parts) or parts[0] == WORK_DIRNAME:
            return False
        if PurePosixPath(rel).suffix.lower().lstrip(".") not in exts:
            return False
        name = display_name(rel)  # patterns are text: match the name as it is shown
        return (not inc or _matches(name, inc)) and not _matches(name, exc)

    files, odd = _walk(root, follow_symlinks)
    skipped = [Skipped(display_name(rel), reason) for rel, reason in odd if wanted(rel)]
    return Scan(assign_stems([rel for rel in files if wanted(rel)]), skipped)


#: The last part of an output name that is a language (``clip.es.srt``, ``clip.en.vtt``)
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")


def assign_stems(relpaths: list[str]) -> list[MediaItem]:
    """Give each relative path an output stem; keep the extension where stems would clash."""
    by_stem: dict[str, list[str]] = defaultdict(list)
    for rel in relpaths:
        by_stem[str(PurePosixPath(display_name(rel)).with_suffix(""))].append(rel)
    items = []
    for stem, rels in by_stem.items():
        base, _, tag = stem.rpartition(".")
        if len(rels) == 1 and not (LANGUAGE_TAG.fullmatch(tag) and base in by_stem):
            items.append(MediaItem(stem=stem, relpath=rels[0]))
        else:
            items.extend(MediaItem(stem=display_name(rel), relpath=rel) for rel in rels)
    seen: dict[str, str] = {}
    for m in items:
        if m.stem in seen:  # e.g. a.mp3 + a.wav (stems a.mp3, a.wav) next to a.mp3.flac (stem a.mp3)
            raise SubvoxError(f"{seen[m.stem]!r} and {m.name!r} would write the same outputs; rename one")
        seen[m.stem] = m.name
    return sorted(items, key=lambda m: m.stem)
