"""Diarization quality, speed and memory of subvox.speakers (issue #16).

    .venv/bin/python bench/diarization.py [--long-minutes 180] [--out DIR] [--set key=value ...]
    .venv/bin/python bench/diarization.py --grid        # the tuning search, on the tuning split only
    .venv/bin/python bench/diarization.py --known-count # num_speakers = the reference's count
    .venv/bin/python bench/diarization.py --music-db 5 [--enhance vocals]   # music under the speech

Needs pyannote.metrics (scoring only; not a runtime dependency): pip install pyannote.metrics==4.2.0

Data (nothing is downloaded):
  AMI   the nine 30-s far-field AMI excerpts of ../shared/data/diarization (trn01..trn09) and
        their reference.rttm (1-4 speakers, quiet, overlapping speech);
  SIM   two-speaker conversations simulated from the single-speaker clips of
        ../shared/data/audio (LJSpeech = one speaker; JFK, LibriSpeech 1088, AMI ES2011a
        headset, Leopard German = one each): clips cut at pauses into utterances, speakers
        alternating with 0.2-1.0 s gaps and, at 30 % of the changes, a 0.3-1.0 s overlap; the
        reference RTTM is written from the known placement (subvox.speakers.simulate).
Every file goes through the workflow's path: extracted to 16-kHz int16 WAV by ffmpeg and
memory-mapped with subvox.media.ffmpeg.open_pcm.

Split: parameters were chosen with --grid on the TUNE files only (AMI trn01, 03, 05, 07, 09 and
SIM 1-4); HELD-OUT files (AMI trn02, 04, 06, 08 and SIM 5-8) are reported separately.
--known-count gives every file its reference speaker count (num_speakers), to see what the
estimate costs; --oracle-vad its reference speech regions instead of Silero's, to see what speech
detection costs (both are diagnostics, not results). --music-db, --under, --enhance: music or noise
under every file, and what the workflow's audio.enhance then gives the diarizer (diarization_degrade.py).

Printed: per file DER (pyannote.metrics DiarizationErrorRate(collar=0.5, skip_overlap=False):
a forgiveness collar of +-0.25 s around reference boundaries, overlapped speech scored) with
its missed / false-alarm / confusion seconds and the reference vs found speaker count; DER
over each set (summed over files) with its missed / false-alarm / confusion shares, how much
of the second-speaker (overlap) time found lies in reference overlap and how much reference
overlap it covers, the missed share split into speech where nobody was found (unseen: speech
detection) and speech of a speaker beyond those found (overlap), the share of files with the
exact speaker count, the real-time factor (diarization wall time / audio time, models loaded) and, with
--long-minutes, peak RSS of a long looped file vs a 3-minute one, each in a fresh process.

Targets: AMI DER <= 0.30; SIM DER <= 0.08; exact count on >= 80 % of files; RTF <= 0.1;
peak RSS long / short <= 1.25.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from diarization_scoring import score  # noqa: E402

from subvox.media.ffmpeg import decode_at, extract_audio, open_pcm  # noqa: E402
from subvox.speakers import DiarizationOptions, Turn, read_rttm, write_rttm  # noqa: E402
from subvox.speakers.simulate import conversation  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
RATE = 16000
AMI_TUNE = ["trn01", "trn03", "trn05", "trn07", "trn09"]
# simulated pairs: (speaker A, speaker B); the first four are the tuning split
SIM_PAIRS = [
    ("LJ", "JFK"),
    ("LJ", "LIBRI"),
    ("JFK", "LIBRI"),
    ("LJ", "DE"),
    ("LIBRI", "DE"),
    ("JFK", "AMI"),
    ("LIBRI", "AMI"),
    ("LJ", "AMI"),
]
SIM_TUNE = 4
SPEAKER_CLIPS = {
    "LJ": [f"coqui_LJ001-000{i}.flac" for i in (1, 2, 3, 4)],
    "JFK": ["jfk.flac"],
    "LIBRI": ["lhotse_libri-1088-134315-0000.wav"],
    "AMI": ["lhotse_ami_ES2011a_40s-46s.wav"],
    "DE": ["leopard_test_de.wav"],
}
TARGETS = {"ami_der": 0.30, "sim_der": 0.08, "count": 0.80, "rtf": 0.10, "rss_ratio": 1.25}


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        wf.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def build_data(shared: Path, tmp: Path) -> list[dict[str, Any]]:
    """Every benchmark file: id, set (AMI/SIM), split (tune/held-out), WAV path and reference turns."""
    files = []
    ref = read_rttm(shared / "diarization" / "reference.rttm")
    for uri in sorted(ref):
        wav = tmp / f"{uri}.wav"
        extract_audio(shared / "diarization" / f"{uri}.wav", wav)
        split = "tune" if uri in AMI_TUNE else "held-out"
        files.append({"id": uri, "set": "AMI", "split": split, "wav": wav, "ref": ref[uri]})
    clips = {
        name: [decode_at(str(shared / "audio" / f), RATE).astype(np.float32) / 32768 for f in paths]
        for name, paths in SPEAKER_CLIPS.items()
    }
    for i, (a, b) in enumerate(SIM_PAIRS):
        uri = f"sim{i + 1}_{a}_{b}"
        mix, turns = conversation({a: clips[a], b: clips[b]}, seed=i)
        write_wav(tmp / f"{uri}.wav", to_int16(mix))
        write_rttm(turns, uri, tmp / f"{uri}.ref.rttm")
        split = "tune" if i < SIM_TUNE else "held-out"
        files.append({"id": uri, "set": "SIM", "split": split, "wav": tmp / f"{uri}.wav", "ref": turns})
    return files


def run_all(
    files: list[dict[str, Any]], options: DiarizationOptions, known_count: bool = False, oracle_vad: bool = False
) -> tuple[dict[str, list[Turn]], dict[str, float]]:
    """Diarize every file; ``known_count`` gives each its reference speaker count, ``oracle_vad``
    its reference speech (the union of the reference turns) instead of Silero's."""
    from subvox.speakers.resemblyzer_engine import ResemblyzerDiarizer

    t0 = time.perf_counter()
    diarizer = ResemblyzerDiarizer()
    warm = next(f for f in files if f["set"] == "SIM")  # speech, so that every model loads
    diarizer.diarize(np.array(open_pcm(warm["wav"])[0][: 10 * RATE]), options)
    load_s = time.perf_counter() - t0
    hyps, wall, audio = {}, 0.0, 0.0
    for f in files:
        samples, _ = open_pcm(f["wav"])
        opts = replace(options, num_speakers=len({t.speaker for t in f["ref"]})) if known_count else options
        t = time.perf_counter()
        if oracle_vad:
            hyps[f["id"]] = diarizer.assign(reference_analysis(diarizer, samples, f["ref"], opts), opts)
        else:
            hyps[f["id"]] = diarizer.diarize(samples, opts)
        wall += time.perf_counter() - t
        audio += len(samples) / RATE
    return hyps, {"load_s": load_s, "wall_s": wall, "audio_s": audio, "rtf": wall / audio}


