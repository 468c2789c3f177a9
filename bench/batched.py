"""Batched decoding (#17): subvox batched vs faster-whisper's BatchedInferencePipeline, vs
subvox one piece at a time, and many short clips vs a plain one-model loop.

    .venv/bin/python bench/batched.py [--reps 3] [--sizes 4,8] [--minutes 10] [--clips 100]
                                     [--rss-minutes 20] [--out bench/results]
    .venv/bin/python bench/batched.py --reps 0 --clips 0 --minutes 1 --sizes 4 --out /tmp/rss
                                     (the rss runs alone: ~1 min)

Audio: REAL English speech (harness.clips: the bundled clips with human references, looped
in a fixed shuffled order with 1 s silences). Every run is a fresh process (--worker) with
the model loaded once, a warm-up call on the shortest clip first (timed apart), 2 threads
(--threads), tiny.en int8 (--model, --compute), the decoding options of config/config.yaml:

  track (--minutes, default 10 min):
    subvox-B       subvox.asr.transcribe.transcribe_audio on the memory-mapped WAV with
                   asr.batch_size B (harness.worker.measure, exactly what a job does per file),
                   for each B of --sizes;
    subvox-B-own-tails  the first B with asr.pack_tails false: each tail Whisper leaves of a
                   piece in a window of its own (the batched path before tail packing);
    subvox-seq     batch_size 1, pack_tails false: one piece after the other (the path before #17);
    fw-batched     faster_whisper.BatchedInferencePipeline(model).transcribe(audio, batch_size=8),
                   its defaults otherwise (beam 5, its own VAD chunks, no timestamps tokens, no
                   word timings), on the same samples;
    fw-batched-words  the same with without_timestamps=False, word_timestamps=True: the work
                   subtitles need, as subvox does it (an equal-work comparison beside the target).
  clips (--clips, default 100 files of 3-10 s: the bundled clips of that length and two of
  them joined, cycled, each with its own lead-in of 0-0.4 s silence, as separate WAVs):
    clips-subvox-B transcribe_files over all files (memory-mapped, as a job opens them), batch B;
    loop           for each file: WhisperModel.transcribe(audio) (faster-whisper's defaults)
                   and its segments read, one loaded model;
    loop-words     the same with word_timestamps=True (what subtitles need; --loop-words).
  rss (--rss-minutes, default 20, and 1 min): subvox-B with the first B of --sizes, once.

The runs of one repetition alternate (rotated order each repetition) so all pairs share the
machine's state; figures are medians [min, max] over --reps (default 3). Ratios are the
median of the per-repetition ratios. WER: Whisper's normaliser against the concatenated
references. Output: the tables and PASS/FAIL lines for the #17 targets (printed, and in
--out/batched.md), every raw run in --out/batched.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import REPO, RESULTS, SAMPLE_RATE
from harness.clips import SHARED_DATA, build_tracks, decode_clips, speech_clips, write_shortest, write_wav
from harness.machine import describe, machine_info
from harness.memory import RssSampler, peak_mb
from harness.scoring import corpus_wer, track_wer
from harness.staging import prepare_models
from harness.stats import fmt, md_table, stat
from harness.worker import job_spec, measure, run_worker

RESULT_MARK = "SUBVOX_BENCH_RESULT "


def _float(wav: str) -> Any:
    from subvox.asr.transcribe import as_float
    from subvox.media.ffmpeg import open_pcm

    return as_float(open_pcm(wav)[0])


def fw_batched(spec: dict[str, Any]) -> dict[str, Any]:
    """faster-whisper's own batched pipeline on the WAV (float samples, as it wants them)."""
    sampler = RssSampler()
    sampler.start()
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    model = WhisperModel(
        spec["model_path"], device="cpu", compute_type=spec["load_compute"], cpu_threads=spec["threads"]
    )
    pipe = BatchedInferencePipeline(model)
    # "words": the work subtitles need (timestamp tokens, word timings), as subvox does
    kwargs = {"without_timestamps": False, "word_timestamps": True} if spec.get("words") else {}
    list(pipe.transcribe(_float(spec["warmup_wav"]), batch_size=8, **kwargs)[0])
    t0 = time.perf_counter()
    segments, _ = pipe.transcribe(_float(spec["wav"]), batch_size=8, **kwargs)
    text = " ".join(s.text.strip() for s in segments)
    wall = time.perf_counter() - t0
    sampler.stop()
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(peak_mb(), 1), "text": text}


