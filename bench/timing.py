"""Timing accuracy: how close word and cue times are to the speech.

    .venv/bin/python bench/timing.py [--model tiny.en] [--set key=value ...] [--compare key=v1,v2]

Reference: a track of the real English clips (harness.clips) joined by known silences of
0.5 to 12 s (long ones: where peers' users see cues appear seconds early). Where each
clip's speech starts and ends is found on the clean clip alone (Silero VAD, fine: 60-ms
speech, 100-ms pauses), so the track gives per clip a reference speech onset (for its
first word and first cue) and offset (last word, last cue). The AMI clip adds its two
human-timed segments. Every cue is also checked against the speech of the whole track:
how long before its speech it appears (when it starts in silence) and how long after the
speech it stays (when it ends in silence).

The track goes through the workflow's path (transcribe_audio with the config's asr
options, segment_words with its subtitles limits). ``--compare`` runs the track once per
value of one config key (e.g. asr.timing.snap=false,true) and prints a row for each.
Targets (issue #19): median |word-start error| <= 100 ms; no cue starting > 200 ms before
its speech or ending > 500 ms after it.

    .venv/bin/python bench/timing.py --reading [--tempos 1,1.25,1.6]

Reading speed (target: under 2 % of cues above ``max_cps``): every real speech clip of
../shared/data (the manifest's clips but the speech-free one, and the nine 30-s AMI meeting
excerpts) and the other languages of tests/data (English by ``--model``, other languages by
``--multilingual``, each under its language's limits: subvox.subtitles.style), each transcribed
as its own file, at each tempo (1.25: fast natural speech, ~200 words a minute; 1.6:
beyond natural speech, where speech fills the time and no timing can help). Each
transcript is cut into cues under its language's limits with ``subtitles.fit_reading`` off
and on, and with ``subtitles.condense`` on as well; the script prints per tempo the speech
rate (words a minute of Whisper segments), and per variant the cues, those above ``max_cps``,
their share, the worst characters/s and the cues condensed; then the fast cues that remain
by default and what condensation dropped. ASR runs once per clip and tempo (about 3 min on
2 cores), the variants only re-cut the cues.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import REPO, SAMPLE_RATE
from harness.clips import SHARED_DATA, decode_clips, speech_clips
from traps import load, pipeline

GAPS_S = (1.0, 0.5, 3.0, 8.0, 1.5, 12.0, 2.0, 5.0)


def build_track(clips: list[tuple[Any, np.ndarray]]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The track and its references: per clip (onset, offset) and human segments where known."""
    from subvox.asr.speechmap import speech_spans

    human = {}
    for e in json.loads((SHARED_DATA / "manifest.json").read_text(encoding="utf-8")):
        if e.get("segments"):
            human[Path(e["file"]).stem] = e["segments"]
    parts, refs, t = [], [], 0.0
    for k, (clip, pcm) in enumerate(clips):
        gap = np.zeros(int(GAPS_S[k % len(GAPS_S)] * SAMPLE_RATE), dtype=np.int16)
        parts.append(gap)
        t += len(gap) / SAMPLE_RATE
        spans = speech_spans(pcm, 0.0, len(pcm) / SAMPLE_RATE)
        ref = {"clip": clip.name, "start": t, "end": t + len(pcm) / SAMPLE_RATE}
        ref["units"] = [(t + spans[0][0], t + spans[-1][1])]
        if clip.name in human:
            ref["units"] = [(t + s["start"], t + s["end"]) for s in human[clip.name]]
        refs.append(ref)
        parts.append(pcm)
        t += len(pcm) / SAMPLE_RATE
    parts.append(np.zeros(SAMPLE_RATE * 2, dtype=np.int16))
    return np.concatenate(parts), refs


