"""Language routing (issue 25): what each model route writes for each language, and what the
routing costs an English library.

    .venv/bin/python bench/languages.py [--copies 6] [--reps 2] [--out DIR]

1. Languages. Every clip of tests/data (de, es, fr, it, ja, ko, pt and the English ones), plus a
   1-s cut of the French clip in a folder with two French files, through the real workflow four
   ways: tiny.en with routing off (what subvox did before), tiny.en with `route` (the default),
   tiny.en with `flag`, and base. Per clip: the language written, the model that wrote it, and
   WER against the human reference (CER for ja/ko/zh). Files an English-only model wrote in
   another language with no QA note are counted (target 0).
2. Speed. An English library (every real English clip of tests/data and ../shared/data,
   `--copies` times) through the workflow with routing off and on, alternately `--reps` times,
   models staged beforehand: wall time of the run and of the subtitles jobs (Snakemake's
   benchmark files), and how many English files the routing checked (target: within 10 %).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from harness import REPO
from harness.clips import speech_clips
from harness.workflow import run_snakemake, write_config

from subvox.asr.wer import wer

MANIFEST = REPO / "tests" / "data" / "manifest.json"
ROUTES = {
    "tiny.en, routing off": {"model": "tiny.en", "routing": {"mode": "off"}},
    "tiny.en, route (default)": {"model": "tiny.en"},
    "tiny.en, flag": {"model": "tiny.en", "routing": {"mode": "flag"}},
    "base": {"model": "base"},
}


def language_library(media: Path) -> dict[str, tuple[str, str]]:
    """Copy the clips into ``media``; returns output stem -> (language, reference)."""
    refs = {}
    for entry in json.loads(MANIFEST.read_text(encoding="utf-8")):
        if entry["language"] == "none" or not entry["reference_text"]:
            continue
        src = (MANIFEST.parent / entry["file"]).resolve()
        stem = f"{entry['language']}/{src.stem}"
        (media / entry["language"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, media / f"{stem}{src.suffix}")
        refs[stem] = (entry["language"], entry["reference_text"])
    fr = next(p for p in (media / "fr").iterdir())
    cut = media / "fr" / "one second.flac"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-ss", "3", "-t", "1", "-i", str(fr), str(cut)], check=True)
    refs["fr/one second"] = ("fr", "")
    shutil.copy(fr, media / "fr" / "second copy.flac")
    return refs


def languages(work: Path) -> None:
    refs = language_library(work / "media")
    print("## Languages: what each route writes\n")
    print("| clip | " + " | ".join(ROUTES) + " |")
    print("|---|" + "---|" * len(ROUTES))
    rows: dict[str, list[str]] = {stem: [] for stem in refs}
    silent_foreign = dict.fromkeys(ROUTES, 0)
    for name, asr in ROUTES.items():
        out = work / name.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
        config = write_config(
            work / "config.yaml",
            input_dir=str(work / "media"),
            output_dir=str(out),
            models_dir=str(work / "models"),
            asr=asr,
        )
        run_snakemake(work, config)
        for stem, (lang, ref) in refs.items():
            d = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
            hyp = " ".join(s["text"] for s in d["segments"])
            score = wer(ref, hyp, lang) if hyp and ref else 1.0
            note = d.get("language_decision", {}).get("note")
            if lang != "en" and d["model"].endswith(".en") and hyp and not note:
                silent_foreign[name] += 1
            if d.get("language_decision", {}).get("decision") == "flagged":
                rows[stem].append("flagged, no text")
            elif not ref:  # a 1-s cut has no trustworthy reference: the language is the point
                rows[stem].append(f"{d['language']} by {d['model']}")
            else:
                metric = "CER" if lang in ("ja", "ko") else "WER"
                rows[stem].append(f"{d['language']} by {d['model']}, {metric} {score:.2f}")
    for stem, cells in rows.items():
        print(f"| {stem} ({refs[stem][0]}) | " + " | ".join(cells) + " |")
    print(
        "\nFiles in another language written by an English-only model with no QA note: "
        + ", ".join(f"{k}: {v}" for k, v in silent_foreign.items())
        + "\n"
    )


def job_seconds(out: Path) -> float:
    """Sum of the subtitles jobs' wall times (Snakemake's benchmark TSVs)."""
    total = 0.0
    for tsv in (out / "_subvox" / "benchmarks" / "subtitles").glob("*.tsv"):
        with open(tsv, newline="") as fh:
            total += sum(float(r["s"]) for r in csv.DictReader(fh, delimiter="\t"))
    return total


def speed(work: Path, copies: int, reps: int) -> None:
    media = work / "english"
    clips = speech_clips()
    for k in range(copies):
        for c in clips:
            dst = media / f"copy{k}" / f"{c.name}{c.path.suffix}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(c.path, dst)
    n = copies * len(clips)
    times: dict[str, list[tuple[float, float]]] = {"off": [], "route": []}
    checked = 0
    for rep in range(reps + 1):  # the first round stages the models and warms the caches: not counted
        for mode in ("off", "route"):
            out = work / f"speed_{mode}"
            shutil.rmtree(out, ignore_errors=True)
            config = write_config(
                work / "speed.yaml",
                input_dir=str(media),
                output_dir=str(out),
                models_dir=str(work / "models"),
                asr={"routing": {"mode": mode}},
            )
            wall, _, _ = run_snakemake(work, config)
            if rep:
                times[mode].append((wall, job_seconds(out)))
            if mode == "route":
                checked = sum(
                    json.loads(p.read_text())["language_decision"]["checked"]
                    for p in out.rglob("*.json")
                    if "_subvox" not in p.parts and "language_decision" in json.loads(p.read_text())
                )
    off = statistics.median(w for w, _ in times["off"]), statistics.median(j for _, j in times["off"])
    on = statistics.median(w for w, _ in times["route"]), statistics.median(j for _, j in times["route"])
    print(f"## Speed: an English library of {n} files ({len(clips)} real clips x {copies}), median of {reps}\n")
    print("| routing | run wall s | subtitles jobs s |")
    print("|---|---|---|")
    print(f"| off | {off[0]:.1f} | {off[1]:.1f} |")
    print(f"| route (default) | {on[0]:.1f} | {on[1]:.1f} |")
    print(
        f"\nroute / off: run {on[0] / off[0]:.3f}x, jobs {on[1] / off[1]:.3f}x; English files checked by the"
        f" multilingual model: {checked} of {n}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=6, help="copies of the English clips in the speed library")
    parser.add_argument("--reps", type=int, default=2, help="timed runs per routing mode")
    parser.add_argument("--parts", default="languages,speed")
    parser.add_argument("--out", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="subvox-languages-") as tmp:
        work = args.out or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if "languages" in args.parts:
            languages(work)
        if "speed" in args.parts:
            speed(work, args.copies, args.reps)


if __name__ == "__main__":
    main()
