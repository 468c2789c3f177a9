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
  whisper.cpp     f16 (ggml ftype 1)     (only when subvox.ggml is importable; otherwise
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
(subvox.media.open_pcm) and calls subvox.transcribe.transcribe_audio with the options of
config/config.yaml (beam 5, DecodeOptions/GuardOptions/LanguageOptions defaults,
chunk_s 120). Before the timed call it transcribes the shortest clip (1.9 s) once, timed
apart as "warm-up" (numba JIT of openai-whisper's word alignment, caches): a job pays that
once per batch of files, not per file (--no-warmup times a cold first call instead).
It prints one JSON line: load time, transcription wall and CPU time (getrusage user+sys,
all threads), RTF = wall / audio duration, peak RSS and the hypothesis text. Peak RSS is
the worker's VmHWM (imports and model included); ru_maxrss is recorded too but not used:
Linux carries the parent's high-water mark into a child's ru_maxrss across fork+exec.
WER is scored in the parent (subvox.wer), so workers never import torch needlessly.

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
import dataclasses
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SAMPLE_RATE = 16000
RESULT_MARK = "SUBVOX_BENCH_RESULT "
DEFAULT_BACKEND = ("faster-whisper", "int8")  # config/config.yaml asr.backend / compute_type
COMPUTE_TYPES = {
    "faster-whisper": ["int8", "float32"],
    "openai-whisper": ["fp32"],
    "whisper.cpp": ["f16"],
}
# Only when named in --compute: int8_float32 (on CPU the same kernels as int8); ggml f32
# (written as whisper.cpp's own converter does, but whisper.cpp 1.8.5 / pywhispercpp 1.5.1
# aborts on it: GGML_ASSERT(src0->type == GGML_TYPE_F16) in its conv1d).
EXTRA_COMPUTE_TYPES = {"faster-whisper": ["int8_float32"], "whisper.cpp": ["f32"]}
LENGTHS = {"10s": 10.0, "1min": 60.0, "10min": 600.0}
TARGETS_RTF = {"tiny.en": 0.08, "base": 0.15}  # default backend, 1-min track
TARGET_RSS_MB = {"tiny.en": 400.0}
TARGET_WER_SPREAD = 0.02  # the backends' WERs on the same track, same weights
# Rough RTF and per-run start-up seconds on a 2-core x86 machine, used only to print the
# expected duration of a plan before it starts.
PRIOR_RTF = {
    ("faster-whisper", "tiny.en"): 0.06,
    ("faster-whisper", "base"): 0.12,
    ("openai-whisper", "tiny.en"): 0.25,
    ("openai-whisper", "base"): 0.5,
    ("whisper.cpp", "tiny.en"): 0.15,
    ("whisper.cpp", "base"): 0.3,
}
PRIOR_STARTUP_S = {"faster-whisper": 3.0, "openai-whisper": 6.0, "whisper.cpp": 3.0}
PACKAGES = [
    "faster-whisper",
    "ctranslate2",
    "onnxruntime",
    "openai-whisper",
    "torch",
    "numpy",
    "pywhispercpp",
    "matplotlib",
]


# --------------------------------------------------------------------------- test audio


@dataclass
class Clip:
    name: str
    path: Path
    reference: str


def speech_clips(shared_data: Path | None) -> list[Clip]:
    """Real English clips with human references from the repo's and the shared manifests."""
    manifests = [REPO / "tests" / "data" / "manifest.json"]
    if shared_data is not None and (shared_data / "manifest.json").is_file():
        manifests.append(shared_data / "manifest.json")
    seen: set[str] = set()
    clips = []
    for manifest in manifests:
        for e in json.loads(manifest.read_text(encoding="utf-8")):
            if e.get("language") != "en" or e.get("reference_type") != "human" or not e.get("reference_text"):
                continue
            path = (manifest.parent / e["file"]).resolve()
            if not path.is_file():
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            clips.append(Clip(path.stem, path, " ".join(e["reference_text"].split())))
    if not clips:
        raise SystemExit("no English clips with references found")
    return sorted(clips, key=lambda c: c.name)


def decode_clips(clips: list[Clip], tmp: Path) -> list[tuple[Clip, Any]]:
    """Each clip as 16 kHz mono int16 samples (ffmpeg, as the workflow extracts audio)."""
    import numpy as np

    from subvox.media import extract_audio

    out = []
    for i, clip in enumerate(clips):
        wav = tmp / f"clip{i}.wav"
        extract_audio(clip.path, wav)
        with wave.open(str(wav), "rb") as wf:
            pcm = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").copy()
        wav.unlink()
        out.append((clip, pcm))
    return out


def track_pieces(decoded: list[tuple[Clip, Any]], target_s: float, gap_s: float = 1.0):
    """Yield (samples, reference) pieces: clips, looped in a fixed shuffled order per loop,
    separated by ``gap_s`` of silence, until the track is at least ``target_s`` long."""
    import numpy as np

    rng = np.random.default_rng(0)
    gap = np.zeros(int(gap_s * SAMPLE_RATE), dtype=np.int16)
    total, first = 0, True
    target = int(target_s * SAMPLE_RATE)
    while total < target:
        order = list(range(len(decoded))) if first else rng.permutation(len(decoded)).tolist()
        for i in order:
            if total >= target:
                break
            clip, pcm = decoded[i]
            if not first:
                yield gap, ""
                total += len(gap)
            yield pcm, clip.reference
            total += len(pcm)
            first = False


def write_track(path: Path, decoded: list[tuple[Clip, Any]], target_s: float) -> tuple[float, str]:
    """Write a 16-bit mono WAV track (streamed, any length); returns (duration s, reference)."""
    refs, frames = [], 0
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        for pcm, ref in track_pieces(decoded, target_s):
            wf.writeframes(pcm.tobytes())
            frames += len(pcm)
            if ref:
                refs.append(ref)
    return frames / SAMPLE_RATE, " ".join(refs)


# --------------------------------------------------------------------------- worker


def _proc_status() -> dict[str, float]:
    """Current VmRSS / RssAnon / RssFile / RssShmem of this process, MB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) / 1024
    return out


class RssSampler(threading.Thread):
    """Samples /proc/self/status every ``interval`` s: peak of each RSS kind, and a timeline."""

    def __init__(self, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak: dict[str, float] = {}
        self.timeline: list[tuple[float, float]] = []
        self._stop_event = threading.Event()
        self._t0 = time.perf_counter()

    def sample(self) -> dict[str, float]:
        s = _proc_status()
        for k, v in s.items():
            self.peak[k] = max(self.peak.get(k, 0.0), v)
        return s

    def run(self) -> None:
        n = 0
        while not self._stop_event.wait(self.interval):
            s = self.sample()
            if n % 4 == 0:
                self.timeline.append((round(time.perf_counter() - self._t0, 2), round(s.get("VmRSS", 0.0), 1)))
            n += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


class PreadPcm:
    """Diagnostic stand-in for the memory map: each slice is read with os.pread into a fresh
    array, so pages of the file already transcribed never stay resident in this process."""

    def __init__(self, path: str, offset: int, frames: int) -> None:
        self.fd = os.open(path, os.O_RDONLY)
        self.offset, self.frames = offset, frames

    def __len__(self) -> int:
        return self.frames

    def __getitem__(self, key: slice) -> Any:
        import numpy as np

        start, stop, step = key.indices(self.frames)
        assert step == 1, "only contiguous slices"
        raw = os.pread(self.fd, 2 * max(0, stop - start), self.offset + 2 * start)
        return np.frombuffer(raw, dtype="<i2").copy()


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _peak_mb() -> float:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: Linux carries the parent's
    high-water mark over fork+exec into the child's ru_maxrss, so a worker started by a
    parent that holds torch would report the parent's peak."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def jobs_malloc(spec: dict[str, Any]) -> bool:
    """Whether a worker runs with the workflow jobs' malloc (subvox.allocator: jemalloc when
    installed, else glibc with a 4 MiB mmap threshold) rather than a diagnostic setting."""
    return not spec.get("glibc_default") and not {"MALLOC_MMAP_THRESHOLD_", "LD_PRELOAD"} & set(spec.get("env", {}))


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement: load the model, transcribe one WAV the way a workflow job does."""
    sampler = RssSampler()
    sampler.start()
    t0 = time.perf_counter()
    from subvox import allocator
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.guards import GuardOptions
    from subvox.media import open_pcm
    from subvox.transcribe import LanguageOptions, transcribe_audio

    if jobs_malloc(spec):
        allocator.tune()  # as every workflow job does (subvox.rulescript.run)

    import_s = time.perf_counter() - t0
    asr = spec["asr"]
    decode = dataclasses.replace(DecodeOptions.from_config(asr), task="transcribe")
    guards, languages = GuardOptions.from_config(asr), LanguageOptions.from_config(asr)

    t0, c0 = time.perf_counter(), _cpu_s()
    model = load_transcriber(
        spec["backend"], spec["model_path"], spec["model"], "cpu", spec["load_compute"], spec["threads"]
    )
    load_s, load_cpu_s = time.perf_counter() - t0, _cpu_s() - c0
    rss_loaded = _proc_status()["VmRSS"]
    warmup_s = None
    if spec.get("warmup_wav"):  # first call of a job: JIT (numba DTW in openai-whisper), caches
        t0 = time.perf_counter()
        transcribe_audio(model, open_pcm(spec["warmup_wav"])[0], decode, guards, languages, chunk_s=asr["chunk_s"])
        warmup_s = time.perf_counter() - t0

    trace: list[dict[str, float]] = []
    if spec.get("trace"):  # RSS after every backend call (one per chunk/region)
        inner = model.transcribe

        trim = None
        if spec.get("malloc_trim"):  # diagnostic: give freed heap memory back after each piece
            import ctypes

            trim = ctypes.CDLL("libc.so.6").malloc_trim

        def traced(audio: Any, options: Any) -> Any:
            result = inner(audio, options)
            if trim is not None:
                trim(0)
            s = sampler.sample()
            trace.append(
                {
                    "t": round(time.perf_counter() - t_start, 1),
                    "audio_s": round(len(audio) / SAMPLE_RATE, 1),
                    **{k: round(v, 1) for k, v in s.items()},
                }
            )
            return result

        model.transcribe = traced  # type: ignore[method-assign]

    audio, rate = open_pcm(spec["wav"])  # the workflow's path (batch.prepare_one)
    assert rate == SAMPLE_RATE, rate
    if spec.get("audio_mode") == "pread":  # diagnostic: same samples, read per slice, no map
        audio = PreadPcm(spec["wav"], audio.offset, len(audio))
    t_start = t0 = time.perf_counter()
    c0 = _cpu_s()
    transcript = transcribe_audio(model, audio, decode, guards, languages, chunk_s=asr["chunk_s"])
    wall_s, cpu_s = time.perf_counter() - t0, _cpu_s() - c0
    peak = _peak_mb()
    sampler.stop()
    duration = len(audio) / SAMPLE_RATE
    return {
        "import_s": round(import_s, 3),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu_s, 3),
        "warmup_s": None if warmup_s is None else round(warmup_s, 3),
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "audio_s": round(duration, 3),
        "rtf": round(wall_s / duration, 5),
        "cpu_rtf": round(cpu_s / duration, 5),
        "peak_rss_mb": round(peak, 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_load_mb": round(rss_loaded, 1),
        "sampled_peak_mb": {k: round(v, 1) for k, v in sampler.peak.items()},
        "rss_timeline": sampler.timeline if spec.get("trace") else [],
        "trace": trace,
        "chunks": len(transcript.regions),
        "segments": len(transcript.segments),
        "language": transcript.language,
        "malloc": allocator.loaded() or "glibc",
        "text": " ".join(s.text.strip() for s in transcript.segments),
    }


def run_worker(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run ``worker(spec)`` in a fresh Python process; returns its result or an error."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(spec["threads"])  # as a Snakemake job with `threads` would
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(spec.get("env", {}))
    if jobs_malloc(spec):
        from subvox import allocator

        allocator.preload("auto", env)  # as the Snakefile does for every job
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s:.0f} s", "process_s": round(time.perf_counter() - t0, 1)}
    process_s = round(time.perf_counter() - t0, 2)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return {**json.loads(line[len(RESULT_MARK) :]), "process_s": process_s}
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    reason = lines[-1].strip() if lines else ""
    for key in ("GGML_ASSERT", "Assertion", "Error", "Killed"):  # most telling first
        hit = next((ln.strip() for ln in reversed(lines) if key in ln and "BFD" not in ln), None)
        if hit:
            reason = hit
            break
    return {"error": f"exit {proc.returncode}: {reason}", "stderr_tail": lines[-40:], "process_s": process_s}


# --------------------------------------------------------------------------- models


def ggml_unavailable() -> str | None:
    """Why whisper.cpp cannot be benchmarked here, or None when it can."""
    try:
        import subvox.ggml  # noqa: F401
    except ImportError as exc:
        return f"subvox.ggml is not importable ({exc})"
    from subvox import models

    if not hasattr(models, "ggml_model"):
        return "subvox.models.ggml_model does not exist"
    return None


def prepare_models(
    configs: list[tuple[str, str, str]], models_dir: str
) -> tuple[dict[tuple[str, str, str], str], dict[tuple[str, str, str], str]]:
    """Stage every model file the matrix needs, the way the workflow's `models` target does.

    Returns ({config: model path}, {config: why it is skipped}).
    """
    from subvox import models
    from subvox.ct2convert import convert

    paths: dict[tuple[str, str, str], str] = {}
    skipped: dict[tuple[str, str, str], str] = {}
    for backend, model, compute in configs:
        key = (backend, model, compute)
        try:
            ct2 = models.ct2_source(model, models_dir)
            if not models.is_ct2_dir(ct2):
                print(f"staging {model} -> {ct2}", flush=True)
                models.fetch_model(model, ct2)
            if backend == "faster-whisper":
                paths[key] = str(ct2)
                continue
            ckpt = models.openai_checkpoint(models_dir, model)
            if not ckpt.is_file():
                print(f"converting {model} -> {ckpt}", flush=True)
                convert(ct2, ckpt)
            if backend == "openai-whisper":
                paths[key] = str(ckpt)
                continue
            from subvox.ggml import convert_ggml

            path = models.ggml_model(models_dir, model)  # <id>.bin, f16 (the workflow's)
            if compute != "f16":
                path = path.with_name(f"{path.stem}.{compute}.bin")
            if not path.is_file():
                print(f"converting {model} -> {path} (ggml {compute})", flush=True)
                convert_ggml(ckpt, path, compute)
            paths[key] = str(path)
        except Exception as exc:  # one backend failing to stage must not stop the others
            skipped[key] = f"{type(exc).__name__}: {exc}"
            print(f"note: {backend} {compute} {model} skipped: {skipped[key]}", flush=True)
    return paths, skipped


# --------------------------------------------------------------------------- plan & report


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_mb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_mb = int(line.split()[1]) // 1024
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_mb": mem_mb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit,
        "loadavg_start": list(os.getloadavg()),
    }