def reference_analysis(diarizer: Any, samples: np.ndarray, ref: list[Turn], options: DiarizationOptions) -> Any:
    """The engine's analysis with the reference's speech regions in place of the VAD's: what the
    rest of the pipeline scores if speech detection were perfect."""
    from subvox.speakers.embed import embed_windows, plan_windows
    from subvox.speakers.resemblyzer_engine import Analysis

    regions: list[tuple[float, float]] = []
    for t in sorted(ref):
        if regions and t.start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(regions[-1][1], t.end))
        else:
            regions.append((t.start, t.end))
    plan = plan_windows(regions, options.window_s, options.hop_s, options.min_window_s)
    windows = embed_windows(samples, plan, diarizer.encoder(options.threads)) if len(plan) >= 2 else None
    return Analysis(len(samples) / RATE, regions, windows)


def print_report(result: dict[str, Any], timing: dict[str, float]) -> list[str]:
    print(f"{'file':<18} {'set':<4} {'split':<8} {'DER':>6} {'miss':>6} {'FA':>6} {'conf':>6} {'ref s':>6} spk ref/hyp")
    for uri, r in result["files"].items():
        print(
            f"{uri:<18} {r['set']:<4} {r['split']:<8} {r['der']:6.3f} {r['miss']:6.2f} {r['fa']:6.2f} "
            f"{r['conf']:6.2f} {r['total']:6.2f} {r['ref_speakers']}/{r['hyp_speakers']}"
        )
    print()
    print(f"{'set':<14} files    DER (miss / FA / conf)       miss: unseen / overlap  overlap prec/recall  exact count")
    for g, s in sorted(result["sets"].items()):
        prec, rec = (f"{v:.2f}" if v is not None else "  - " for v in (s["overlap_precision"], s["overlap_recall"]))
        print(
            f"{g:<14} {s['files']:5d}  {s['der']:.3f} ({s['miss']:.3f} / {s['fa']:.3f} / {s['conf']:.3f})"
            f"  {s['miss_unseen']:.3f} / {s['miss_under']:.3f}          {prec} / {rec}          {s['count_exact']:.2f}"
        )
    print(
        f"\nRTF {timing['rtf']:.4f} ({timing['wall_s']:.1f} s for {timing['audio_s']:.0f} s of audio; "
        f"models loaded + first call {timing['load_s']:.1f} s)"
    )
    sets = result["sets"]
    checks = [
        ("AMI DER (all nine)", sets["AMI"]["der"], TARGETS["ami_der"], "<="),
        ("AMI DER (held-out)", sets["AMI held-out"]["der"], TARGETS["ami_der"], "<="),
        ("SIM DER (all)", sets["SIM"]["der"], TARGETS["sim_der"], "<="),
        ("SIM DER (held-out)", sets["SIM held-out"]["der"], TARGETS["sim_der"], "<="),
        ("exact count, all files", sets["ALL"]["count_exact"], TARGETS["count"], ">="),
        ("exact count, SIM", sets["SIM"]["count_exact"], TARGETS["count"], ">="),
        ("exact count, AMI", sets["AMI"]["count_exact"], TARGETS["count"], ">="),
        ("RTF", timing["rtf"], TARGETS["rtf"], "<="),
    ]
    return [verdict(*c) for c in checks]


