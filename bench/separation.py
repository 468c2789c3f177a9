"""Voice / background separation and speech enhancement on mixes with known stems.

    .venv/bin/python bench/separation.py [--parts stems,wer,memory] [--lengths 1,20] [--threads 2]

Real English speech (tests/data and ../shared/data, human references) over synthetic music
and pink noise at known levels (subvox.soundtrack.synth), so the true stems are known.
Prints: the correlation of each estimated stem with its true stem (Spleeter in the
workflow's 30-s chunks with 2-s cross-fades); separation time per audio minute and peak RSS
for 1- and 20-minute tracks, each in a fresh process; WER (tiny.en, the workflow's decoding)
of every clip with each ``audio.enhance`` method, on clean speech, speech + noise at 5 dB
SNR and speech + music at 5 dB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from harness import REPO
from harness.clips import SHARED_DATA, speech_clips
from harness.memory import peak_mb
from harness.scoring import corpus_wer
from harness.stats import md_table

RATE = 44100
CHUNK = {"backend": "spleeter", "chunk_s": 30, "overlap_s": 2}
METHODS = ("off", "deepfilter", "rnnoise", "vocals")


def load_speech(rate: int = RATE) -> list[tuple[str, np.ndarray]]:
    import soundfile
    import soxr

    out = []
    for clip in speech_clips(SHARED_DATA):
        audio, sr = soundfile.read(clip.path, dtype="float32", always_2d=True)
        out.append((clip.reference, soxr.resample(audio.mean(axis=1), sr, rate).astype(np.float32)))
    return out


def separate(separator, mix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both stems of a float stereo mix, through the workflow's chunked path."""
    from subvox.soundtrack.chunks import separate_stream

    vocals, background = [], []
    pcm = np.clip(mix * 32768, -32768, 32767).astype(np.int16)
    separate_stream(separator, pcm, lambda v, b: (vocals.append(v), background.append(b)), 30, 2)
    return np.concatenate(vocals), np.concatenate(background)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def stem_scores(separator, speech: list[tuple[str, np.ndarray]]) -> list[list[str]]:
    from subvox.soundtrack import synth

    gap = np.zeros(RATE // 2, dtype=np.float32)
    track = np.concatenate([p for _, s in speech for p in (s, gap)])
    rows = []
    for level in (10, 5, 0):
        for name, other in (("music", synth.music(track.size, RATE)), ("noise", synth.pink_noise(track.size, 2))):
            other = synth.at_level(track, other, level)
            voice = np.stack([track, track], axis=1)
            t0 = time.perf_counter()
            vocals, background = separate(separator, voice + other)
            took = time.perf_counter() - t0
            rows.append([f"speech + {name} at {level} dB", f"{track.size / RATE:.1f}",
                         f"{corr(vocals, voice):.3f}", f"{corr(background, other):.3f}", f"{took:.1f}"])  # fmt: skip
    return rows


def child(seconds: float, threads: int) -> None:
    """One fresh process: write a looped speech + music track, separate it into files."""
    import soundfile

    from subvox.soundtrack import synth
    from subvox.soundtrack.cache import Stems, write_stems
    from subvox.soundtrack.registry import load_separator

    speech = np.concatenate([s for _, s in load_speech()])
    frames = round(seconds * RATE)
    with tempfile.TemporaryDirectory(prefix="subvox-sepbench-") as tmp:
        src = Path(tmp) / "mix.wav"
        block = 60 * RATE
        with soundfile.SoundFile(src, "w", RATE, 2, "PCM_16", format="WAV") as out:
            for start in range(0, frames, block):
                n = min(block, frames - start)
                voice = np.resize(np.roll(speech, -(start % speech.size)), n)
                out.write(np.stack([voice, voice], axis=1) + synth.at_level(voice, synth.music(n, RATE, start), 5))
        from subvox.media.ffmpeg import open_pcm

        pcm, _ = open_pcm(src, mono=False)
        t0 = time.perf_counter()
        separator = load_separator("spleeter", threads)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_stems(separator, pcm, Stems(tmp), CHUNK)
        took = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "load_s": load_s, "separate_s": took, "peak_mb": peak_mb()}))


