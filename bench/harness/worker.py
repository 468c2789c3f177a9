"""One measurement in a fresh process: what a workflow batch job does for one file.

The parent builds a spec (``job_spec``) and calls ``run_worker(spec, timeout, script)``,
which runs ``python SCRIPT --worker SPEC``; the script hands SPEC to ``serve``, which calls
``measure`` and prints one result line. ``measure`` loads the model (load_transcriber,
timed), optionally transcribes a warm-up WAV (timed apart), memory-maps the WAV
(subvox.media.ffmpeg.open_pcm) and calls subvox.asr.transcribe.transcribe_audio with the
options of config/config.yaml, timing wall and CPU seconds and sampling RSS.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import REPO, SAMPLE_RATE
from harness.memory import RssSampler, cpu_s, maxrss_mb, peak_mb, proc_status

RESULT_MARK = "SUBVOX_BENCH_RESULT "


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


def jobs_malloc(spec: dict[str, Any]) -> bool:
    """Whether a worker runs with the workflow jobs' malloc (subvox.workflow.allocator:
    jemalloc when installed, else glibc with a 4 MiB mmap threshold) rather than a
    diagnostic setting."""
    return not spec.get("glibc_default") and not {"MALLOC_MMAP_THRESHOLD_", "LD_PRELOAD"} & set(spec.get("env", {}))


def job_spec(
    cfg: tuple[str, str, str], model_path: str, wav: str, asr: dict[str, Any], threads: int, **extra: Any
) -> dict[str, Any]:
    """A worker spec for (backend, model, compute) on ``wav``; ``extra``: warmup_wav, trace,
    audio_mode ("pread"), malloc_trim, glibc_default, env."""
    backend, model, compute = cfg
    return {
        "backend": backend,
        "model": model,
        "compute": compute,
        "load_compute": "float32" if compute == "fp32" else compute,
        "model_path": model_path,
        "threads": threads,
        "wav": wav,
        "asr": asr,
        **extra,
    }


def _traced(model: Any, sampler: RssSampler, trace: list[dict[str, float]], trim: bool) -> None:
    """Record RSS after every backend call (one per chunk/region) in ``trace``; with ``trim``,
    malloc_trim(0) first (diagnostic: give freed heap memory back after each piece)."""
    inner, t0 = model.transcribe, time.perf_counter()
    malloc_trim = None
    if trim:
        import ctypes

        malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim

    def traced(audio: Any, options: Any) -> Any:
        result = inner(audio, options)
        if malloc_trim is not None:
            malloc_trim(0)
        s = sampler.sample()
        trace.append(
            {
                "t": round(time.perf_counter() - t0, 1),
                "audio_s": round(len(audio) / SAMPLE_RATE, 1),
                **{k: round(v, 1) for k, v in s.items()},
            }
        )
        return result

    model.transcribe = traced  # type: ignore[method-assign]


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement: load the model, transcribe one WAV the way a workflow job does."""
    sampler = RssSampler()
    sampler.start()
    t0 = time.perf_counter()
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.guards import GuardOptions
    from subvox.asr.transcribe import LanguageOptions, transcribe_audio
    from subvox.media.ffmpeg import open_pcm
    from subvox.workflow import allocator

    if jobs_malloc(spec):
        allocator.tune()  # as every workflow job does (subvox.workflow.rulescript.run)

    import_s = time.perf_counter() - t0
    asr = spec["asr"]
    decode = dataclasses.replace(DecodeOptions.from_config(asr), task="transcribe")
    guards, languages = GuardOptions.from_config(asr), LanguageOptions.from_config(asr)

    t0, c0 = time.perf_counter(), cpu_s()
    model = load_transcriber(
        spec["backend"], spec["model_path"], spec["model"], "cpu", spec["load_compute"], spec["threads"]
    )
    load_s, load_cpu_s = time.perf_counter() - t0, cpu_s() - c0
    rss_loaded = proc_status()["VmRSS"]
    warmup_s = None
    if spec.get("warmup_wav"):  # first call of a job: JIT (numba DTW in openai-whisper), caches
        t0 = time.perf_counter()
        transcribe_audio(model, open_pcm(spec["warmup_wav"])[0], decode, guards, languages, chunk_s=asr["chunk_s"])
        warmup_s = time.perf_counter() - t0

    audio, rate = open_pcm(spec["wav"])  # the workflow's path (subvox.media.prepare.prepare_one)
    assert rate == SAMPLE_RATE, rate
    if spec.get("audio_mode") == "pread":  # diagnostic: same samples, read per slice, no map
        audio = PreadPcm(spec["wav"], audio.offset, len(audio))
    trace: list[dict[str, float]] = []
    if spec.get("trace"):
        _traced(model, sampler, trace, bool(spec.get("malloc_trim")))
    t0, c0 = time.perf_counter(), cpu_s()
    transcript = transcribe_audio(model, audio, decode, guards, languages, chunk_s=asr["chunk_s"])
    wall_s, used_cpu_s = time.perf_counter() - t0, cpu_s() - c0
    peak = peak_mb()
    sampler.stop()
    duration = len(audio) / SAMPLE_RATE
    return {
        "import_s": round(import_s, 3),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu_s, 3),
        "warmup_s": None if warmup_s is None else round(warmup_s, 3),
        "wall_s": round(wall_s, 3),
        "cpu_s": round(used_cpu_s, 3),
        "audio_s": round(duration, 3),
        "rtf": round(wall_s / duration, 5),
        "cpu_rtf": round(used_cpu_s / duration, 5),
        "peak_rss_mb": round(peak, 1),
        "ru_maxrss_mb": round(maxrss_mb(), 1),
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


def serve(spec_json: str) -> None:
    """The worker side of ``run_worker``: measure, print the result line."""
    print(RESULT_MARK + json.dumps(measure(json.loads(spec_json))), flush=True)


def run_worker(spec: dict[str, Any], timeout_s: float, script: str | Path) -> dict[str, Any]:
    """Run ``measure(spec)`` in a fresh Python process (``script --worker SPEC``, the script
    calling ``serve``); returns its result (plus ``process_s``) or ``{"error": ...}``."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = str(spec["threads"])  # as a Snakemake job with `threads` would
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(spec.get("env", {}))
    if jobs_malloc(spec):
        from subvox.workflow import allocator

        allocator.preload("auto", env)  # as the Snakefile does for every job
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(spec)]
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
