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
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--models-dir", default=str(REPO / "models"))
    ap.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    ap.add_argument("--set", action="append", default=[], help="config override, e.g. asr.vad.enabled=false")
    ap.add_argument("--compare", default=None, help="key=v1,v2: one row per value")
    ap.add_argument("--tempo", type=float, default=1.0, help="speed the clips up (ffmpeg atempo): fast speech")
    args = ap.parse_args()
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
