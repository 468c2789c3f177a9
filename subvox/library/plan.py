"""The frozen plan: what the main process decided, written once so that jobs never re-plan.

A cluster job reads the workflow again on its node. Had it scanned the library there, media
added, replaced or removed while it was queued could shift a batch's membership (a file
done twice or not at all). Instead the main process writes ``_subvox/plan.json`` once per
run, atomically, before any job starts: the library as it was found (each file's relative
path, display name, size and mtime) and the exact members of every requested batch. Jobs
read only that file, and hand their batch only the members that still look as planned:

* a file *removed* (or its folder replaced by a file) before its job runs is left out and
  reported at the end, not a crash;
* a file *replaced* (size or mtime changed) is left out, or, if it changed while being
  read, its done-markers are dropped at the end: either way the next run redoes it;
* a file *added* during the run is not in the plan; the next run picks it up.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from subvox.errors import SubvoxError
from subvox.library.atomic import write_text
from subvox.library.failures import _tsv, _write_if_changed

PLAN_NAME = "plan.json"


@dataclass(frozen=True)
class Planned:
    """One library file as the plan saw it."""

    relpath: str  # relative to input_dir (may hold bytes that are not UTF-8, surrogate-escaped)
    name: str  # the same as valid UTF-8, for everything written
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Plan:
    fingerprint: str  # Fingerprints.plan the batches were keyed with
    files: dict[str, Planned]  # every library file by stem
    batches: dict[str, list[str]]  # requested batch key -> member stems

    @property
    def requested(self) -> list[str]:
        return list(self.batches)


@dataclass(frozen=True)
class Changes:
    """What changed in the library between planning and the end of the run (stems)."""

    added: list[str]
    removed: list[str]
    replaced: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.replaced)


def plan_path(work: str) -> str:
    return os.path.join(work, PLAN_NAME)


def media_state(path: str) -> tuple[int, int] | None:
    """(size, mtime_ns) of a regular file, None when it is gone or no longer a file."""
    try:
        st = os.stat(path)
    except OSError:  # removed, or a folder on its path replaced by a file (ENOTDIR)
        return None
    return (st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def freeze(
    work: str, fingerprint: str, input_dir: str, media: dict[str, str], names: dict[str, str], batches: dict[str, list]
) -> Plan:
    """Record the library and the requested ``batches``; write the plan once, atomically."""
    files = {}
    for stem, rel in media.items():
        size, mtime = media_state(os.path.join(input_dir, rel)) or (-1, -1)
        files[stem] = Planned(rel, names[stem], size, mtime)
    plan = Plan(fingerprint, files, {k: list(v) for k, v in batches.items()})
    data = {
        "fingerprint": fingerprint,
        "files": {s: [f.relpath, f.name, f.size, f.mtime_ns] for s, f in files.items()},
        "batches": plan.batches,
    }
    # ASCII JSON: lone surrogates (non-UTF-8 names) round-trip as \udcXX escapes
    write_text(plan_path(work), json.dumps(data, separators=(",", ":")) + "\n")
    return plan


def load(work: str, fingerprint: str) -> Plan:
    """The plan the main process froze for this run; a clear error when there is none or it
    was made for another configuration."""
    path = plan_path(work)
    try:
        with open(path, encoding="ascii") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise SubvoxError(f"{path}: no readable plan of this run ({exc}); jobs run only from a main process") from None
    if data["fingerprint"] != fingerprint:
        raise SubvoxError(
            f"{path}: planned for configuration {data['fingerprint']}, this job has {fingerprint} "
            "(was the config changed while jobs were queued?)"
        )
    files = {s: Planned(*row) for s, row in data["files"].items()}
    return Plan(data["fingerprint"], files, data["batches"])


def unchanged(plan: Plan, input_dir: str, stems: list[str]) -> tuple[list[str], dict[str, str]]:
    """The members of a batch that still look as planned, and why the others were left out."""
    kept: list[str] = []
    left: dict[str, str] = {}
    for stem in stems:
        f = plan.files[stem]
        now = media_state(os.path.join(input_dir, f.relpath))
        if now is None:
            left[stem] = "removed"
        elif now != (f.size, f.mtime_ns):
            left[stem] = "replaced"
        else:
            kept.append(stem)
    return kept, left


def changes(plan: Plan, input_dir: str, media_now: dict[str, str]) -> Changes:
    """Compare the plan with the library found at the end of the run (``stem -> relpath``)."""
    added = sorted(s for s in media_now if s not in plan.files)
    removed, replaced = [], []
    for stem, f in sorted(plan.files.items()):
        now = media_state(os.path.join(input_dir, f.relpath))
        if now is None or media_now.get(stem) != f.relpath:
            removed.append(stem)
        elif now != (f.size, f.mtime_ns):
            replaced.append(stem)
    return Changes(added, removed, replaced)


def write_changed_tsv(output_dir: str, plan: Plan, found: Changes, names_now: dict[str, str]) -> None:
    """``OUTPUT/changed.tsv``: each file that changed under the run and what the next run does
    about it (header only when nothing changed)."""
    rows = [{"input": names_now[s], "change": "added", "next run": "processes it"} for s in found.added]
    rows += [{"input": plan.files[s].name, "change": "removed", "next run": "forgets it"} for s in found.removed]
    rows += [{"input": plan.files[s].name, "change": "replaced", "next run": "redoes it"} for s in found.replaced]
    _write_if_changed(Path(output_dir) / "changed.tsv", _tsv(("input", "change", "next run"), rows))
