"""Planning cost of a large library: dry-run of N new files, and the no-op check of a finished one.

    .venv/bin/python bench/plan_library.py [--files 10000] [--dir /tmp/subvox-plan]

Builds a synthetic library of hard links to one real clip, then times (wall seconds) and
measures (peak RSS) `snakemake --dry-run` twice: with every file new, and after every file
has been marked finished. subvox tracks per-file outputs itself (see subvox/library/layout.py),
so "finished" is produced the way a run leaves it: each file's subtitle outputs plus its
done-marker for the current configuration fingerprint (no model is run).
Targets (issue 5): each dry-run <= 10 s and <= 300 MB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from harness import REPO
from harness.stats import md_table
from harness.workflow import TIME, run_snakemake, write_config

from subvox.config import load_config
from subvox.library.discover import discover_media
from subvox.library.layout import layout_for, mark_done


def dry_run(workdir: Path, config: Path) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, stdout) of one dry run in a fresh process."""
    wall, rss, out = run_snakemake(workdir, config, "--dry-run", "--quiet", "rules", peak_rss=True)
    assert rss is not None, "GNU time printed no peak RSS"
    return wall, rss, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "subvox-plan"))
    args = ap.parse_args()
    if not shutil.which("time") and not os.path.exists(TIME):
        sys.exit("needs /usr/bin/time (apt-get install time)")

    root = Path(args.dir)
    shutil.rmtree(root, ignore_errors=True)
    media = root / "media"
    clip = REPO / "tests" / "data" / "audio" / "coqui_LJ001-0002.flac"
    for i in range(args.files):
        target = media / f"show{i // 100:03d}" / f"episode {i % 100:02d}.flac"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(clip, target)
    config_path = write_config(
        root / "config.yaml", input_dir=str(media), output_dir=str(root / "out"), models_dir=str(root / "models")
    )

    new_wall, new_rss, out = dry_run(root, config_path)
    jobs = re.findall(r"^(subtitles|all)\s+(\d+)$", out, re.M)

    config = load_config(config_path)
    layout = layout_for(config)
    for item in discover_media(config["input_dir"], output_dir=config["output_dir"], **config["discovery"]):
        for path in layout.outputs(item.stem).values():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).touch()
        mark_done(layout, item.stem, os.path.join(config["input_dir"], item.relpath))  # as a finished job does
    done_wall, done_rss, out = dry_run(root, config_path)
    leftover = re.findall(r"^(subtitles)\s+(\d+)$", out, re.M)

    print(f"library: {args.files} files; jobs planned for new files: {dict(jobs)}")
    target = "<= 10 s, <= 300 MB"
    rows = [
        [f"{args.files} new files", f"{new_wall:.2f}", f"{new_rss:.0f}", target],
        ["finished library (no-op)", f"{done_wall:.2f}", f"{done_rss:.0f}", target],
    ]
    print(md_table(["dry-run", "wall s", "peak RSS MB", "target"], rows))
    print(f"jobs left after marking finished: {dict(leftover) or 'none'}")


if __name__ == "__main__":
    main()
