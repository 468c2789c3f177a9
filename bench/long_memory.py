"""Does the workflow's memory stay flat with file length? Peak RSS on 1 min vs 1 hour of speech.

    .venv/bin/python bench/long_memory.py [--minutes 60] [--out bench/results]

Builds two 16 kHz mono WAVs from REAL English speech (harness.clips: the clips
bench/backends.py uses, looped in a fixed shuffled order with 1 s silences): 1 minute and
--minutes (default 60; use e.g. --minutes 10 while developing: the 1-hour run costs 3-5 min
of CPU). Each is then transcribed in its own fresh process (harness.worker) exactly as a
workflow batch job does it (subvox.subtitles.job.transcribe_one):
subvox.media.ffmpeg.open_pcm memory-maps the WAV, and subvox.asr.transcribe.transcribe_audio
gets the int16 map with the options of config/config.yaml (chunk_s 120: pieces cut in
pauses, one piece converted and decoded at a time), with the default backend
(faster-whisper int8, tiny.en, 2 threads).

Printed per file: transcription wall time and RTF, peak RSS (VmHWM), the peaks of the
anonymous and file-backed parts of RSS (sampled from /proc/self/status every 0.25 s),
RSS after the model load and after the first and last chunk, and the words transcribed vs
the reference's; then the ratio of the peaks and where the difference comes from.

--variants runs each file once per variant (diagnostics; the default is memmap alone):
  memmap          the workflow as it is: memory-mapped WAV, and the jobs' malloc
                  (subvox.workflow.allocator: jemalloc when libjemalloc.so.2 is installed,
                  else glibc with a 4 MiB mmap threshold; the table's malloc column says
                  which);
  pread           the same samples read per slice with os.pread instead of through the map
                  (harness.worker.PreadPcm): isolates what the memory map keeps resident;
  trim            glibc with the 4 MiB threshold plus malloc_trim(0) after every piece:
                  isolates freed heap memory that glibc keeps instead of returning it;
  mmap-threshold  glibc with MALLOC_MMAP_THRESHOLD_=131072 (its initial value, made fixed):
                  every block of 128 KiB or more gets its own mapping, returned on free,
                  instead of glibc raising the threshold and reusing a fragmented heap;
  mmap-threshold-4m  the same with 4 MiB (the jobs' fallback without jemalloc): only the
                  big blocks (CTranslate2's 4-51 MiB activations, audio copies) are mapped;
                  mmap-threshold-8m, -32m: 8 / 32 MiB;
  glibc           no allocator setting at all (glibc's dynamic threshold: fast, fragments);
  glibc-trim      that, plus malloc_trim(0) after every piece;
  arena-1         glibc's defaults with MALLOC_ARENA_MAX=1 (one heap for all threads);
  tcmalloc        gperftools' tcmalloc preloaded (Debian's libtcmalloc-minimal4 path).
A variant named twice runs twice (to see the noise).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, RESULTS
from harness.clips import SHARED_DATA, build_tracks, decode_clips, speech_clips
from harness.machine import describe, machine_info
from harness.scoring import word_count
from harness.staging import prepare_models
from harness.stats import md_table
from harness.worker import job_spec, run_worker, serve

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
VARIANTS = {  # name: (how audio is read, extra worker spec)
    "memmap": ("memmap", {}),  # the workflow, as it is (subvox.workflow.allocator: jemalloc when installed)
    "pread": ("pread", {}),  # no memory map: slices read with os.pread
    "trim": ("memmap", {"malloc_trim": True, "env": {"MALLOC_MMAP_THRESHOLD_": str(4 << 20)}}),
    "mmap-threshold": ("memmap", {"env": {"MALLOC_MMAP_THRESHOLD_": "131072"}}),  # glibc: blocks >= 128 KiB mapped
    "mmap-threshold-4m": ("memmap", {"env": {"MALLOC_MMAP_THRESHOLD_": str(4 << 20)}}),  # the glibc fallback
    "mmap-threshold-8m": ("memmap", {"env": {"MALLOC_MMAP_THRESHOLD_": str(8 << 20)}}),  # blocks >= 8 MiB
    "mmap-threshold-32m": ("memmap", {"env": {"MALLOC_MMAP_THRESHOLD_": str(32 << 20)}}),  # blocks >= 32 MiB
    "arena-1": ("memmap", {"glibc_default": True, "env": {"MALLOC_ARENA_MAX": "1"}}),  # one malloc arena
    "glibc": ("memmap", {"glibc_default": True}),  # glibc's own dynamic threshold, no tuning at all
    "glibc-trim": ("memmap", {"glibc_default": True, "malloc_trim": True}),  # that + malloc_trim per piece
    "tcmalloc": ("memmap", {"env": {"LD_PRELOAD": TCMALLOC}}),  # gperftools' (Debian: libtcmalloc-minimal4)
}
HEADERS = [
    *("file", "variant", "malloc", "audio min", "chunks", "wall s", "RTF", "peak RSS MB", "peak anon MB"),
    *("peak file MB", "RSS after load", "after 1st chunk", "after last chunk", "growth MB/chunk", "words hyp/ref"),
]


def slope(trace: list[dict[str, float]], key: str) -> float | None:
    """Least-squares growth of ``key`` (MB) per chunk over the chunks after the first."""
    ys = [t[key] for t in trace[1:] if key in t]
    if len(ys) < 3:
        return None
    n = len(ys)
    mx, my = (n - 1) / 2, sum(ys) / n
    return sum((i - mx) * (y - my) for i, y in enumerate(ys)) / sum((i - mx) ** 2 for i in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the long file (default 60)")
    ap.add_argument("--short-minutes", type=float, default=1.0)
    ap.add_argument("--backend", default="faster-whisper")
    ap.add_argument("--compute", default="int8")
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variants", nargs="+", default=["memmap"], choices=list(VARIANTS))
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--shared-data", default=str(SHARED_DATA))
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--run-timeout", type=float, default=3600)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        serve(args.worker)
        return

    t_begin = time.perf_counter()
    from subvox.config import load_config

    asr = load_config(REPO / "config" / "config.yaml")["asr"]
    info = machine_info()
    cfg = (args.backend, args.model, args.compute)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="subvox-longmem-") as tmpdir:
        tmp = Path(tmpdir)
        paths, skipped = prepare_models([cfg], args.models_dir)
        if skipped:
            raise SystemExit(f"cannot load {cfg}: {skipped[cfg]}")
        decoded = decode_clips(speech_clips(Path(args.shared_data)), tmp)
        files = build_tracks(decoded, {"short": args.short_minutes * 60, "long": args.minutes * 60}, tmp)
        for name, f in files.items():
            f["ref_words"] = word_count(f.pop("reference"))
            size_mb = Path(f["wav"]).stat().st_size / 2**20
            print(f"{name}: {f['audio_s'] / 60:.1f} min of real speech, {size_mb:.0f} MB WAV", flush=True)
        for variant in args.variants:
            for name, f in files.items():
                mode, extra = VARIANTS[variant]
                spec = job_spec(cfg, paths[cfg], f["wav"], asr, args.threads, trace=True, audio_mode=mode, **extra)
                t0 = time.perf_counter()
                r = run_worker(spec, args.run_timeout, __file__)
                if "error" in r:
                    raise SystemExit(f"{name} ({variant}) failed: {r['error']}")
                r["hyp_words"] = word_count(r.pop("text"))
                r.update(name=name, variant=variant, ref_words=f["ref_words"])
                results.append(r)
                print(
                    f"{name} {variant}: {r['audio_s'] / 60:.1f} min, wall {r['wall_s']:.1f} s "
                    f"(process {time.perf_counter() - t0:.1f} s), peak RSS {r['peak_rss_mb']:.0f} MB",
                    flush=True,
                )

    rows = []
    for r in results:
        tr, peaks = r["trace"], r["sampled_peak_mb"]
        grow = slope(tr, "VmRSS")
        rows.append(
            [
                r["name"],
                r["variant"],
                Path(r.get("malloc", "glibc")).name,
                f"{r['audio_s'] / 60:.1f}",
                r["chunks"],
                f"{r['wall_s']:.1f}",
                f"{r['rtf']:.3f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{peaks.get('RssAnon', 0):.0f}",
                f"{peaks.get('RssFile', 0):.0f}",
                f"{r['rss_after_load_mb']:.0f}",
                f"{tr[0]['VmRSS'] if tr else 0:.0f}",
                f"{tr[-1]['VmRSS'] if tr else 0:.0f}",
                "-" if grow is None else f"{grow:.2f}",
                f"{r['hyp_words']}/{r['ref_words']}",
            ]
        )
    summary = []
    for variant in dict.fromkeys(args.variants):
        by = {r["name"]: r for r in results if r["variant"] == variant}  # the last run of each
        s, lg = by["short"], by["long"]
        ratio = lg["peak_rss_mb"] / s["peak_rss_mb"]
        summary.append(
            f"{variant}: peak RSS {lg['audio_s'] / 60:.0f} min / {s['audio_s'] / 60:.0f} min = "
            f"{lg['peak_rss_mb']:.0f} / {s['peak_rss_mb']:.0f} MB = {ratio:.2f}x "
            f"(anonymous {lg['sampled_peak_mb'].get('RssAnon', 0) - s['sampled_peak_mb'].get('RssAnon', 0):+.0f} MB, "
            f"file-backed {lg['sampled_peak_mb'].get('RssFile', 0) - s['sampled_peak_mb'].get('RssFile', 0):+.0f} MB; "
            f"the long WAV is {lg['audio_s'] * 32000 / 2**20:.0f} MB)"
        )
    report = "\n".join(
        [
            f"# Long-file memory: {args.backend} {args.compute} {args.model}, {args.threads} threads, "
            f"chunk_s {asr['chunk_s']}",
            "",
            f"Machine: {describe(info)}.",
            "",
            md_table(HEADERS, rows),
            "",
            *(f"- {s}" for s in summary),
            "",
            f"Total time: {(time.perf_counter() - t_begin) / 60:.1f} min.",
        ]
    )
    print("\n" + report, flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"long_memory-{args.minutes:g}min"
    run_args = {k: v for k, v in vars(args).items() if k != "worker"}
    (out / f"{stem}.md").write_text(report + "\n", encoding="utf-8")
    (out / f"{stem}.json").write_text(
        json.dumps({"machine": info, "args": run_args, "asr": asr, "runs": results}, indent=1), encoding="utf-8"
    )
    print(f"wrote {out / stem}.md, .json", flush=True)


if __name__ == "__main__":
    main()
