"""Non-speech traps: does anything that is not speech become a cue? And is real speech kept?

    .venv/bin/python bench/traps.py [--model tiny.en] [--config config/config.yaml] [--set asr.x=y]

Traps (16 kHz mono, made with ffmpeg's lavfi sources, plus the real speech-free clip
leopard_empty.wav of ../shared/data; no real laughter or cough recordings exist here):
applause-like noise bursts, synthetic music, tone beeps, clicks, room tone with hum,
breath-like bursts, and one 0.7-s sound in silence. Each goes through the workflow's own
path (transcribe_audio with the config's asr options, then segment_words with its
subtitles limits); the script prints cues per trap (target 0) and what was said.

Then every real English clip with a human reference (harness.clips: tests/data and
../shared/data) is transcribed three ways: as is, attenuated to -40 dBFS RMS, and
band-limited like a telephone (8 kHz, 300-3400 Hz, back to 16 kHz): corpus WER per
condition, and the words the hallucination guard dropped on real speech (target 0).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any

import numpy as np
from harness import REPO, SAMPLE_RATE
from harness.clips import SHARED_DATA, decode_clips, speech_clips
from harness.scoring import corpus_wer

# name: (lavfi source graph, seconds)
TRAPS: dict[str, tuple[str, float]] = {
    "applause": ("anoisesrc=c=white:a=0.5:r=16000,tremolo=f=9:d=0.9,highpass=f=300,volume=0.6", 8.0),
    "music": (
        "aevalsrc='0.15*sin(2*PI*(220*pow(2,floor(mod(t*3,5))/12))*t)+0.1*sin(2*PI*330*t)"
        "+0.05*sin(2*PI*55*t)*gt(mod(t,0.5),0.4)':s=16000",
        10.0,
    ),
    "tones": ("aevalsrc='0.3*sin(2*PI*1000*t)*lt(mod(t,1),0.4)':s=16000", 8.0),
    "clicks": ("aevalsrc='0.8*lt(mod(t,0.37),0.002)':s=16000", 8.0),
    "room_tone": (
        "anoisesrc=c=brown:a=0.02:r=16000,lowpass=f=800[n];sine=f=50:r=16000,volume=0.01[h];[n][h]amix",
        10.0,
    ),
    "breaths": ("anoisesrc=c=pink:a=0.4:r=16000,bandpass=f=1500:w=1200,volume='lt(mod(t,2.2),0.7)':eval=frame", 9.0),
    "short_sound": ("anoisesrc=c=pink:a=0.5:r=16000,bandpass=f=900:w=600,volume='between(t,2,2.7)':eval=frame", 5.0),
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def read_pcm(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wf:
        return np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").copy()


def make_traps(tmp: Path) -> dict[str, np.ndarray]:
    """Each trap as 16 kHz mono int16 samples, extracted as the workflow extracts audio."""
    from subvox.media.ffmpeg import extract_audio

    out = {}
    for name, (graph, seconds) in TRAPS.items():
        raw = tmp / f"{name}.flac"
        ffmpeg("-f", "lavfi", "-i", graph, "-t", str(seconds), "-ac", "1", str(raw))
        extract_audio(raw, tmp / f"{name}.wav")
        out[name] = read_pcm(tmp / f"{name}.wav")
    empty = SHARED_DATA / "audio" / "leopard_empty.wav"
    if empty.is_file():
        extract_audio(empty, tmp / "empty.wav")
        out["real_noise (leopard_empty)"] = read_pcm(tmp / "empty.wav")
    return out


def pipeline(config: dict[str, Any], model_name: str, models_dir: str) -> Any:
    """A function samples -> (transcript dict, cues) doing what a subtitles job does."""
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.asr.guards import GuardOptions
    from subvox.asr.transcribe import LanguageOptions, transcribe_audio
    from subvox.models import store
    from subvox.subtitles.segment import CueLimits, segment_words

    asr = config["asr"]
    model = load_transcriber(asr["backend"], str(store.ct2_source(model_name, models_dir)), model_name, threads=2)
    decode, guards = DecodeOptions.from_config(asr), GuardOptions.from_config(asr)
    languages, limits = LanguageOptions.from_config(asr), CueLimits.from_config(config["subtitles"])

    def run(pcm: np.ndarray) -> tuple[dict[str, Any], list[Any]]:
        t = transcribe_audio(model, pcm, decode, guards, languages, chunk_s=asr["chunk_s"]).to_dict()
        return t, segment_words(t["segments"], limits, t["duration"])

    return run


def load(config_path: str, sets: list[str]) -> dict[str, Any]:
    """The validated config with ``--set a.b=value`` overrides (YAML values)."""
    import yaml

    from subvox.config import load_config

    overrides: dict[str, Any] = {}
    for item in sets:
        key, value = item.split("=", 1)
        node = overrides
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = yaml.safe_load(value)
    return load_config(config_path, overrides)


def degrade(pcm: np.ndarray, how: str, tmp: Path) -> np.ndarray:
    """The clip at -40 dBFS RMS, or through an 8 kHz telephone band and back."""
    if how == "quiet":
        x = pcm.astype(np.float64)
        gain = 10 ** (-40 / 20) * 32768 / max(np.sqrt(np.mean(x**2)), 1e-9)
        return np.clip(np.round(x * gain), -32768, 32767).astype(np.int16)
    src, dst = tmp / "in.wav", tmp / "phone.wav"
    with wave.open(str(src), "wb") as wf:
        wf.setnchannels(1), wf.setsampwidth(2), wf.setframerate(SAMPLE_RATE)
        wf.writeframes(pcm.tobytes())
    ffmpeg("-i", str(src), "-af", "highpass=f=300,lowpass=f=3400,aresample=8000,aresample=16000", str(dst))
    return read_pcm(dst)


def trap_table(traps: dict[str, np.ndarray], run: Any, title: str) -> int:
    """Print cues per trap (and what the guards dropped, with their signals); returns all cues."""
    print(f"### traps, {title}\n\n| trap | seconds | cues | dropped by guards | cue text |\n|---|---|---|---|---|")
    total = 0
    for name, pcm in traps.items():
        transcript, cues = run(pcm)
        total += len(cues)
        drops = [f"{e['text']!r}: {e['reason']}" for e in transcript["guards"] if e["action"] == "dropped"]
        said = " / ".join(c.text.replace("\n", " ") for c in cues)
        print(f"| {name} | {len(pcm) / SAMPLE_RATE:.1f} | {len(cues)} | {'; '.join(drops)} | {said} |")
    print(f"\ncues on traps: {total} (target 0)\n")
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--set", action="append", default=[], help="config override, e.g. asr.loudness.enabled=false")
    ap.add_argument("--no-speech", action="store_true", help="traps only")
    ap.add_argument("--no-vad-off", action="store_true", help="skip the traps with VAD off")
    args = ap.parse_args()
    config = load(args.config, args.set)
    run = pipeline(config, args.model, args.models_dir)
    with tempfile.TemporaryDirectory(prefix="subvox-traps-") as tmp_s:
        tmp = Path(tmp_s)
        traps = make_traps(tmp)
        print(f"model {args.model}, overrides {args.set or 'none'}\n")
        trap_table(traps, run, "as configured")
        if not args.no_vad_off:
            trap_table(
                traps,
                pipeline(load(args.config, [*args.set, "asr.vad.enabled=false"]), args.model, args.models_dir),
                "VAD off",
            )
        if args.no_speech:
            return
        clips = decode_clips(speech_clips(SHARED_DATA), tmp)
        print("| condition | clips | corpus WER | words dropped by guards | segments dropped |\n|---|---|---|---|---|")
        for how in ("clean", "quiet", "phone"):
            pairs, lost_words, lost_segs = [], 0, 0
            for clip, pcm in clips:
                transcript, _ = run(pcm if how == "clean" else degrade(pcm, how, tmp))
                pairs.append((clip.reference, " ".join(s["text"] for s in transcript["segments"])))
                drops = [e for e in transcript["guards"] if e["action"] == "dropped"]
                lost_segs += len(drops)
                lost_words += sum(len(e["text"].split()) for e in drops)
            print(f"| {how} | {len(clips)} | {corpus_wer(pairs):.4f} | {lost_words} | {lost_segs} |")
        real_clips(run, tmp)


def real_clips(run: Any, tmp: Path) -> None:
    """Every speech clip of ../shared/data (manifest and diarization excerpts): words kept,
    words the guards dropped (target 0), candidates the audio showed to be speech."""
    import json

    from subvox.media.ffmpeg import extract_audio

    entries = json.loads((SHARED_DATA / "manifest.json").read_text(encoding="utf-8"))
    paths = [SHARED_DATA / e["file"] for e in entries if e["reference_type"] != "empty-expected"]
    paths += sorted((SHARED_DATA / "diarization").glob("*.wav"))
    print(
        "\n| real clip | seconds | words kept | words dropped | segments dropped | candidates kept |\n"
        "|---|---|---|---|---|---|"
    )
    total = 0
    for path in paths:
        extract_audio(path, tmp / "real.wav")
        pcm = read_pcm(tmp / "real.wav")
        transcript, _ = run(pcm)
        drops = [e for e in transcript["guards"] if e["action"] == "dropped"]
        lost = sum(len(e["text"].split()) for e in drops)
        total += lost
        words = sum(len(s["words"]) for s in transcript["segments"])
        kept = sum(1 for e in transcript["guards"] if e["action"] == "kept")
        print(f"| {path.name} | {len(pcm) / SAMPLE_RATE:.1f} | {words} | {lost} | {len(drops)} | {kept} |")
    print(f"\nwords dropped on real speech: {total} (target 0)")


if __name__ == "__main__":
    main()