def clips_subvox(spec: dict[str, Any]) -> dict[str, Any]:
    """Every clip through subvox.asr.transcribe.transcribe_files: pieces of several files per batch."""
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.guards import GuardOptions
    from subvox.asr.transcribe import FileRequest, LanguageOptions, transcribe_audio, transcribe_files
    from subvox.media.ffmpeg import open_pcm

    asr = spec["asr"]
    model = load_transcriber(
        "faster-whisper", spec["model_path"], spec["model"], "cpu", spec["load_compute"], spec["threads"]
    )
    decode = DecodeOptions.from_config(asr)
    guards, languages = GuardOptions.from_config(asr), LanguageOptions.from_config(asr)
    transcribe_audio(model, open_pcm(spec["warmup_wav"])[0], decode, guards, languages)
    t0 = time.perf_counter()
    requests = (
        FileRequest(i, open_pcm(w)[0], decode, guards, languages, asr["chunk_s"]) for i, w in enumerate(spec["wavs"])
    )
    texts = {
        f.key: " ".join(s.text for s in f.transcripts[0].segments)
        for f in transcribe_files(model, requests, decode.batch_size)
    }
    wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(peak_mb(), 1),
        "texts": [texts[i] for i in range(len(texts))],
    }


def clips_loop(spec: dict[str, Any]) -> dict[str, Any]:
    """A plain loop: one WhisperModel, ``transcribe`` on each clip, its segments read."""
    from faster_whisper import WhisperModel

    model = WhisperModel(
        spec["model_path"], device="cpu", compute_type=spec["load_compute"], cpu_threads=spec["threads"]
    )
    kwargs = {"word_timestamps": True} if spec["words"] else {}
    list(model.transcribe(_float(spec["warmup_wav"]), **kwargs)[0])
    t0 = time.perf_counter()
    texts = [" ".join(s.text.strip() for s in model.transcribe(_float(w), **kwargs)[0]) for w in spec["wavs"]]
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(peak_mb(), 1), "texts": texts}


WORKERS = {"subvox": measure, "fw-batched": fw_batched, "clips-subvox": clips_subvox, "loop": clips_loop}