def verdict(name: str, value: float, target: float, op: str) -> str:
    ok = value <= target if op == "<=" else value >= target
    return f"{'PASS' if ok else 'FAIL'}: {name} = {value:.3f} (target {op} {target})"


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in pairs:
        key, _, value = p.partition("=")
        out[key] = json.loads(value) if value not in ("", "None") else None
    return out


# ---- tuning search (on the tuning split only) ----
# options that change the speech regions or windows (each combination analysed once) ...
ANALYSIS_GRID = {
    "vad_onset": [0.2, 0.3],
    "min_speech_s": [0.1, 0.25],
    "speech_pad_s": [0.1, 0.2],
}
# ... and those that only change the labelling of an analysis
LABEL_GRID = {
    "threshold": [0.325, 0.35, 0.375],
    "bridge_pause_s": [0.0, 0.5, 1.0],
    "overlap_excess": [0.0, 0.05],
}


def grid(files: list[dict[str, Any]], base: DiarizationOptions, split: str = "tune") -> None:
    """Try every combination of the two grids on one split's files, ranked by AMI + SIM DER with
    count accuracy as tie-break. The defaults were taken from the top row on the tuning split;
    ``--grid-split held-out`` is the cross-check."""
    from subvox.speakers.resemblyzer_engine import ResemblyzerDiarizer

    tune = [f for f in files if f["split"] == split]
    engine = ResemblyzerDiarizer()
    samples = {f["id"]: open_pcm(f["wav"])[0] for f in tune}
    rows = []
    for a_values in itertools.product(*ANALYSIS_GRID.values()):
        a_change = dict(zip(ANALYSIS_GRID, a_values, strict=True))
        a_opts = replace(base, **a_change)
        analyses = {uri: engine.analyse(x, a_opts) for uri, x in samples.items()}
        for values in itertools.product(*LABEL_GRID.values()):
            change = a_change | dict(zip(LABEL_GRID, values, strict=True))
            opts = replace(a_opts, **change)
            hyps = {uri: engine.assign(a, opts) for uri, a in analyses.items()}
            sets = score(tune, hyps)["sets"]
            rows.append((sets["AMI"]["der"] + sets["SIM"]["der"], -sets["ALL"]["count_exact"], change, sets))
    rows.sort(key=lambda r: (round(r[0], 4), r[1]))
    for total, _, change, sets in rows[:15]:
        print(
            f"{total:.3f}  AMI {sets['AMI']['der']:.3f} SIM {sets['SIM']['der']:.3f} "
            f"count {sets['ALL']['count_exact']:.2f}  {change}"
        )