def memory_rows(lengths: list[float], threads: int) -> list[list[str]]:
    rows, peaks = [], {}
    for minutes in lengths:
        cmd = [sys.executable, __file__, "--child", str(minutes * 60), "--threads", str(threads)]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        peaks[minutes] = res["peak_mb"]
        rows.append([f"{minutes:g} min", f"{res['load_s']:.1f}", f"{res['separate_s']:.1f}",
                     f"{res['separate_s'] / minutes:.1f}", f"{res['peak_mb']:.0f}"])  # fmt: skip
    if len(lengths) > 1:
        hi, lo = max(lengths), min(lengths)
        rows.append([f"ratio {hi:g} / {lo:g} min", "", "", "", f"{peaks[hi] / peaks[lo]:.2f}"])
    return rows


def wer_rows(separator, threads: int) -> list[list[str]]:
    import soxr

    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.transcribe import transcribe_audio
    from subvox.models.store import wheel_ct2_dir
    from subvox.soundtrack import synth
    from subvox.soundtrack.enhance import enhanced

    model = load_transcriber("faster-whisper", str(wheel_ct2_dir("tiny.en")), "tiny.en", threads=threads)
    speech = load_speech()
    conditions = {
        "clean": lambda s: np.zeros((s.size, 2), dtype=np.float32),
        "noise 5 dB": lambda s: synth.at_level(s, synth.pink_noise(s.size, 2, seed=s.size), 5),
        "music 5 dB": lambda s: synth.at_level(s, synth.music(s.size, RATE, seed=s.size), 5),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="subvox-sepbench-") as tmp:
        for cond, other_of in conditions.items():
            pairs: dict[str, list[tuple[str, str]]] = {m: [] for m in METHODS}
            seconds = dict.fromkeys(METHODS, 0.0)
            for ref, s in speech:
                mix = np.stack([s, s], axis=1) + other_of(s)
                mono16 = soxr.resample(mix.mean(axis=1), RATE, 16000)
                pcm = np.clip(mono16 * 32768, -32768, 32767).astype(np.int16)
                for method in METHODS:
                    t0 = time.perf_counter()
                    if method == "vocals":
                        vocals, _ = separate(separator, mix)
                        import soundfile

                        wav = f"{tmp}/vocals.wav"
                        soundfile.write(wav, np.clip(vocals, -1, 32767 / 32768), RATE, "PCM_16")
                        audio = enhanced(pcm, 16000, "vocals", tmp, wav)
                    else:
                        audio = enhanced(pcm, 16000, method, tmp)
                    seconds[method] += time.perf_counter() - t0
                    result = transcribe_audio(model, np.array(audio), DecodeOptions())
                    text = " ".join(seg.text for seg in result.segments)
                    pairs[method].append((ref, text))
            audio_s = sum(s.size for _, s in speech) / RATE
            rows.append([cond, *(f"{100 * corpus_wer(pairs[m]):.1f} %" for m in METHODS),
                         *(f"{seconds[m] / audio_s:.3f}" for m in METHODS[1:])])  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="1,20", help="minutes of the memory tracks ('' skips them)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parts", default="stems,wer,memory", help="which tables to print")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.threads)
    from subvox.soundtrack.registry import load_separator

    parts = set(args.parts.split(","))
    separator = load_separator("spleeter", args.threads) if parts & {"stems", "wer"} else None
    if "stems" in parts:
        print("## Stems against the true stems (Pearson correlation)\n")
        print(md_table(["mix", "audio s", "vocals", "background", "separate s"], stem_scores(separator, load_speech())))
    if "wer" in parts:
        print("\n## WER (tiny.en) with each audio.enhance method; RTF of the enhancement\n")
        heads = ["audio", *(f"WER {m}" for m in METHODS), *(f"RTF {m}" for m in METHODS[1:])]
        print(md_table(heads, wer_rows(separator, args.threads)))
    lengths = [float(x) for x in args.lengths.split(",") if x]
    if lengths and "memory" in parts:
        print("\n## Separation of long tracks (fresh process each; speech + music at 5 dB)\n")
        heads = ["track", "load s", "separate s", "s per audio min", "peak RSS MB"]
        print(md_table(heads, memory_rows(lengths, args.threads)))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