LONG_NOTES = {
    "all": "every configuration",
    "per-backend": "faster-whisper int8 with every model, and each backend's first compute type with tiny.en",
    "fast": "faster-whisper int8 with every model, and whisper.cpp f16 with tiny.en (openai-whisper left out: "
    "its 1-min RTF is enough to rank it, and 10 min of it would not fit the budget)",
    "default": "faster-whisper int8 with every model",
    "none": "none",
}


def label(cfg: tuple[str, str, str]) -> str:
    backend, model, compute = cfg
    return f"{backend} {compute} {model}"


def build_plan(args: argparse.Namespace, configs: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Ordered runs: repetitions of the short lengths interleaved, then the long runs."""
    short = [n for n in args.lengths if n != "10min"]
    runs = []
    for rep in range(args.reps):
        k = rep % max(1, len(configs))
        for cfg in configs[k:] + configs[:k]:  # rotate, so no configuration always runs first
            for length in short:
                runs.append({"config": cfg, "length": length, "rep": rep + 1})
    if "10min" in args.lengths and args.long != "none":
        first = {b: COMPUTE_TYPES[b][0] for b in COMPUTE_TYPES}
        for cfg in configs:
            backend, model, compute = cfg
            default = (backend, compute) == DEFAULT_BACKEND
            first_tiny = compute == first[backend] and model == "tiny.en"
            wanted = {
                "all": True,
                "per-backend": default or first_tiny,
                "fast": default or (first_tiny and backend != "openai-whisper"),
                "default": default,
            }[args.long]
            if wanted:
                for rep in range(args.long_reps):
                    runs.append({"config": cfg, "length": "10min", "rep": rep + 1})
    return runs


def estimate_s(runs: list[dict[str, Any]], durations: dict[str, float]) -> float:
    total = 0.0
    for r in runs:
        backend, model, _ = r["config"]
        rtf = PRIOR_RTF.get((backend, model), 0.5)
        total += PRIOR_STARTUP_S.get(backend, 5.0) * (2 if model == "base" else 1) + rtf * durations[r["length"]]
    return total


def project(
    runs: list[dict[str, Any]], plan: list[dict[str, Any]], durations: dict[str, float], rep1_s: float, reps: int
) -> str:
    """The remaining time, from repetition 1's measurements (10-min runs: 1-min RTF x 10)."""
    done = {(tuple(r["config"]), r["length"]): r["result"] for r in runs if "error" not in r["result"]}
    long_s = 0.0
    for item in plan:
        if item["length"] != "10min":
            continue
        r = done.get((tuple(item["config"]), "1min"))
        if r:
            long_s += r["process_s"] - r["wall_s"] + r["rtf"] * durations["10min"]
        else:
            long_s += estimate_s([item], durations)
    rest = rep1_s * (reps - 1) + long_s
    return f"repetition 1 took {rep1_s / 60:.1f} min; about {rest / 60:.0f} min to go"


def stat(values: list[float]) -> tuple[float, float, float] | None:
    return (statistics.median(values), min(values), max(values)) if values else None


def fmt(s: tuple[float, float, float] | None, nd: int, n: int) -> str:
    if s is None:
        return "-"
    med, lo, hi = s
    return f"{med:.{nd}f}" if n == 1 else f"{med:.{nd}f} [{lo:.{nd}f}, {hi:.{nd}f}]"


METRICS = [  # key, header, decimals
    ("load_s", "load s", 2),
    ("warmup_s", "warm-up s", 2),
    ("wall_s", "wall s", 2),
    ("cpu_s", "CPU s", 1),
    ("rtf", "RTF", 3),
    ("cpu_rtf", "CPU s / audio s", 3),
    ("peak_rss_mb", "peak RSS MB", 0),
    ("wer", "WER", 3),
]


def summarise(runs: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in runs:
        key = (*r["config"], r["length"])
        g = groups.setdefault(key, {"n": 0, "failed": 0, "skipped": 0, "values": {m: [] for m, _, _ in METRICS}})
        if "error" in r["result"]:
            g["skipped" if r["result"]["error"].startswith("skipped") else "failed"] += 1
            continue
        g["n"] += 1
        for m, _, _ in METRICS:
            if r["result"].get(m) is not None:
                g["values"][m].append(r["result"][m])
    for g in groups.values():
        g["stats"] = {m: stat(v) for m, v in g["values"].items()}
    return groups


def table(groups: dict[tuple[Any, ...], dict[str, Any]], order: list[tuple[str, str, str]]) -> str:
    lines = [
        "| backend | compute | model | audio | runs | " + " | ".join(h for _, h, _ in METRICS) + " |",
        "|---|---|---|---|---|" + "---|" * len(METRICS),
    ]
    for cfg in order:
        for length in LENGTHS:
            g = groups.get((*cfg, length))
            if g is None:
                continue
            runs = f"{g['n']}" + "".join(f" ({g[k]} {k})" for k in ("failed", "skipped") if g[k])
            cells = [fmt(g["stats"][m], nd, g["n"]) for m, _, nd in METRICS]
            lines.append(f"| {cfg[0]} | {cfg[2]} | {cfg[1]} | {length} | {runs} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(groups: dict[tuple[Any, ...], dict[str, Any]], models_run: list[str]) -> list[str]:
    out = []
    backend, compute = DEFAULT_BACKEND

    def med(key: tuple[Any, ...], metric: str) -> float | None:
        g = groups.get(key)
        s = g and g["stats"][metric]
        return s[0] if s else None

    for model in models_run:
        ow = med(("openai-whisper", model, "fp32", "1min"), "rtf")
        fw = med((backend, model, compute, "1min"), "rtf")
        if ow and fw:
            out.append(f"ratio openai-whisper fp32 RTF / {backend} {compute} RTF, {model}, 1 min: {ow / fw:.2f}x")
    for model in models_run:
        fw = med((backend, model, compute, "1min"), "rtf")
        target = TARGETS_RTF.get(model)
        if target is not None:
            verdict = "NOT MEASURED" if fw is None else ("PASS" if fw <= target else "FAIL")
            shown = "-" if fw is None else f"{fw:.3f}"
            out.append(f"{verdict}: {backend} {compute} {model} RTF on 1 min = {shown} (target <= {target})")
    for model in models_run:  # same weights in every engine: accuracy must not depend on the engine
        for length in reversed(LENGTHS):  # the longest track every backend ran: most words
            wers = {b: med((b, model, COMPUTE_TYPES[b][0], length), "wer") for b in COMPUTE_TYPES}
            if sum(v is not None for v in wers.values()) >= 2:
                ran = {b: v for b, v in wers.items() if v is not None}
                spread = max(ran.values()) - min(ran.values())
                verdict = "PASS" if spread <= TARGET_WER_SPREAD else "FAIL"
                shown = ", ".join(f"{b} {v:.3f}" for b, v in ran.items())
                out.append(
                    f"{verdict}: WER spread across backends, {model}, {length} = {spread:.3f} ({shown}; "
                    f"target <= {TARGET_WER_SPREAD})"
                )
                break
    for model, target in TARGET_RSS_MB.items():
        if model not in models_run:
            continue
        for length in LENGTHS:
            g = groups.get((backend, model, compute, length))
            if not g or not g["n"]:
                continue
            peak = g["stats"]["peak_rss_mb"][2]  # worst run
            verdict = "PASS" if peak <= target else "FAIL"
            out.append(
                f"{verdict}: {backend} {compute} {model} peak RSS on {length} = {peak:.0f} MB, max of {g['n']} runs"
                f" (target <= {target:.0f} MB)"
            )
    return out


def plot(groups: dict[tuple[Any, ...], dict[str, Any]], order: list[tuple[str, str, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lengths = [n for n in LENGTHS if any(k[3] == n for k in groups)]
    cfgs = [c for c in order if any((*c, n) in groups for n in lengths)]
    fig, axes = plt.subplots(2, 1, figsize=(max(8, 1.3 * len(cfgs) + 2), 8), sharex=True)
    width = 0.8 / max(1, len(lengths))
    for ax, metric, title in (
        (axes[0], "rtf", "real-time factor (wall / audio), median, bars = min..max"),
        (axes[1], "peak_rss_mb", "peak RSS of the worker process (MB)"),
    ):
        for j, length in enumerate(lengths):
            xs, ys, lo, hi = [], [], [], []
            for i, cfg in enumerate(cfgs):
                g = groups.get((*cfg, length))
                s = g and g["stats"][metric]
                if s:
                    xs.append(i + (j - (len(lengths) - 1) / 2) * width)
                    ys.append(s[0])
                    lo.append(s[0] - s[1])
                    hi.append(s[2] - s[0])
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=length)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    for model, target in TARGETS_RTF.items():
        axes[0].axhline(target, ls="--", lw=0.8, color="grey")
        axes[0].text(len(cfgs) - 0.5, target, f" {model} target", va="bottom", ha="right", fontsize=8)
    for model, target in TARGET_RSS_MB.items():
        axes[1].axhline(target, ls="--", lw=0.8, color="grey")
        axes[1].text(len(cfgs) - 0.5, target, f" {model} target", va="bottom", ha="right", fontsize=8)
    axes[0].legend(title="audio")
    axes[1].set_xticks(range(len(cfgs)), [f"{b}\n{c}\n{m}" for b, m, c in cfgs], fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny.en, 10s + 1min, 1 repetition")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
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
    ap.add_argument("--shared-data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--time-limit", type=float, default=None, help="minutes; later runs are skipped, not started")
    ap.add_argument(
        "--no-warmup",
        action="store_true",
        help="time the first transcription of the process (default: a 1.9-s clip is transcribed first, timed apart)",
    )
    ap.add_argument("--run-timeout", type=float, default=1200, help="seconds per worker")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        print(RESULT_MARK + json.dumps(worker(json.loads(args.worker))), flush=True)
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
    print(
        f"machine: {info['cpu']}, {info['usable_cores']} cores, {info['ram_mb']} MB RAM, "
        f"load {info['loadavg_start'][0]:.2f}; threads {args.threads}",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="subvox-bench-") as tmpdir:
        tmp = Path(tmpdir)
        clips = speech_clips(Path(args.shared_data))
        decoded = decode_clips(clips, tmp)
        tracks = {}
        for name in args.lengths:
            wav = tmp / f"track-{name}.wav"
            duration, ref = write_track(wav, decoded, LENGTHS[name])
            tracks[name] = {"wav": str(wav), "audio_s": duration, "reference": ref}
        warmup_wav = tmp / "warmup.wav"
        with wave.open(str(warmup_wav), "wb") as wf:  # the shortest real clip
            wf.setnchannels(1)
            wf.setsampwidth(2)
            wf.setframerate(SAMPLE_RATE)
            wf.writeframes(min((pcm for _, pcm in decoded), key=len).tobytes())
        print(
            f"{len(clips)} real clips ({', '.join(c.name for c in clips)}); tracks: "
            + ", ".join(f"{n} = {t['audio_s']:.1f} s" for n, t in tracks.items()),
            flush=True,
        )

        paths, skipped = prepare_models(configs, args.models_dir)
        notes += [f"{label(k)} skipped: {v}" for k, v in skipped.items()]
        configs = [c for c in configs if c in paths]
        plan = build_plan(args, configs)
        durations = {n: t["audio_s"] for n, t in tracks.items()}
        est = estimate_s(plan, durations)
        print(f"plan: {len(plan)} runs, roughly {est / 60:.0f} min (prior guesses)", flush=True)
        deadline = t_begin + args.time_limit * 60 if args.time_limit else None

        from subvox.wer import wer

        runs: list[dict[str, Any]] = []
        t_runs = time.perf_counter()
        for i, item in enumerate(plan, 1):
            backend, model, compute = item["config"]
            if deadline and time.perf_counter() > deadline:
                result: dict[str, Any] = {"error": "skipped: --time-limit reached"}
            else:
                spec = {
                    "backend": backend,
                    "model": model,
                    "compute": compute,
                    "load_compute": "float32" if compute == "fp32" else compute,
                    "model_path": paths[item["config"]],
                    "threads": args.threads,
                    "wav": tracks[item["length"]]["wav"],
                    "asr": asr,
                    "warmup_wav": None if args.no_warmup else str(warmup_wav),
                }
                result = run_worker(spec, args.run_timeout)
                if "error" not in result:
                    result["wer"] = round(wer(tracks[item["length"]]["reference"], result["text"]), 4)
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

    total_s = time.perf_counter() - t_begin
    info["loadavg_end"] = list(os.getloadavg())
    groups = summarise(runs)
    order = [tuple(c) for c in configs]
    md = table(groups, order)
    lines = verdicts(groups, args.models)
    long_note = LONG_NOTES[args.long]
    header = [
        f"# subvox ASR backends ({'quick' if args.quick else 'full'} run)",
        "",
        f"Machine: {info['cpu']}, {info['usable_cores']} usable cores, {info['ram_mb']} MB RAM; "
        f"load average {info['loadavg_start'][0]:.2f} at start, {info['loadavg_end'][0]:.2f} at end.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v) + ".",
        f"Threads {args.threads}; beam {asr['beam_size']}, config/config.yaml decoding options, chunk_s "
        f"{asr['chunk_s']}; each run a fresh process: model load, "
        + (
            "then the timed transcription (cold, no warm-up)."
            if args.no_warmup
            else "a timed warm-up call on a 1.9-s clip, then the timed transcription."
        ),
        "Tracks: "
        + ", ".join(f"{n} = {t['audio_s']:.1f} s" for n, t in tracks.items())
        + f" of real English speech looped from {len(clips)} clips.",
        f"Repetitions: {args.reps} for 10s/1min; 10min: {args.long_reps} run(s), {long_note}.",
        "malloc (as the workflow's jobs): "
        + (", ".join(sorted({str(r["result"].get("malloc")) for r in runs if "malloc" in r.get("result", {})})) or "-")
        + ".",
        "Cells: median [min, max] over the runs. RTF = transcription wall time / audio duration; "
        "peak RSS = VmHWM of the worker process (imports and model included).",
        *(f"Note: {n}" for n in notes),
        "",
        md,
        "",
        *(f"- {v}" for v in lines),
        "",
        f"Total benchmark time: {total_s / 60:.1f} min.",
    ]
    report = "\n".join(header) + "\n"
    print("\n" + report)
    (out_dir / f"{stem}.md").write_text(report, encoding="utf-8")
    (out_dir / f"{stem}.json").write_text(
        json.dumps(
            {
                "machine": info,
                "args": {k: v for k, v in vars(args).items() if k != "worker"},
                "asr": asr,
                "notes": notes,
                "tracks": tracks,
                "clips": [{"name": c.name, "path": str(c.path), "reference": c.reference} for c in clips],
                "total_s": round(total_s, 1),
                "verdicts": lines,
                "runs": runs,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    plot(groups, order, out_dir / f"{stem}.png")
    print(f"wrote {out_dir / stem}.json, .md, .png", flush=True)


if __name__ == "__main__":
    main()
