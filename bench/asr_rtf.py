"""Real-time factor of each ASR backend on the bundled real clips (model loaded once).

    .venv/bin/python bench/asr_rtf.py [--model tiny.en] [--repeats 3]

The clips are tests/data's English ones with human references (harness.clips), decoded to
16 kHz mono; the models are staged/converted as the workflow's `models` target does
(harness.staging). Each backend loads once, transcribes one clip as a warm-up (JIT, caches),
then every clip --repeats times with the default DecodeOptions (beam 5). Prints load time,
median/min/max transcription time of all clips, RTF and corpus WER per backend.
Run it on an otherwise idle machine; figures are machine-specific.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from harness import SAMPLE_RATE
from harness.clips import decode_clips, speech_clips
from harness.scoring import corpus_wer
from harness.staging import prepare_models
from harness.stats import fmt, md_table, stat

from subvox.asr import DecodeOptions, load_transcriber
from subvox.asr.transcribe import transcribe_audio

BACKENDS = {"faster-whisper": "int8", "openai-whisper": "fp32"}  # backend: the compute type staged


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="subvox-bench-") as tmp:
        clips = decode_clips(speech_clips(), Path(tmp))
    audio_s = sum(len(pcm) for _, pcm in clips) / SAMPLE_RATE
    configs = [(backend, args.model, compute) for backend, compute in BACKENDS.items()]
    paths, skipped = prepare_models(configs, args.models_dir)
    if skipped:
        raise SystemExit(f"cannot stage: {skipped}")

    print(
        f"{len(clips)} clips, {audio_s:.1f} s of audio, model {args.model}, {args.threads} threads, "
        f"beam 5, {args.repeats} repeats\n"
    )
    rows = []
    for cfg in configs:
        t0 = time.perf_counter()
        model = load_transcriber(cfg[0], paths[cfg], args.model, threads=args.threads)
        load_s = time.perf_counter() - t0
        transcribe_audio(model, clips[0][1], DecodeOptions())  # warm-up (JIT, caches)
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            hyps = [transcribe_audio(model, pcm, DecodeOptions()) for _, pcm in clips]
            runs.append(time.perf_counter() - t0)
        texts = [" ".join(s.text for s in h.segments) for h in hyps]
        wer = corpus_wer((clip.reference, text) for (clip, _), text in zip(clips, texts, strict=True))
        rtf = statistics.median(runs) / audio_s
        rows.append([cfg[0], f"{load_s:.2f}", fmt(stat(runs), 2), f"{rtf:.3f}", f"{wer:.3f}"])
    print(md_table(["backend", "load s", "transcribe s (median [min, max])", "RTF", "corpus WER"], rows))


if __name__ == "__main__":
    main()
