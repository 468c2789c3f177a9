"""Voice / background separation and speech enhancement on mixes with known stems.

    .venv/bin/python bench/separation.py [--parts stems,masks,wer,memory] [--lengths 1,20]
        [--threads 2] [--methods off,deepfilter,rnnoise,vocals] [--mixes 0.5]

Real English speech with human references over synthetic music and pink noise at known
levels (subvox.soundtrack.synth), so the true stems are known. Prints: the correlation of each
estimated stem with its true stem (Spleeter in the workflow's 30-s chunks with 2-s
cross-fades; tests/data and ../shared/data, 43 s); the same for other ways of turning the
network's estimates into stems (masks); separation time per audio minute and peak RSS for 1- and
20-minute tracks, each in a fresh process; WER (tiny.en, the workflow's decoding; the 43 s
plus bench/data/ljspeech, 239 s and 585 words) with each ``audio.enhance`` method at each
``enhance_mix``, and with the workflow's defaults (``enhance_below_snr_db``: each clip cleaned
only when its estimated SNR is below it), on clean speech, speech + pink noise at 5 dB SNR and
speech + music at 5 dB.
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
from harness.clips import BENCH_DATA, SHARED_DATA, speech_clips
from harness.memory import peak_mb
from harness.scoring import corpus_wer
from harness.stats import md_table

RATE = 44100
CHUNK = {"backend": "spleeter", "chunk_s": 30, "overlap_s": 2}
METHODS = "off,deepfilter,rnnoise,vocals"


def load_speech(rate: int = RATE, more: bool = False) -> list[tuple[str, np.ndarray]]:
    """(reference, mono float32 at ``rate``) of each clip; ``more``: bench/data's clips too."""
    import soundfile
    import soxr

    out = []
    for clip in speech_clips(SHARED_DATA, (BENCH_DATA / "ljspeech",) if more else ()):
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


def wiener(voice, mix, rank1: bool = False):
    """One EM step of the multichannel Wiener filter (norbert's, Spleeter's MWF option) from a
    masked voice estimate: per frequency, each stem's 2 x 2 spatial covariance and power
    spectrum; the voice as a point source (its covariance cut to rank 1) if ``rank1``."""
    import torch

    stems, total = [], 0
    for j, est in enumerate((voice, mix - voice)):
        power = (est.abs() ** 2).mean(0)  # F x T
        cov = torch.einsum("cft,dft->fcd", est, est.conj()) / (power.sum(1)[:, None, None] + 1e-10)
        if rank1 and j == 0:
            lam, vec = torch.linalg.eigh(cov)
            cov = vec[..., 1:] @ vec[..., 1:].conj().transpose(-1, -2) * lam.sum(-1)[:, None, None]
        stems.append((power, cov))
        total = total + power[..., None, None] * cov[:, None]
    total = total + (1e-3 * total.diagonal(dim1=-2, dim2=-1).real.mean(-1) + 1e-10)[..., None, None] * torch.eye(2)
    power, cov = stems[0]
    gain = power[..., None, None] * cov[:, None] @ torch.linalg.inv(total)  # F x T x 2 x 2
    return (gain @ mix.permute(1, 2, 0)[..., None])[..., 0].permute(2, 0, 1)