def word_errors(words: list[dict[str, Any]], refs: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
    """Signed start errors of each unit's first word and end errors of its last (s)."""
    starts, ends = [], []
    units = [u for r in refs for u in r["units"]]
    owned: dict[int, list[dict[str, Any]]] = {}
    for w in words:  # each word belongs to the unit nearest to its middle (0 inside it)
        mid = (w["start"] + w["end"]) / 2
        nearest = int(np.argmin([max(a - mid, 0.0, mid - b) for a, b in units]))
        owned.setdefault(nearest, []).append(w)
    for k, (a, b) in enumerate(units):
        if k in owned:
            starts.append(owned[k][0]["start"] - a)
            ends.append(owned[k][-1]["end"] - b)
    return starts, ends


def cue_errors(cues: list[Any], speech: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Per cue: how early it appears before its speech, how late it stays after (s, >= 0)."""
    early, late = [], []
    for c in cues:
        inside = [(a, b) for a, b in speech if b > c.start and a < c.end]
        if not inside:
            early.append(float("inf"))
            late.append(float("inf"))
            continue
        early.append(max(0.0, inside[0][0] - c.start))
        late.append(max(0.0, c.end - inside[-1][1]))
    return early, late


def row(name: str, transcript: dict[str, Any], cues: list[Any], refs: list[Any], speech: list[Any]) -> str:
    words = [w for s in transcript["segments"] for w in s["words"]]
    starts, ends = word_errors(words, refs)
    early, late = cue_errors(cues, speech)
    ms = 1000

    def med(xs: list[float]) -> str:
        return f"{statistics.median(abs(x) for x in xs) * ms:.0f}" if xs else "-"

    return (
        f"| {name} | {len(starts)} | {med(starts)} | {max(abs(x) for x in starts) * ms:.0f} | {med(ends)} | "
        f"{len(cues)} | {max(early) * ms:.0f} | {sum(e > 0.2 for e in early)} | {max(late) * ms:.0f} | "
        f"{sum(x > 0.5 for x in late)} | {sum('fast' in c.flags for c in cues)} |"
    )


def faster(pcm: np.ndarray, tempo: float, tmp: Path) -> np.ndarray:
    """The clip spoken ``tempo`` times faster (pitch kept)."""
    import wave

    from traps import ffmpeg, read_pcm

    with wave.open(str(tmp / "in.wav"), "wb") as wf:
        wf.setnchannels(1), wf.setsampwidth(2), wf.setframerate(SAMPLE_RATE)
        wf.writeframes(pcm.tobytes())
    ffmpeg("-i", str(tmp / "in.wav"), "-af", f"atempo={tempo}", str(tmp / "fast.wav"))
    return read_pcm(tmp / "fast.wav")


TEMPOS = (1.0, 1.25, 1.6)
# variant: subtitles overrides on top of the config's
READING_VARIANTS: dict[str, dict[str, Any]] = {
    "fit_reading off": {"fit_reading": False, "condense": False},
    "fit_reading on": {"fit_reading": True, "condense": False},
    "fit_reading + condense": {"fit_reading": True, "condense": True},
}


def speech_files() -> list[tuple[str, str, Path]]:
    """(name, language, path) of every real speech clip of ../shared/data and tests/data (whose
    other languages it adds), each once (same bytes)."""
    import hashlib

    files, seen = [], set()
    for root in (SHARED_DATA, REPO / "tests" / "data"):
        for e in json.loads((root / "manifest.json").read_text(encoding="utf-8")):
            path = (root / e["file"]).resolve()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if e["reference_type"] != "empty-expected" and digest not in seen:
                seen.add(digest)
                files.append((path.stem, e["language"], path))
    return files + [(p.stem, "en", p) for p in sorted((SHARED_DATA / "diarization").glob("*.wav"))]


def reading_transcripts(args: argparse.Namespace, tempos: list[float]) -> dict[float, list[dict[str, Any]]]:
    """Per tempo, the transcript of every speech clip (each its own file), as the workflow makes it."""
    from traps import read_pcm

    from subvox.media.ffmpeg import extract_audio

    config = load(args.config, args.set)
    runs: dict[str, Any] = {}
    out: dict[float, list[dict[str, Any]]] = {t: [] for t in tempos}
    with tempfile.TemporaryDirectory(prefix="subvox-reading-") as tmp_s:
        tmp = Path(tmp_s)
        for name, language, path in speech_files():
            model = args.model if language == "en" else args.multilingual
            if model not in runs:
                runs[model] = pipeline(config, model, args.models_dir)
            extract_audio(path, tmp / "clip.wav")
            pcm = read_pcm(tmp / "clip.wav")
            for tempo in tempos:
                transcript, _ = runs[model](pcm if tempo == 1.0 else faster(pcm, tempo, tmp))
                out[tempo].append({"name": name, "model": model, **transcript})
    return out


def fast_floor(segments: list[dict[str, Any]], limits: Any, duration: float) -> int:
    """The fewest fast cues any split of the words allows (a lower bound): each cue within the line
    and duration limits, shown from ``MAX_EARLY`` before its first word (not before the word
    ahead of it) to ``max_extend`` after its last (not past the next word), gaps ignored."""
    from subvox.subtitles.reading import MAX_EARLY, MAX_LATE
    from subvox.subtitles.segment import _words_from_segments, wrap_lines

    words, _ = _words_from_segments(segments)
    n, late = len(words), max(MAX_LATE, limits.max_extend)
    best = [0] + [n + 1] * n
    for i in range(n):
        text, start = "", max(words[i].start - MAX_EARLY, words[i - 1].end if i else 0.0)
        for j in range(i + 1, n + 1):
            text = words[j - 1].after(text)
            if j > i + 1 and words[j - 1].end - words[i].start > limits.max_duration:
                break
            if j > i + 1 and wrap_lines(text, limits.max_line_chars, limits.max_lines) is None:
                continue
            end = min(words[j].start if j < n else max(duration, words[-1].end), words[j - 1].end + late)
            end = min(end, start + limits.max_duration)
            best[j] = min(best[j], best[i] + (len(text) / max(end - start, 1e-3) > limits.max_cps + 1e-6))
    return best[n]


def reading(args: argparse.Namespace) -> None:
    """Cues above max_cps per tempo and variant (see the module docstring)."""
    import dataclasses

    from subvox.subtitles.segment import segment_words
    from subvox.subtitles.style import limits_for

    tempos = [float(t) for t in args.tempos.split(",")]
    started = time.perf_counter()
    transcripts = reading_transcripts(args, tempos)
    files = transcripts[tempos[0]]
    print(
        f"{len(files)} real speech clips, {sum(t['duration'] for t in files):.1f} s at tempo 1 "
        f"({', '.join(sorted({t['language'] for t in files}))}); models {args.model} (en), "
        f"{args.multilingual} (other); overrides {args.set or 'none'}; transcribed in "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(
        "| tempo | words a minute of speech | fewest possible | variant | cues | cues above max_cps | share "
        "| worst cps | condensed |\n|---|---|---|---|---|---|---|---|---|"
    )
    conf = load(args.config, args.set)["subtitles"]
    default = "fit_reading on"
    left, condensed = [], []
    for tempo in tempos:
        words = [w for t in transcripts[tempo] for s in t["segments"] for w in s.get("words") or []]
        spoken = sum(s["end"] - s["start"] for t in transcripts[tempo] for s in t["segments"] if s.get("words"))
        floor = sum(
            fast_floor(t["segments"], limits_for(conf, t["language"]), t["duration"]) for t in transcripts[tempo]
        )
        for variant, overrides in READING_VARIANTS.items():
            cues = []
            for t in transcripts[tempo]:
                limits = dataclasses.replace(limits_for(conf, t["language"]), **overrides)
                for c in segment_words(t["segments"], limits, t["duration"]):
                    cues.append(c)
                    line = f"{tempo:g} {t['name']} {c.cps:.1f} cps: {c.text!r}".replace("\\n", " ")
                    if variant == default and "fast" in c.flags:
                        left.append(line)
                    if c.dropped:
                        condensed.append(f"{line} (dropped {c.dropped}{', still fast' if 'fast' in c.flags else ''})")
            fast = [c for c in cues if "fast" in c.flags]
            print(
                f"| {tempo:g} | {60 * len(words) / max(spoken, 1e-9):.0f} | {floor} | {variant} | {len(cues)} | "
                f"{len(fast)} | {100 * len(fast) / max(len(cues), 1):.1f} % | "
                f"{max((c.cps for c in cues), default=0):.1f} | {sum(bool(c.dropped) for c in cues)} |"
            )
    print(f"\nstill above max_cps ({default}, the default):\n" + "\n".join(left))
    print("\ncondensed (fit_reading + condense):\n" + "\n".join(condensed))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--set", action="append", default=[], help="config override, e.g. asr.vad.enabled=false")
    ap.add_argument("--compare", default=None, help="key=v1,v2: one row per value")
    ap.add_argument("--tempo", type=float, default=1.0, help="speed the clips up (ffmpeg atempo): fast speech")
    ap.add_argument("--reading", action="store_true", help="reading speed over all real speech clips")
    ap.add_argument("--tempos", default=",".join(f"{t:g}" for t in TEMPOS), help="--reading: tempos to run")
    ap.add_argument("--multilingual", default="base", help="--reading: the model for clips not in English")
    args = ap.parse_args()
    if args.reading:
        reading(args)
        return
    from subvox.asr.speechmap import speech_spans

    with tempfile.TemporaryDirectory(prefix="subvox-timing-") as tmp:
        clips = decode_clips(speech_clips(SHARED_DATA), Path(tmp))
        if args.tempo != 1.0:
            clips = [(c, faster(pcm, args.tempo, Path(tmp))) for c, pcm in clips]
    track, refs = build_track(clips)
    speech = speech_spans(track, 0.0, len(track) / SAMPLE_RATE)
    units = sum(len(r["units"]) for r in refs)
    print(
        f"track {len(track) / SAMPLE_RATE:.1f} s: {len(clips)} real clips, silences {GAPS_S[: len(clips)]} s; "
        f"{units} reference onsets/offsets; tempo {args.tempo}; model {args.model}, overrides {args.set or 'none'}\n"
    )
    print(
        "| run | units | median abs word-start err ms | max abs word-start err ms | median abs word-end err ms | "
        "cues | max early ms | cues > 200 ms early | max late ms | cues > 500 ms late | fast cues |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    variants = [("as configured", [])]
    if args.compare:
        key, values = args.compare.split("=", 1)
        variants = [(f"{key}={v}", [f"{key}={v}"]) for v in values.split(",")]
    for name, extra in variants:
        run = pipeline(load(args.config, [*args.set, *extra]), args.model, args.models_dir)
        transcript, cues = run(track)
        print(row(name, transcript, cues, refs, speech))


if __name__ == "__main__":
    main()
