"""The review pages of a large library: size of report.html and its load time in headless Chromium.

    .venv/bin/python bench/review_page.py [--files 10000] [--waveforms 100] [--reps 3] [--dir DIR]

Writes a synthetic result set of N files the way a run leaves it (per file: QA JSON, transcript
JSON with cues and word probabilities, VTT, timing; a dub QA for half of them; a failure record
for 2 %; seeded, so every run writes the same library), each file a hard link to one real clip,
then times subvox's report writer over it and opens report.html in headless Chromium (DevTools
protocol, a fresh browser per repetition): load time is navigation start to the overview's first
page of rows drawn (``data-ready-ms``, measured by the page), plus the wall time seen from here,
and the time of a click on "next page", on a flag filter and of a search.
Targets (issue 22): the 10,000-file index loads in under 2 s and stays under ~10 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from harness import REPO
from harness.stats import md_table

from subvox.library.atomic import write_json, write_text
from subvox.library.failures import record_failure
from subvox.library.layout import Fingerprints, Layout
from subvox.reports.review import write_report
from subvox.reports.review.browser import Chromium
from subvox.subtitles.segment import Cue
from subvox.subtitles.writers import vtt_text

CLIP = REPO / "tests" / "data" / "audio" / "coqui_LJ001-0003.flac"
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "printing", "presses")
CONF = {"max_files": 100, "per_page": 100, "low_confidence": 0.5, "max_dub_wer": 0.3}


def synthetic_library(root: Path, n: int, rng: random.Random) -> tuple[Layout, list[tuple[str, str, str]]]:
    """N files' outputs under ``root/out``, media hard-linked under ``root/media``."""
    layout = Layout(
        str(root / "out"),
        Fingerprints("asr0", "subs0", "dub0", "spk0"),
        ("srt", "vtt", "txt", "json"),
        translate=False,
        revoice=True,
        diarize=True,
    )
    files = []
    for i in range(n):
        folder = f"season {i // 500:02d}/disc {i // 50 % 10}"
        stem = f"{folder}/episode {i:05d} – café"
        media = root / "media" / f"{stem}.flac"
        media.parent.mkdir(parents=True, exist_ok=True)
        os.link(CLIP, media)
        source = f"{stem}.flac"
        files.append((stem, str(media), source))
        if rng.random() < 0.02:
            record_failure(layout.out, stem, source, "prepare_audio", f"{media}: not readable media (truncated)")
            continue
        _file_outputs(layout, stem, source, rng)
    return layout, files


def _file_outputs(layout: Layout, stem: str, source: str, rng: random.Random) -> None:
    duration = rng.uniform(60, 1800)
    cues, t, segments = [], 0.5, []
    while t < duration - 3 and len(cues) < 40:  # 40 cues a file: the overview never reads them
        end = t + rng.uniform(1.0, 6.0)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        speaker = f"S{rng.randint(1, 3)}"
        flags = ["fast"] if rng.random() < 0.005 else []
        unsure = rng.random() < 0.01  # a cue Whisper was unsure of
        cues.append(Cue(round(t, 3), round(end, 3), [text], flags, speaker))
        words = [
            {
                "word": w,
                "start": t + k * 0.2,
                "end": t + k * 0.2 + 0.15,
                "probability": rng.uniform(0.1, 0.5) if unsure else rng.uniform(0.7, 1.0),
            }
            for k, w in enumerate(text.split())
        ]
        segments.append({"start": t, "end": end, "text": text, "words": words, "speaker": speaker})
        t = end + rng.uniform(0.1, 3.0)
    speakers = {"speakers": {s: {"enrolled": False} for s in sorted({c.speaker for c in cues})}}
    out = layout.outputs(stem)
    data = {
        "duration": duration,
        "language": "en",
        "segments": segments,
        "speakers": speakers,
        "source": {"streams": [{"type": "audio"}], "extracted": {"audio_stream": 0}, "source": source},
        "cues": [c.to_dict() for c in cues],
    }
    write_json(out["json"], data)
    write_text(out["vtt"], vtt_text(cues))
    dropped = rng.choice([0] * 9 + [rng.randint(1, 4)])
    write_json(
        layout.qa(stem),
        {
            "source": source,
            "duration_s": round(duration, 3),
            "language": "en",
            "languages": [{"language": "en"}],
            "cues": len(cues),
            "max_line_chars": 42,
            "max_cps": 18.0,
            "fast_cues": sum("fast" in c.flags for c in cues),
            "short_cues": 0,
            "overlaps": 0,
            "speech_coverage": 0.8,
            "dropped_hallucinations": dropped,
            "wer": None,
            "notes": [],
        },
    )
    write_json(layout.timing(stem), {"transcribe_s": duration * 0.06, "audio_s": duration})
    if rng.random() < 0.5:
        write_json(
            layout.dub_qa(stem),
            {
                "source": source,
                "speaker": "joe",
                "engine": "piper",
                "cues": len(cues),
                "overflows": rng.choice([0, 0, 0, 1, 2]),
                "roundtrip_wer": round(rng.uniform(0.02, 0.6 if rng.random() < 0.05 else 0.2), 4),
            },
        )


