"""The backends.py matrix: configurations, lengths, targets, the run plan and the verdicts.

Used by bench/backends.py (see its docstring for what each knob means); no script of its own.
"""

from __future__ import annotations

import argparse
from typing import Any

from harness.staging import Config

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
LONG_NOTES = {
    "all": "every configuration",
    "per-backend": "faster-whisper int8 with every model, and each backend's first compute type with tiny.en",
    "fast": "faster-whisper int8 with every model, and whisper.cpp f16 with tiny.en (openai-whisper left out: "
    "its 1-min RTF is enough to rank it, and 10 min of it would not fit the budget)",
    "default": "faster-whisper int8 with every model",
    "none": "none",
}
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


def label(cfg: Config) -> str:
    backend, model, compute = cfg
    return f"{backend} {compute} {model}"


def build_plan(args: argparse.Namespace, configs: list[Config]) -> list[dict[str, Any]]:
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