def mask_rows(separator, speech: list[tuple[str, np.ndarray]]) -> list[list[str]]:
    """Background correlation when the same network estimates become stems in other ways, on one
    30-s chunk: the workflow's mask (Spleeter's ratio mask, closed below the voice floor), the
    ratio mask alone (exponent 2) and exponent 1; a multichannel Wiener filter on it (full-rank,
    and rank 1: the voice a point source); the ideal ratio mask from the true stems, the best
    any mask on this STFT can do."""
    import torch

    from subvox.soundtrack import synth
    from subvox.soundtrack.spleeter import BINS

    gap = np.zeros(RATE // 2, dtype=np.float32)
    track = np.concatenate([p for _, s in speech for p in (s, gap)])[: 30 * RATE]
    n, half = track.size, track.size // 2
    centre = np.stack([track, track], axis=1)
    sides = np.zeros_like(centre)
    sides[:half, 0], sides[half:, 1] = track[:half], track[half:]  # one voice left, then another right
    noise = synth.pink_noise(n, 2)
    others = {"pink noise": noise, "pink noise, same in both channels": noise[:, [0, 0]], "music": synth.music(n, RATE)}
    cases = [("centre", centre, o, lvl) for o in others for lvl in (10, 5)] + [
        ("left, then right", sides, "pink noise", 10)
    ]
    rows = []
    with torch.inference_mode():
        for where, voice, name, level in cases:
            other = synth.at_level(track, others[name], level)
            mix = voice + other
            spec, true_voice = separator.spectrogram(mix.T), separator.spectrogram(voice.T)
            mv, ma = separator.estimates(spec)
            low = spec[:, :BINS]
            ratio = low * (mv**2 + 5e-11) / (mv**2 + ma**2 + 1e-10)
            floored = low * separator.voice_mask(mv, ma)
            ideal = true_voice.abs() ** 2 / (true_voice.abs() ** 2 + (spec - true_voice).abs() ** 2 + 1e-12)

            def background(voice_low, spec=spec, mix=mix, other=other) -> float:
                est = torch.zeros_like(spec)
                est[:, :BINS] = voice_low
                return corr(mix - separator.waveform(est, n).T, other)

            got = [background(floored), background(ratio), background(low * mv / (mv + ma + 1e-10)),
                   background(wiener(ratio, low)), background(wiener(ratio, low, rank1=True)),
                   background(low * ideal[:, :BINS])]  # fmt: skip
            rows.append([f"voice {where} + {name} at {level} dB", *(f"{g:.3f}" for g in got)])
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


def wer_rows(separator, threads: int, methods: list[str], mixes: list[float]) -> list[list[str]]:
    import soundfile
    import soxr

    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.transcribe import transcribe_audio
    from subvox.models.store import wheel_ct2_dir
    from subvox.soundtrack import synth
    from subvox.soundtrack.enhance import enhanced, estimate_snr_db

    defaults = workflow_defaults()
    model = load_transcriber("faster-whisper", str(wheel_ct2_dir("tiny.en")), "tiny.en", threads=threads)
    speech = load_speech(more=True)
    conditions = {
        "clean": lambda s: np.zeros((s.size, 2), dtype=np.float32),
        "noise 5 dB": lambda s: synth.at_level(s, synth.pink_noise(s.size, 2, seed=s.size), 5),
        "music 5 dB": lambda s: synth.at_level(s, synth.music(s.size, RATE, seed=s.size), 5),
    }
    variants = [("off", 1.0)] + [(m, x) for m in methods if m != "off" for x in mixes]
    rows = []
    with tempfile.TemporaryDirectory(prefix="subvox-sepbench-") as tmp:
        for cond, other_of in conditions.items():
            texts: dict[tuple[str, float], list[str]] = {v: [] for v in variants}
            seconds = dict.fromkeys(methods, 0.0)
            gated = []  # clips the defaults clean (estimated SNR below enhance_below_snr_db)
            for _, s in speech:
                mix = np.stack([s, s], axis=1) + other_of(s)
                mono16 = soxr.resample(mix.mean(axis=1), RATE, 16000)
                pcm = np.clip(mono16 * 32768, -32768, 32767).astype(np.int16)
                gated.append(estimate_snr_db(pcm, 16000) < defaults["enhance_below_snr_db"])
                wav = None
                if "vocals" in methods:
                    t0 = time.perf_counter()
                    vocals, _ = separate(separator, mix)
                    wav = f"{tmp}/vocals.wav"
                    soundfile.write(wav, np.clip(vocals, -1, 32767 / 32768), RATE, "PCM_16")
                    seconds["vocals"] += time.perf_counter() - t0
                for method in methods:  # cleaned once; each enhance_mix as _Copy blends it (tested)
                    t0 = time.perf_counter()
                    wet = np.asarray(enhanced(pcm, 16000, method, tmp, wav), dtype=np.float32)
                    seconds[method] += time.perf_counter() - t0
                    for share in mixes if method != "off" else [1.0]:
                        audio = np.round(share * wet + (1 - share) * pcm).astype(np.int16)
                        result = transcribe_audio(model, audio, DecodeOptions())
                        texts[(method, share)].append(" ".join(seg.text for seg in result.segments))
            refs = [ref for ref, _ in speech]
            audio_s = sum(s.size for _, s in speech) / RATE
            cells = [f"{100 * corpus_wer(zip(refs, texts[v], strict=True)):.2f}" for v in variants]
            share = defaults["enhance_mix"]
            for m in methods[1:] if share in mixes else []:  # the defaults: the mix where gated, else the audio
                hyps = [texts[(m, share)][i] if g else texts[("off", 1.0)][i] for i, g in enumerate(gated)]
                cells.append(f"{100 * corpus_wer(zip(refs, hyps, strict=True)):.2f}")
            rows.append([cond, f"{sum(gated)} / {len(gated)}", *cells,
                         *(f"{seconds[m] / audio_s:.3f}" for m in methods[1:])])  # fmt: skip
    return rows


def workflow_defaults() -> dict[str, float]:
    """``audio.enhance_mix`` and ``enhance_below_snr_db`` as config/config.yaml sets them."""
    import yaml

    audio = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["audio"]
    return {k: audio[k] for k in ("enhance_mix", "enhance_below_snr_db")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", default="1,20", help="minutes of the memory tracks ('' skips them)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parts", default="stems,masks,wer,memory", help="which tables to print")
    ap.add_argument("--methods", default=METHODS, help="audio.enhance methods of the WER table (off first)")
    ap.add_argument("--mixes", default="1,0.5", help="audio.enhance_mix values of the WER table")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.threads)
    from subvox.soundtrack.registry import load_separator

    parts = set(args.parts.split(","))
    separator = load_separator("spleeter", args.threads) if parts & {"stems", "masks", "wer"} else None
    if "stems" in parts:
        print("## Stems against the true stems (Pearson correlation)\n")
        print(md_table(["mix", "audio s", "vocals", "background", "separate s"], stem_scores(separator, load_speech())))
    if "masks" in parts:
        print("\n## Background correlation from the same network estimates in other ways (first 30 s)\n")
        heads = [
            "mix",
            "ratio mask, 50-Hz voice floor (workflow)",
            "ratio mask",
            "exponent 1",
            "MWF",
            "MWF, voice rank 1",
            "ideal ratio mask",
        ]
        print(md_table(heads, mask_rows(separator, load_speech())))
    if "wer" in parts:
        methods, mixes = args.methods.split(","), [float(x) for x in args.mixes.split(",")]
        d = workflow_defaults()
        print("\n## WER % (tiny.en) with each audio.enhance method and enhance_mix; RTF of the enhancement\n")
        heads = ["audio", f"SNR est. < {d['enhance_below_snr_db']:g} dB", "off",
                 *(f"{m} {x:g}" for m in methods[1:] for x in mixes),
                 *(f"{m} defaults" for m in methods[1:] if d["enhance_mix"] in mixes),
                 *(f"RTF {m}" for m in methods[1:])]  # fmt: skip
        print(md_table(heads, wer_rows(separator, args.threads, methods, mixes)))
    lengths = [float(x) for x in args.lengths.split(",") if x]
    if lengths and "memory" in parts:
        print("\n## Separation of long tracks (fresh process each; speech + music at 5 dB)\n")
        heads = ["track", "load s", "separate s", "s per audio min", "peak RSS MB"]
        print(md_table(heads, memory_rows(lengths, args.threads)))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