def write_clips(decoded: list[Any], n: int, tmp: Path) -> list[tuple[str, str]]:
    """``n`` WAVs of 3-10 s real speech: the clips of that length and two short ones joined,
    cycled, each after its own 0-0.4 s of silence; returns (wav, reference) pairs."""
    import numpy as np

    pool = [(pcm, c.reference) for c, pcm in decoded if 3 <= len(pcm) / SAMPLE_RATE <= 10]
    short = sorted(((pcm, c.reference) for c, pcm in decoded if len(pcm) / SAMPLE_RATE < 3), key=lambda p: len(p[0]))
    if short and pool:
        gap = np.zeros(SAMPLE_RATE // 2, dtype=np.int16)
        pool.append((np.concatenate([short[0][0], gap, pool[-1][0]]), f"{short[0][1]} {pool[-1][1]}"))
    out = []
    for i in range(n):
        pcm, ref = pool[i % len(pool)]
        wav = tmp / f"clip{i:03d}.wav"
        write_wav(wav, [np.zeros(int(SAMPLE_RATE * 0.1 * (i % 5)), dtype=np.int16), pcm])
        out.append((str(wav), ref))
    return out


def ratio(runs: list[dict[str, Any]], a: str, b: str, key: str = "wall_s") -> tuple[float, float, float] | None:
    """Median [min, max] over repetitions of run ``a``'s ``key`` / run ``b``'s in the same repetition."""
    by: dict[int, dict[str, float]] = {}
    for r in runs:
        if "error" not in r:
            by.setdefault(r["rep"], {})[r["name"]] = r[key]
    return stat([v[a] / v[b] for v in by.values() if a in v and b in v])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sizes", default="4,8", help="batch sizes for subvox, comma-separated (first: the default)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clips", type=int, default=100)
    ap.add_argument("--rss-minutes", type=float, default=20.0, help="0: no rss runs")
    ap.add_argument("--loop-words", action="store_true", help="also the loop with word timestamps")
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--compute", default="int8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        spec = json.loads(args.worker)
        print(RESULT_MARK + json.dumps(WORKERS[spec["kind"]](spec)), flush=True)
        return

    from subvox.config import load_config

    t_begin = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    asr = load_config(REPO / "config" / "config.yaml")["asr"]
    info = machine_info()
    cfg = ("faster-whisper", args.model, args.compute)
    paths, skipped = prepare_models([cfg], args.models_dir)
    if skipped:
        raise SystemExit(f"cannot load {cfg}: {skipped[cfg]}")
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="subvox-batched-") as tmpdir:
        tmp = Path(tmpdir)
        decoded = decode_clips(speech_clips(SHARED_DATA), tmp)
        warm = str(write_shortest(tmp / "warmup.wav", decoded))
        lengths = {
            "track": args.minutes * 60,
            **({"long": args.rss_minutes * 60, "1min": 60.0} if args.rss_minutes else {}),
        }
        tracks = build_tracks(decoded, lengths, tmp)
        clips = write_clips(decoded, args.clips, tmp)
        wavs = [w for w, _ in clips]

        def spec(
            kind: str, batch: int = 1, wav: str = tracks["track"]["wav"], tails: bool = True, **extra: Any
        ) -> dict[str, Any]:
            conf = {**asr, "batch_size": batch, "pack_tails": tails}
            return {**job_spec(cfg, paths[cfg], wav, conf, args.threads, warmup_wav=warm), "kind": kind, **extra}

        plan = [
            *((f"subvox-{b}", spec("subvox", b)) for b in sizes),
            (f"subvox-{sizes[0]}-own-tails", spec("subvox", sizes[0], tails=False)),
            ("subvox-seq", spec("subvox", 1, tails=False)),
            ("fw-batched", spec("fw-batched")),
            ("fw-batched-words", spec("fw-batched", words=True)),
            *((f"clips-subvox-{b}", spec("clips-subvox", b, wavs=wavs)) for b in sizes),
            ("loop", spec("loop", wavs=wavs, words=False)),
            *([("loop-words", spec("loop", wavs=wavs, words=True))] if args.loop_words else []),
        ]
        for rep in range(args.reps):
            k = rep % len(plan)
            for name, s in plan[k:] + plan[:k]:
                r = run_worker(s, 3600, __file__)
                r.update(name=name, rep=rep)
                runs.append(r)
                print(
                    f"rep {rep + 1} {name}: " + (r.get("error") or f"{r['wall_s']:.1f} s, {r['peak_rss_mb']:.0f} MB"),
                    flush=True,
                )
        for name in ("long", "1min") if args.rss_minutes else ():
            r = run_worker(spec("subvox", sizes[0], tracks[name]["wav"]), 3600, __file__)
            r.update(name=f"rss-{name}", rep=0)
            runs.append(r)
            print(f"rss {name}: " + (r.get("error") or f"{r['wall_s']:.1f} s, {r['peak_rss_mb']:.0f} MB"), flush=True)

    ref = tracks["track"]["reference"]
    for r in runs:
        if "error" in r:
            continue
        if "texts" in r:
            r["wer"] = round(corpus_wer(zip([c[1] for c in clips], r["texts"], strict=True)), 4)
        elif r["name"].startswith(("subvox", "fw")):
            r["wer"] = track_wer(ref, r["text"])
    report = summary(args, info, tracks, runs, sizes, asr, time.perf_counter() - t_begin)
    print("\n" + report, flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "batched.md").write_text(report + "\n", encoding="utf-8")
    run_args = {k: v for k, v in vars(args).items() if k != "worker"}
    (out / "batched.json").write_text(
        json.dumps({"machine": info, "args": run_args, "runs": runs}, indent=1), encoding="utf-8"
    )


