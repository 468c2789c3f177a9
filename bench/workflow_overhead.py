"""Workflow overhead: wall time of a full subvox run vs. the pure inference it contains.

    .venv/bin/python bench/workflow_overhead.py [--clips 20] [--seconds 5] [--model tiny.en]
    .venv/bin/python bench/workflow_overhead.py --long-minutes 10

Makes N clips of about S seconds cut from the bundled real speech (or, with
--long-minutes, one file of that length made by looping the real clips with pauses), then
measures
  * the backend alone: one fresh process imports subvox's ASR path, loads the backend once
    and transcribes every clip (audio extraction included, the same memory-mapped, chunked
    path the workflow uses), the least any tool must do; timed as a whole (interpreter and
    imports included, as `time python my_script.py` would show) and from the model load on;
  * the workflow: `snakemake --cores 2` on the same folder from scratch (planning, jobs,
    probing, subtitles, QA, summary included).
The backend runs twice: with glibc's defaults (the bare backend) and with the malloc every
workflow job gets (subvox.workflow.allocator: jemalloc when installed, else glibc with a
4 MiB mmap threshold; both keep memory flat on long files, see
long_memory.py --variants memmap glibc). Prints all three and the workflow's ratio to each
(targets: <= 1.25 for 20 clips of ~5 s, <= 1.10 on a 10-minute file, with tiny.en).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import BENCH, REPO
from harness.stats import stat
from harness.workflow import run_snakemake, write_config

from subvox.asr import DecodeOptions, load_transcriber
from subvox.asr.transcribe import transcribe_audio
from subvox.media.ffmpeg import extract_audio, open_pcm
from subvox.models import store as models
from subvox.workflow import allocator

SOURCES = [
    "example/media/jfk.flac",
    "tests/data/audio/coqui_LJ001-0003.flac",
    "tests/data/audio/coqui_LJ001-0004.flac",
    "tests/data/audio/lhotse_ami_ES2011a_40s-46s.wav",
]


def make_clips(folder: Path, n: int, seconds: float) -> list[Path]:
    clips = []
    for i in range(n):
        src = REPO / SOURCES[i % len(SOURCES)]
        start = (i // len(SOURCES)) * 0.7 % 4
        dst = folder / f"clip{i:02d}.flac"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-ss",
                f"{start:.2f}",
                "-t",
                str(seconds),
                "-i",
                str(src),
                str(dst),
            ],
            check=True,
        )
        clips.append(dst)
    return clips


def make_long(folder: Path, minutes: float) -> list[Path]:
    """One file of ``minutes`` of real speech: the sources in turn, 0.5 s apart, looped."""
    cycle, dst = folder.parent / "cycle.flac", folder / "long.flac"
    inputs = [a for src in SOURCES for a in ("-i", str(REPO / src))]
    chains = ";".join(f"[{k}]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur=0.5[a{k}]" for k in range(4))
    graph = chains + ";" + "".join(f"[a{k}]" for k in range(4)) + "concat=n=4:v=0:a=1"
    ffmpeg = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run([*ffmpeg, *inputs, "-filter_complex", graph, str(cycle)], check=True)
    subprocess.run([*ffmpeg, "-stream_loop", "-1", "-i", str(cycle), "-t", str(minutes * 60), str(dst)], check=True)
    return [dst]


def _pure(clips: list[Path], model: str, tmp: Path) -> float:
    t0 = time.perf_counter()
    transcriber = load_transcriber("faster-whisper", str(models.ct2_source(model, "models")), model, threads=2)
    for clip in clips:
        extract_audio(clip, tmp / "a.wav")
        transcribe_audio(transcriber, open_pcm(tmp / "a.wav")[0], DecodeOptions(), chunk_s=120)
    return time.perf_counter() - t0


def pure_inference(clips: list[Path], model: str, tmp: Path, env: dict[str, str] | None) -> tuple[float, float]:
    """The backend alone, in a fresh process, as a user's own script would run it; returns
    (seconds from model load to the last transcript, seconds of the whole process: the
    interpreter, imports and all).

    ``env``: the environment the Snakefile gives every job (``subvox.workflow.allocator``: jemalloc
    preloaded when installed, else glibc with a 4 MiB mmap threshold), the jobs' malloc; None:
    this process's environment with glibc's defaults, the bare backend.
    """
    code = (
        "import sys, json; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from subvox.workflow import allocator; import workflow_overhead as w;"
        "allocator.tune() if sys.argv[5] == '1' else None;"
        "print(w._pure([Path(p) for p in json.loads(sys.argv[2])], sys.argv[3], Path(sys.argv[4])))"
    )
    flag = "0" if env is None else "1"
    args = [str(BENCH), json.dumps([str(c) for c in clips]), model, str(tmp), flag]
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=REPO, env=env
    )
    return float(out.stdout.split()[-1]), time.perf_counter() - t0


def workflow(media: Path, work: Path, model: str) -> float:
    """Wall seconds of ``snakemake --cores 2`` on ``media`` from scratch, in ``work``."""
    config = write_config(
        work / "config.yaml", input_dir=str(media), output_dir=str(work / "out"), asr={"model": model}
    )
    return run_snakemake(work, config, "--quiet")[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--long-minutes", type=float, help="one file of this many minutes instead of clips")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="subvox-overhead-"))
    media = tmp / "media"
    media.mkdir()
    if args.long_minutes:
        clips = make_long(media, args.long_minutes)
        what, target = f"1 file of {args.long_minutes:g} min", 1.10
    else:
        clips = make_clips(media, args.clips, args.seconds)
        what, target = f"{args.clips} clips of {args.seconds:g} s", 1.25
    jobs_env = dict(os.environ)
    malloc = "jemalloc" if allocator.preload("auto", jobs_env) else "glibc, 4 MiB mmap threshold"
    bare, tuned, flow = [], [], []
    for r in range(args.repeats):  # interleaved, so all see the same machine state
        bare.append(pure_inference(clips, args.model, tmp, env=None))
        tuned.append(pure_inference(clips, args.model, tmp, env=jobs_env))
        work = tmp / f"run{r}"
        work.mkdir()
        flow.append(workflow(media, work, args.model))
    shutil.rmtree(tmp, ignore_errors=True)

    med = statistics.median

    def cell(xs: list[float]) -> str:
        m, lo, hi = stat(xs) or (0.0, 0.0, 0.0)
        return f"{m:6.2f} s  [{lo:.2f}, {hi:.2f}]"

    f = med(flow)
    print(f"{what}, faster-whisper {args.model}, median [min, max] of {args.repeats}")
    print(f"{'':46} {'whole process':>28} {'load + decode + transcribe':>30}")
    for name, xs in (("backend alone, glibc defaults", bare), (f"backend alone, jobs' malloc ({malloc})", tuned)):
        print(f"{name:46} {cell([x[1] for x in xs]):>28} {cell([x[0] for x in xs]):>30}")
    print(f"{'workflow (snakemake --cores 2, from scratch)':46} {cell(flow):>28}")
    bare_process, bare_inner = med([x[1] for x in bare]), med([x[0] for x in bare])
    print(f"overhead ratio vs the bare backend's whole process: {f / bare_process:.2f}  (target <= {target:.2f})")
    print(f"overhead ratio vs the bare backend's load + decode + transcribe alone: {f / bare_inner:.2f}")
    print(f"overhead ratio vs the jobs' malloc, whole process: {f / med([x[1] for x in tuned]):.2f}")
    # Each repetition ran the three back to back: their ratios see the same machine state, so
    # their median is steadier than a ratio of medians on a machine whose speed drifts.
    paired = sorted(w / b[1] for w, b in zip(flow, bare, strict=True))
    paired_jobs = sorted(w / t[1] for w, t in zip(flow, tuned, strict=True))
    print(
        f"per-repetition ratios, workflow / bare backend: median {med(paired):.2f} "
        f"[{paired[0]:.2f}, {paired[-1]:.2f}]; / jobs' malloc: median {med(paired_jobs):.2f} "
        f"[{paired_jobs[0]:.2f}, {paired_jobs[-1]:.2f}]"
    )


if __name__ == "__main__":
    main()