# ---- memory: a long looped file vs a short one, each diarized in a fresh process ----
def looped_wav(sources: list[Path], minutes: float, dst: Path) -> float:
    """``minutes`` of the benchmark audio, looped (1 s of silence between files), written
    piece by piece so that building it costs no memory either."""
    target = int(minutes * 60 * RATE)
    written = 0
    gap = np.zeros(RATE, dtype=np.int16)
    with wave.open(str(dst), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        for src in itertools.cycle(sources):
            piece = np.concatenate([np.asarray(open_pcm(src)[0]), gap])[: target - written]
            wf.writeframes(piece.astype("<i2").tobytes())
            written += len(piece)
            if written >= target:
                break
    return written / RATE


def proc_status() -> dict[str, float]:
    """VmHWM (peak RSS of this process image), VmRSS, RssAnon and RssFile in MB. Not
    ru_maxrss: on Linux that survives exec, so a child started by a big parent inherits
    the parent's peak."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def child(wav: str, options: dict[str, Any]) -> None:
    """Diarize one file in this (fresh) process and print a JSON line with peak RSS."""
    from subvox.speakers.resemblyzer_engine import ResemblyzerDiarizer

    opts = DiarizationOptions.from_config(options)
    diarizer = ResemblyzerDiarizer()
    samples, _ = open_pcm(wav)
    diarizer.encoder(opts.threads)(np.zeros((16, 160, 40), dtype=np.float32))  # every model loaded
    diarizer.diarize(np.array(samples[: 20 * RATE]), opts)  # before timing
    loaded = proc_status()
    t = time.perf_counter()
    turns = diarizer.diarize(samples, opts)
    wall = time.perf_counter() - t
    end = proc_status()
    print(
        json.dumps(
            {
                "audio_s": len(samples) / RATE,
                "wall_s": wall,
                "rtf": wall / (len(samples) / RATE),
                "rss_after_load_mb": loaded["VmHWM"],
                "peak_rss_mb": end["VmHWM"],
                "anon_end_mb": end["RssAnon"],
                "file_end_mb": end["RssFile"],
                "turns": len(turns),
                "speakers": len({t.speaker for t in turns}),
            }
        )
    )


def memory(files: list[dict[str, Any]], long_minutes: float, short_minutes: float, tmp: Path, opts: dict) -> list[str]:
    sources = [f["wav"] for f in files]
    out = {}
    for name, minutes in (("short", short_minutes), ("long", long_minutes)):
        wav = tmp / f"looped_{name}.wav"
        looped_wav(sources, minutes, wav)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(wav), "--child-options", json.dumps(opts)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            raise SystemExit(f"{name} run failed:\n{proc.stderr[-3000:]}")
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        wav.unlink()
        r = out[name]
        print(
            f"{name}: {r['audio_s'] / 60:.1f} min, wall {r['wall_s']:.1f} s (RTF {r['rtf']:.4f}), "
            f"peak RSS after load {r['rss_after_load_mb']:.0f} MB, at the end {r['peak_rss_mb']:.0f} MB "
            f"(then anon {r['anon_end_mb']:.0f} + file {r['file_end_mb']:.0f}), "
            f"{r['speakers']} speakers, {r['turns']} turns",
            flush=True,
        )
    ratio = out["long"]["peak_rss_mb"] / out["short"]["peak_rss_mb"]
    print(f"peak RSS {long_minutes:g} min / {short_minutes:g} min = {ratio:.3f}")
    return [
        verdict(f"peak RSS {long_minutes:g} min / {short_minutes:g} min", ratio, TARGETS["rss_ratio"], "<="),
        verdict(f"RTF, {long_minutes:g}-min file", out["long"]["rtf"], TARGETS["rtf"], "<="),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared-data", default=str(SHARED))
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="DiarizationOptions overrides (JSON)")
    ap.add_argument("--long-minutes", type=float, help="also measure peak RSS of a looped file this long")
    ap.add_argument("--short-minutes", type=float, default=3.0)
    ap.add_argument("--grid", action="store_true", help="tuning search on the tuning split")
    ap.add_argument("--grid-split", default="tune", choices=["tune", "held-out"], help="split --grid searches")
    ap.add_argument("--known-count", action="store_true", help="give each file its reference speaker count")
    ap.add_argument("--oracle-vad", action="store_true", help="the reference's speech regions instead of Silero's")
    ap.add_argument("--music-db", type=float, help="synthetic music under every file, this many dB below its speech")
    ap.add_argument("--under", default="music", choices=["music", "noise"], help="what --music-db lays under")
    ap.add_argument("--enhance", default="off", help="audio.enhance for the diarizer: off, vocals, deepfilter, rnnoise")
    ap.add_argument("--enhance-mix", type=float, help="audio.enhance_mix (default: the workflow's)")
    ap.add_argument("--enhance-below-snr-db", type=float, help="audio.enhance_below_snr_db (default: the workflow's)")
    ap.add_argument("--out", help="write hypothesis RTTMs, simulated references and results.json here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-options", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, json.loads(args.child_options))
        return
    overrides = parse_overrides(args.set)
    options = DiarizationOptions.from_config(overrides)
    with tempfile.TemporaryDirectory(prefix="subvox-diar-") as tmpdir:
        tmp = Path(tmpdir)
        files = build_data(Path(args.shared_data), tmp)
        if args.music_db is not None or args.enhance != "off":
            from subvox.config import load_config

            audio = load_config(REPO / "config" / "config.yaml")["audio"]
            mix = audio["enhance_mix"] if args.enhance_mix is None else args.enhance_mix
            below = audio["enhance_below_snr_db"] if args.enhance_below_snr_db is None else args.enhance_below_snr_db
            from diarization_degrade import degrade

            degrade(files, tmp, args.music_db, args.enhance, mix, below, args.under)
            print(
                f"{args.under} {args.music_db} dB under the speech; audio.enhance {args.enhance}, "
                f"mix {mix}, below {below}"
            )
        if args.grid:
            grid(files, options, args.grid_split)
            return
        hyps, timing = run_all(files, options, args.known_count, args.oracle_vad)
        result = score(files, hyps)
        checks = print_report(result, timing)
        if args.long_minutes:
            print()
            checks += memory(files, args.long_minutes, args.short_minutes, tmp, overrides)
        print()
        print("\n".join(checks))
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for f in files:
                write_rttm(hyps[f["id"]], f["id"], out / f"{f['id']}.rttm")
                if f["set"] == "SIM":
                    write_rttm(f["ref"], f["id"], out / f"{f['id']}.ref.rttm")
            summary = {"options": asdict(options), "timing": timing, **result, "checks": checks}
            (out / "results.json").write_text(json.dumps(summary, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
