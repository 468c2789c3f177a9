"""Named speakers across a library: enrolled voices matched to each file's speakers.

``diarization.enroll`` maps a name to reference clips of that voice. Each clip's speech is
embedded once per job (the mean of its window embeddings: a *voiceprint*); in each file,
every diarized speaker's voiceprint (the mean of the windows inside that speaker's turns)
is compared with the enrolled ones by cosine similarity. Names are given greedily, best
match first, each name at most once per file, and only above ``enroll_threshold``; the
other speakers are renumbered ``S1``, ``S2``, ... in order of first appearance.

The voiceprints come from the engine's ``analyse`` (speech regions and embedded windows):
an engine without it cannot enroll, and the job says so.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.media.ffmpeg import extract_audio, open_pcm
from subvox.speakers.audio import SAMPLE_RATE
from subvox.speakers.base import DiarizationOptions, Turn
from subvox.speakers.cluster import unit


def speaker_voiceprints(analysis: Any, turns: list[Turn]) -> dict[str, np.ndarray]:
    """Voiceprint of each speaker: windows whose middle lies in one of that speaker's turns only."""
    windows = analysis.windows
    if windows is None or not turns:
        return {}
    mids = (windows.start + windows.end) / 2
    owner: list[str | None] = []
    for m in mids:
        speaking = {t.speaker for t in turns if t.start <= m < t.end}
        owner.append(speaking.pop() if len(speaking) == 1 else None)
    prints = {}
    for speaker in sorted({t.speaker for t in turns}):
        rows = [k for k, o in enumerate(owner) if o == speaker]
        if rows:
            prints[speaker] = unit(windows.emb[rows].mean(axis=0))
    return prints


def check_enroll(enroll: dict[str, list[str]]) -> None:
    """At start-up: every enrolled clip is a readable file (else one line naming it)."""
    for name, clips in sorted(enroll.items()):
        for clip in clips:
            if not os.path.isfile(clip) or not os.access(clip, os.R_OK):
                raise SubvoxError(f"diarization.enroll: {name}: {clip}: no such readable file")


def enrolled_voiceprints(
    enroll: dict[str, list[str]], diarizer: Any, options: DiarizationOptions, workdir: str
) -> dict[str, np.ndarray]:
    """Voiceprint of each enrolled name from its reference clips (any format ffmpeg reads)."""
    if enroll and not hasattr(diarizer, "analyse"):
        raise SubvoxError(f"diarization engine {getattr(diarizer, 'name', diarizer)!r} cannot enroll speakers")
    prints = {}
    for name, clips in sorted(enroll.items()):
        rows = []
        for k, clip in enumerate(clips):
            wav = os.path.join(workdir, f"enroll-{k}.wav")
            try:
                extract_audio(clip, wav, 0, SAMPLE_RATE, 1)
            except SubvoxError as exc:
                raise SubvoxError(f"diarization.enroll.{name}: {exc}") from None
            samples, _ = open_pcm(wav)
            analysis = diarizer.analyse(samples, options)
            if analysis.windows is not None:
                rows.append(analysis.windows.emb)
        if not rows:
            raise SubvoxError(f"diarization.enroll.{name}: too little speech in {', '.join(clips)} for a voiceprint")
        prints[name] = unit(np.concatenate(rows).mean(axis=0))
    return prints


def name_speakers(
    turns: list[Turn], prints: dict[str, np.ndarray], enrolled: dict[str, np.ndarray], threshold: float
) -> tuple[list[Turn], dict[str, dict[str, Any]]]:
    """Turns relabelled with enrolled names (where the voices match) and ``S1``, ``S2``, ... for the
    rest, plus what each final speaker is: its diarizer label, enrolled or not, best similarity."""
    pairs = sorted(
        ((float(np.dot(prints[s], enrolled[n])), s, n) for s in prints for n in enrolled),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    names: dict[str, str] = {}
    for score, speaker, name in pairs:
        if score >= threshold and speaker not in names and name not in names.values():
            names[speaker] = name
    order = list(dict.fromkeys(t.speaker for t in sorted(turns)))
    anonymous = [s for s in order if s not in names]
    final = {**names, **{s: f"S{k}" for k, s in enumerate(anonymous, 1)}}
    info: dict[str, dict[str, Any]] = {}
    for s in order:
        best = max((float(np.dot(prints[s], v)) for v in enrolled.values()), default=None) if s in prints else None
        info[final[s]] = {
            "diarizer_label": s,
            "enrolled": s in names,
            "similarity": None if best is None else round(best, 4),
            "speech_s": round(sum(t.end - t.start for t in turns if t.speaker == s), 3),
        }
    return [Turn(t.start, t.end, final[t.speaker]) for t in turns], info
