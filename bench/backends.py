"""Which ASR backend should subvox use by default? Speed, memory and accuracy of each one.

    .venv/bin/python bench/backends.py            # full run, about 25 min on 2 idle cores
    .venv/bin/python bench/backends.py --quick    # tiny.en, 10 s + 1 min, 1 repetition (~2-3 min)

Test audio: REAL English speech with human reference transcripts (tests/data and
../shared/data manifests, duplicates removed), decoded to 16 kHz mono and concatenated
with 1 s silences into tracks of about 10 s, 1 min and 10 min (12.6 s, 65.2 s, ~10.1 min).
Each loop over the clips uses a fixed shuffled order (seed 0), so the tracks are identical
on every run; the references are concatenated in the same order, so WER is scored on the
whole track.

Matrix (backend x compute type x model x length), every run in its OWN subprocess:
  faster-whisper  int8, float32          (CTranslate2; int8 is the workflow default;
                                          --compute ... int8_float32 adds that type)
  openai-whisper  fp32                   (PyTorch; CPU runs fp32 only)
  whisper.cpp     f16 (ggml ftype 1)     (only when subvox.models.ggml is importable; otherwise
                                          skipped with a printed note. --compute ... f32
                                          adds ggml ftype 0, on which whisper.cpp 1.8.5
                                          aborts: its conv1d needs f16 weights)
  models tiny.en and base (models staged/converted as the workflow's `models` target does).
  10 s and 1 min: --reps repetitions (default 3).
  10 min: 1 repetition (--long-reps) and only some configurations, so the full run fits
  about 20 minutes on 2 cores. --long per-backend (default): faster-whisper int8 with every
  model and each backend's first compute type with tiny.en, so the three engines' WERs are
  compared on 1,223 words (2 points = 24 words); --long fast leaves openai-whisper out
  (~2 min for 10 min of tiny.en); all | default | none as named.
Runs are interleaved: repetition 1 of every configuration, then repetition 2 (order rotated
each time), ...; the 10-min runs come last, so that --time-limit MIN drops them first.
After repetition 1 the time still needed is printed.

Each worker (--worker) does what a workflow batch job does for a file: loads the model
(load_transcriber, --threads CPU threads, timed), memory-maps the track's WAV
(subvox.media.ffmpeg.open_pcm) and calls subvox.asr.transcribe.transcribe_audio with the
options of config/config.yaml (beam 5, DecodeOptions/GuardOptions/LanguageOptions
defaults, chunk_s 120). Before the timed call it transcribes the shortest clip (1.9 s)
once, timed apart as "warm-up" (numba JIT of openai-whisper's word alignment, caches): a
job pays that once per batch of files, not per file (--no-warmup times a cold first call
instead).
It prints one JSON line: load time, transcription wall and CPU time (getrusage user+sys,
all threads), RTF = wall / audio duration, peak RSS and the hypothesis text. Peak RSS is
the worker's VmHWM (imports and model included); ru_maxrss is recorded too but not used:
Linux carries the parent's high-water mark into a child's ru_maxrss across fork+exec.
WER is scored in the parent (subvox.asr.wer), so workers never import torch needlessly.
The worker, the clips and tracks, RSS sampling, model staging, tables and the plot are the
shared bench/harness package (harness.worker, .clips, .memory, .staging, .stats).

Output (in --out, default bench/results): backends[-quick].json (machine info, plan and
every raw run), backends[-quick].md (the table, also printed), backends[-quick].png (RTF and
peak RSS per configuration and track). Cells are median [min, max]. Printed at the end:
openai-whisper RTF / default-backend RTF per model on the 1-min track, and PASS/FAIL for the
targets: default backend (faster-whisper int8) on 1 min, tiny.en RTF <= 0.08 and base RTF
<= 0.15; tiny.en peak RSS <= 400 MB (checked on every track, worst run); the spread of the
three backends' WERs <= 0.02 per model, on the longest track all of them ran. Runs cut by
--time-limit are counted as "skipped", runs that crashed as "failed".
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from backends_matrix import (
    COMPUTE_TYPES,
    EXTRA_COMPUTE_TYPES,
    LENGTHS,
    LONG_NOTES,
    METRICS,
    TARGET_RSS_MB,
    TARGETS_RTF,
    build_plan,
    estimate_s,
    label,
    project,
    verdicts,
)
from harness import REPO, RESULTS
from harness.clips import SHARED_DATA, build_tracks, decode_clips, speech_clips, write_shortest
from harness.machine import describe, machine_info
from harness.scoring import track_wer
from harness.staging import Config, ggml_unavailable, prepare_models
from harness.stats import fmt, grouped_bars, md_table, summarise
from harness.worker import job_spec, run_worker, serve


def run_plan(
    plan: list[dict[str, Any]],
    specs: dict[tuple[Config, str], dict[str, Any]],
    tracks: dict[str, Any],
    args: argparse.Namespace,
    t_begin: float,
) -> list[dict[str, Any]]:
    """Run every planned item in its own worker (until --time-limit), printing each result."""
    deadline = t_begin + args.time_limit * 60 if args.time_limit else None
    durations = {n: t["audio_s"] for n, t in tracks.items()}
    runs: list[dict[str, Any]] = []
    t_runs = time.perf_counter()
    for i, item in enumerate(plan, 1):
        if deadline and time.perf_counter() > deadline:
            result: dict[str, Any] = {"error": "skipped: --time-limit reached"}
        else:
            result = run_worker(specs[item["config"], item["length"]], args.run_timeout, __file__)
            if "error" not in result:
                result["wer"] = track_wer(tracks[item["length"]]["reference"], result["text"])
        runs.append({**item, "config": list(item["config"]), "result": result})
        if "error" in result:
            shown = result["error"]
        else:
            shown = (
                f"load {result['load_s']:.2f} s, wall {result['wall_s']:.2f} s, RTF {result['rtf']:.3f}, "
                f"peak {result['peak_rss_mb']:.0f} MB, WER {result['wer']:.3f}"
            )
        print(
            f"[{i}/{len(plan)} {time.perf_counter() - t_begin:6.0f} s] rep {item['rep']} "
            f"{label(item['config'])} {item['length']}: {shown}",
            flush=True,
        )
        nxt = plan[i] if i < len(plan) else None
        if (
            item["rep"] == 1
            and item["length"] != "10min"
            and (nxt is None or nxt["rep"] != 1 or nxt["length"] == "10min")
        ):
            print(project(runs, plan, durations, time.perf_counter() - t_runs, args.reps), flush=True)
    return runs


# --------------------------------------------------------------------------- report


def table(groups: dict[tuple[Any, ...], dict[str, Any]], order: list[Config]) -> str:
    rows = []
    for cfg in order:
        for length in LENGTHS:
            g = groups.get((*cfg, length))
            if g is None:
                continue
            runs = f"{g['n']}" + "".join(f" ({g[k]} {k})" for k in ("failed", "skipped") if g[k])
            cells = [fmt(g["stats"][m], nd, g["n"]) for m, _, nd in METRICS]
            rows.append([cfg[0], cfg[2], cfg[1], length, runs, *cells])
    return md_table(["backend", "compute", "model", "audio", "runs", *(h for _, h, _ in METRICS)], rows)


def plot(groups: dict[tuple[Any, ...], dict[str, Any]], order: list[Config], path: Path) -> None:
    """RTF and peak RSS per configuration, one bar per track, whiskers min..max, targets dashed."""
    lengths = [n for n in LENGTHS if any(k[3] == n for k in groups)]
    cfgs = [c for c in order if any((*c, n) in groups for n in lengths)]

    def value(i: int, length: str, metric: str) -> Any:
        g = groups.get((*cfgs[i], length))
        return g and g["stats"][metric]

    panels = [
        ("rtf", "real-time factor (wall / audio), median, bars = min..max", TARGETS_RTF),
        ("peak_rss_mb", "peak RSS of the worker process (MB)", TARGET_RSS_MB),
    ]
    grouped_bars(path, [f"{b}\n{c}\n{m}" for b, m, c in cfgs], lengths, value, panels, legend="audio")


def header(args: Any, info: dict[str, Any], asr: dict[str, Any], tracks: dict[str, Any], n_clips: int) -> list[str]:
    warm = "then the timed transcription (cold, no warm-up)."
    if not args.no_warmup:
        warm = "a timed warm-up call on a 1.9-s clip, then the timed transcription."
    return [
        f"# subvox ASR backends ({'quick' if args.quick else 'full'} run)",
        "",
        f"Machine: {describe(info, 'usable cores')}; "
        f"load average {info['loadavg_start'][0]:.2f} at start, {info['loadavg_end'][0]:.2f} at end.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v) + ".",
        f"Threads {args.threads}; beam {asr['beam_size']}, config/config.yaml decoding options, chunk_s "
        f"{asr['chunk_s']}; each run a fresh process: model load, {warm}",
        "Tracks: "
        + ", ".join(f"{n} = {t['audio_s']:.1f} s" for n, t in tracks.items())
        + f" of real English speech looped from {n_clips} clips.",
        f"Repetitions: {args.reps} for 10s/1min; 10min: {args.long_reps} run(s), {LONG_NOTES[args.long]}.",
    ]


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny.en, 10s + 1min, 1 repetition")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--models", nargs="+", default=None, help="default: tiny.en base (--quick: tiny.en)")
    ap.add_argument("--backends", nargs="+", default=list(COMPUTE_TYPES), choices=list(COMPUTE_TYPES))
    ap.add_argument(
        "--compute",
        nargs="+",
        default=None,
        help="only these compute types (int8 float32 fp32 f16); naming int8_float32 or f32 adds them",
    )
    ap.add_argument("--lengths", nargs="+", default=None, choices=list(LENGTHS))
    ap.add_argument("--reps", type=int, default=None, help="repetitions of 10s/1min (default 3, --quick 1)")
    ap.add_argument(
        "--long",
        default="per-backend",
        choices=["all", "per-backend", "fast", "default", "none"],
        help="which configurations get the 10-min track (see the docstring)",
    )
    ap.add_argument("--long-reps", type=int, default=1, help="repetitions of the 10-min track")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--shared-data", default=str(SHARED_DATA))
    ap.add_argument("--time-limit", type=float, default=None, help="minutes; later runs are skipped, not started")
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="time the first transcription of the process (default: a 1.9-s clip is transcribed first, timed apart)",
    )
    ap.add_argument("--run-timeout", type=float, default=1200, help="seconds per worker")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    if args.worker:
        serve(args.worker)
        return

    args.models = args.models or (["tiny.en"] if args.quick else ["tiny.en", "base"])
    args.lengths = args.lengths or (["10s", "1min"] if args.quick else list(LENGTHS))
    args.reps = args.reps or (1 if args.quick else 3)
    t_begin = time.perf_counter()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "backends-quick" if args.quick else "backends"

    from subvox.config import load_config

    asr = load_config(REPO / "config" / "config.yaml")["asr"]
    notes = []
    backends = list(args.backends)
    why = ggml_unavailable() if "whisper.cpp" in backends else None
    if why:
        notes.append(f"whisper.cpp skipped: {why}")
        print(f"note: whisper.cpp skipped: {why}", flush=True)
        backends.remove("whisper.cpp")
    for b, extra in EXTRA_COMPUTE_TYPES.items():
        COMPUTE_TYPES[b] += [c for c in extra if c in (args.compute or [])]
    configs = [
        (b, m, c)
        for b in backends
        for c in COMPUTE_TYPES[b]
        for m in args.models
        if args.compute is None or c in args.compute
    ]
    info = machine_info()
    print(f"machine: {describe(info)}, load {info['loadavg_start'][0]:.2f}; threads {args.threads}", flush=True)

    with tempfile.TemporaryDirectory(prefix="subvox-bench-") as tmpdir:
        tmp = Path(tmpdir)
        clips = speech_clips(Path(args.shared_data))
        decoded = decode_clips(clips, tmp)
        tracks = build_tracks(decoded, {n: LENGTHS[n] for n in args.lengths}, tmp)
        warmup_wav = None if args.no_warmup else str(write_shortest(tmp / "warmup.wav", decoded))
        print(
            f"{len(clips)} real clips ({', '.join(c.name for c in clips)}); tracks: "
            + ", ".join(f"{n} = {t['audio_s']:.1f} s" for n, t in tracks.items()),
            flush=True,
        )

        paths, skipped = prepare_models(configs, args.models_dir)
        notes += [f"{label(k)} skipped: {v}" for k, v in skipped.items()]
        configs = [c for c in configs if c in paths]
        plan = build_plan(args, configs)
        est = estimate_s(plan, {n: t["audio_s"] for n, t in tracks.items()})
        print(f"plan: {len(plan)} runs, roughly {est / 60:.0f} min (prior guesses)", flush=True)
        specs = {
            (cfg, n): job_spec(cfg, paths[cfg], t["wav"], asr, args.threads, warmup_wav=warmup_wav)
            for cfg in configs
            for n, t in tracks.items()
        }
        runs = run_plan(plan, specs, tracks, args, t_begin)

    total_s = time.perf_counter() - t_begin
    info["loadavg_end"] = list(os.getloadavg())
    groups = summarise(runs, lambda r: (*r["config"], r["length"]), [m for m, _, _ in METRICS])
    lines = verdicts(groups, args.models)
    mallocs = sorted({str(r["result"].get("malloc")) for r in runs if "malloc" in r.get("result", {})})
    report = "\n".join(
        [
            *header(args, info, asr, tracks, len(clips)),
            f"malloc (as the workflow's jobs): {', '.join(mallocs) or '-'}.",
            "Cells: median [min, max] over the runs. RTF = transcription wall time / audio duration; "
            "peak RSS = VmHWM of the worker process (imports and model included).",
            *(f"Note: {n}" for n in notes),
            "",
            table(groups, configs),
            "",
            *(f"- {v}" for v in lines),
            "",
            f"Total benchmark time: {total_s / 60:.1f} min.",
        ]
    )
    print("\n" + report + "\n")
    (out_dir / f"{stem}.md").write_text(report + "\n", encoding="utf-8")
    record = {
        "machine": info,
        "args": {k: v for k, v in vars(args).items() if k != "worker"},
        "asr": asr,
        "notes": notes,
        "tracks": tracks,
        "clips": [{"name": c.name, "path": str(c.path), "reference": c.reference} for c in clips],
        "total_s": round(total_s, 1),
        "verdicts": lines,
        "runs": runs,
    }
    (out_dir / f"{stem}.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    plot(groups, configs, out_dir / f"{stem}.png")
    print(f"wrote {out_dir / stem}.json, .md, .png", flush=True)


if __name__ == "__main__":
    main()