def summary(args: Any, info: dict, tracks: dict, runs: list[dict], sizes: list[int], asr: dict, total_s: float) -> str:
    names = list(dict.fromkeys(r["name"] for r in runs))
    rows = []
    for name in names:
        good = [r for r in runs if r["name"] == name and "error" not in r]
        n = len(good)
        audio = tracks["track"]["audio_s"] if not name.startswith(("clips", "loop", "rss")) else None
        rows.append(
            [
                name,
                f"{n}/{sum(r['name'] == name for r in runs)}",
                fmt(stat([r["wall_s"] for r in good]), 2, n),
                fmt(stat([r["wall_s"] / audio for r in good]), 4, n) if audio else "-",
                fmt(stat([r["peak_rss_mb"] for r in good]), 0, n),
                fmt(stat([r["wer"] for r in good if "wer" in r]), 4, n),
            ]
        )
    b = sizes[0]
    med = {
        name: stat([r[k] for r in runs if r["name"] == name and "error" not in r]) for name in names for k in ["wall_s"]
    }
    wer = {
        name: statistics.median([r["wer"] for r in runs if r["name"] == name and "wer" in r] or [float("nan")])
        for name in names
    }
    vs_fw, vs_seq = ratio(runs, f"subvox-{b}", "fw-batched"), ratio(runs, f"subvox-{b}", "subvox-seq")
    vs_fw_words = ratio(runs, f"subvox-{b}", "fw-batched-words")
    vs_loop, vs_words = ratio(runs, f"clips-subvox-{b}", "loop"), ratio(runs, f"clips-subvox-{b}", "loop-words")
    vs_words_text = f"; / loop-words: {fmt(vs_words, 2)}" if vs_words else ""
    rss = ratio(runs, f"subvox-{b}", "subvox-seq", "peak_rss_mb")
    lines = [
        f"# Batched decoding: {args.model} {args.compute}, {args.threads} threads, batch sizes {sizes}",
        "",
        f"Machine: {describe(info)}; load average at start {info['loadavg_start']}. Track: "
        f"{tracks['track']['audio_s'] / 60:.1f} min; clips: {args.clips} files; {args.reps} repetitions, "
        f"beam {asr['beam_size']}, word timestamps {asr['word_timestamps']}.",
        "",
        md_table(["run", "ok", "wall s", "RTF", "peak RSS MB", "WER"], rows),
        "",
    ]
    if args.reps:  # --reps 0: only the rss runs
        lines += [
            f"- (1) subvox batch {b} / fw-batched wall: {fmt(vs_fw, 2)} "
            f"(target <= 0.90: {verdict(bool(vs_fw) and vs_fw[0] <= 0.9)})",
            f"- (1) subvox batch {b} / fw-batched-words (timestamps and word timings, equal work) wall: "
            f"{fmt(vs_fw_words, 2)}",
            f"- (1) subvox batch {b} / subvox-seq wall: {fmt(vs_seq, 2)}",
            f"- (1) WER subvox batch {b} {wer[f'subvox-{b}']:.4f} vs subvox-seq {wer['subvox-seq']:.4f} "
            f"(target <= +0.003: {verdict(wer[f'subvox-{b}'] <= wer['subvox-seq'] + 0.003)}); "
            f"fw-batched {wer['fw-batched']:.4f}, fw-batched-words {wer['fw-batched-words']:.4f}",
            f"- (2) clips subvox batch {b} / loop wall: {fmt(vs_loop, 2)} (target <= 0.60: "
            f"{verdict(bool(vs_loop) and vs_loop[0] <= 0.6)}){vs_words_text}",
            f"- peak RSS subvox batch {b} / subvox-seq (track): {fmt(rss, 2)} "
            f"(target <= 1.50: {verdict(bool(rss) and rss[0] <= 1.5)})",
        ]
    long_run = next((r for r in runs if r["name"] == "rss-long" and "error" not in r), None)
    short_run = next((r for r in runs if r["name"] == "rss-1min" and "error" not in r), None)
    if long_run and short_run:
        q = long_run["peak_rss_mb"] / short_run["peak_rss_mb"]
        lines.append(
            f"- peak RSS {tracks['long']['audio_s'] / 60:.0f} min / 1 min, batch {b}: {long_run['peak_rss_mb']:.0f} / "
            f"{short_run['peak_rss_mb']:.0f} MB = {q:.2f} (target <= 1.25: {verdict(q <= 1.25)})"
        )
    first = {r["name"]: r for r in reversed(runs) if "error" not in r and "text" in r}
    for name in [f"subvox-{s}" for s in sizes]:
        if name in first and "subvox-seq" in first:
            a, c = first[name]["text"], first["subvox-seq"]["text"]
            same = "identical text" if a == c else f"WER between them {track_wer(c, a):.4f}"
            lines.append(f"- outputs, {name} vs subvox-seq: {same}")
    lines += [
        "",
        f"Medians of wall s: {', '.join(f'{k} {v[0]:.2f}' for k, v in med.items() if v)}.",
        f"Total time: {total_s / 60:.1f} min.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