def measure_load(report: Path, reps: int) -> list[dict[str, float]]:
    """Load figures of ``report`` in ``reps`` fresh browsers."""
    runs = []
    for _ in range(reps):
        with Chromium(width=1280, height=900) as b:
            t0 = time.perf_counter()
            b.goto(report.as_uri())
            b.wait_for("document.body && document.body.dataset.ready === '1'", timeout=60)
            wall = time.perf_counter() - t0
            page_ms = float(b.evaluate("document.body.dataset.readyMs"))
            clicks = {}
            for name, action in (
                ("next page", "document.getElementById('next').click()"),
                ("flag filter", "document.querySelector('.card[data-flag=\"low_confidence\"]').click()"),
                (
                    "search",
                    "(() => { const s = document.getElementById('search'); s.value = 'disc 3';"
                    " s.dispatchEvent(new Event('input')); })()",
                ),
            ):
                timed = f"(() => {{ const t = performance.now(); {action}; return performance.now() - t; }})()"
                clicks[name] = b.evaluate(timed)
            rows = b.evaluate("document.querySelectorAll('#files-body tr').length")
            assert b.errors == [], b.errors
        runs.append({"page_ms": page_ms, "wall_s": wall, "rows": rows, **clicks})
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--waveforms", type=int, default=CONF["max_files"], help="pages that decode a waveform")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    args = ap.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="subvox-review-"))
    try:
        t0 = time.perf_counter()
        layout, files = synthetic_library(root, args.files, random.Random(22))  # noqa: S311 (synthetic data, seeded)
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        records = write_report(str(root / "out" / "report.html"), files, layout, {**CONF, "max_files": args.waveforms})
        built = time.perf_counter() - t0
        report = root / "out" / "report.html"
        pages = list((root / "out" / "report_files").rglob("*.html"))
        page_sizes = sorted(p.stat().st_size for p in pages)
        runs = measure_load(report, args.reps)
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"synthetic library: {args.files} files written in {made:.1f} s; "
            f"{sum(1 for r in records if r.failed)} failed, {sum(1 for r in records if r.flags)} flagged"
        )
        print(f"report written in {built:.1f} s ({len(pages)} file pages, {args.waveforms} with a decoded waveform)")
        print(
            md_table(
                ["figure", f"median of {args.reps}", "all runs"],
                [
                    ["report.html size", f"{report.stat().st_size / 1e6:.2f} MB", ""],
                    [
                        "file page size (median / max)",
                        f"{page_sizes[len(page_sizes) // 2] / 1e3:.1f} kB",
                        f"max {page_sizes[-1] / 1e3:.1f} kB",
                    ],
                    [
                        "load to first rows drawn (page clock)",
                        f"{med['page_ms']:.0f} ms",
                        ", ".join(f"{r['page_ms']:.0f}" for r in runs),
                    ],
                    [
                        "load seen from the driver (wall)",
                        f"{med['wall_s']:.2f} s",
                        ", ".join(f"{r['wall_s']:.2f}" for r in runs),
                    ],
                    *[
                        [f"click: {k}", f"{med[k]:.1f} ms", ", ".join(f"{r[k]:.1f}" for r in runs)]
                        for k in ("next page", "flag filter", "search")
                    ],
                ],
            )
        )
        print(f"rows drawn after the search: {runs[0]['rows']} (a page holds {CONF['per_page']})")
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
