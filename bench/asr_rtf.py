"""Real-time factor of each ASR backend on the bundled real clips (model loaded once).

    .venv/bin/python bench/asr_rtf.py [--model tiny.en] [--repeats 3]

Prints load time, median/min/max transcription time, RTF and corpus WER per backend.
Run it on an otherwise idle machine; figures are machine-specific.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from subvox import models  # noqa: E402
from subvox.asr import DecodeOptions, load_transcriber  # noqa: E402
from subvox.ct2convert import convert  # noqa: E402
from subvox.media import extract_audio, load_wav  # noqa: E402
from subvox.transcribe import transcribe_audio  # noqa: E402
from subvox.wer import edit_distance, normalize  # noqa: E402


def english_clips() -> list[tuple[str, Path, str]]:
    manifest = json.loads((REPO / "tests" / "data" / "manifest.json").read_text(encoding="utf-8"))
    return [
        (Path(e["file"]).stem, (REPO / "tests" / "data" / e["file"]).resolve(), e["reference_text"])
        for e in manifest
        if e["language"] == "en" and e["reference_text"]
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="subvox-bench-"))
    clips = []
    for name, path, ref in english_clips():
        wav = tmp / f"{name}.wav"
        extract_audio(path, wav)
        clips.append((name, load_wav(wav)[0], ref))
    audio_s = sum(len(a) for _, a, _ in clips) / 16000

    ct2 = models.ct2_source(args.model, args.models_dir)
    if not models.is_ct2_dir(ct2):
        models.fetch_model(args.model, ct2)
    checkpoint = tmp / "model.pt"
    convert(ct2, checkpoint)
    paths = {"faster-whisper": str(ct2), "openai-whisper": str(checkpoint)}

    print(
        f"{len(clips)} clips, {audio_s:.1f} s of audio, model {args.model}, {args.threads} threads, "
        f"beam 5, {args.repeats} repeats\n"
    )
    print("| backend | load s | transcribe s (median [min, max]) | RTF | corpus WER |")
    print("|---|---|---|---|---|")
    for backend, path in paths.items():
        t0 = time.perf_counter()
        model = load_transcriber(backend, path, args.model, threads=args.threads)
        load_s = time.perf_counter() - t0
        transcribe_audio(model, clips[0][1], DecodeOptions())  # warm-up (JIT, caches)
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            hyps = [transcribe_audio(model, audio, DecodeOptions()) for _, audio, _ in clips]
            runs.append(time.perf_counter() - t0)
        errors = sum(
            edit_distance(normalize(ref), normalize(" ".join(s.text for s in h.segments)))
            for (_, _, ref), h in zip(clips, hyps, strict=True)
        )
        words = sum(len(normalize(ref)) for _, _, ref in clips)
        med = statistics.median(runs)
        print(
            f"| {backend} | {load_s:.2f} | {med:.2f} [{min(runs):.2f}, {max(runs):.2f}] | {med / audio_s:.3f} "
            f"| {errors / words:.3f} |"
        )


if __name__ == "__main__":
    main()
