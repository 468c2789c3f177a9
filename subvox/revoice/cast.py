"""Which voice speaks which speaker: the cast of a dub.

With one voice (``revoice.speaker: <key>``) every cue is spoken by it. With
``revoice.speaker: per-speaker`` (diarized files), each speaker of a file gets a voice:
the one ``revoice.voices`` names for it (an enrolled name or ``S1``, ``S2``, ...), else the
next of ``revoice.default_voices`` in order of first appearance in the file (cycling when
there are more speakers than voices). The rule is deterministic, so reruns cast alike.
"""

from __future__ import annotations

from typing import Any

from subvox.errors import SubvoxError
from subvox.library.layout import PER_SPEAKER, voice_keys


def check_cast(config: dict[str, Any]) -> None:
    """Fail at start-up on a per-speaker dub that cannot be cast."""
    revoice = config["revoice"]
    if revoice["speaker"] != PER_SPEAKER:
        return
    if not config.get("diarization", {}).get("enabled"):
        raise SubvoxError("revoice.speaker per-speaker needs diarization.enabled: true (who speaks is not known)")
    if not revoice.get("default_voices"):
        raise SubvoxError("revoice.speaker per-speaker needs revoice.default_voices (voices for unnamed speakers)")
    for key in voice_keys(revoice):
        if key not in config["speakers"]:
            raise SubvoxError(
                f"revoice voice {key!r} is not in speakers (defined: {', '.join(sorted(config['speakers']))})"
            )


def cast(speakers_in_order: list[str | None], revoice: dict[str, Any]) -> dict[str | None, str]:
    """Voice key per speaker label (``None``: cues without a speaker), in order of first appearance."""
    if revoice["speaker"] != PER_SPEAKER:
        return {s: revoice["speaker"] for s in speakers_in_order}
    named, pool = revoice.get("voices", {}), revoice["default_voices"]
    out: dict[str | None, str] = {}
    k = 0
    for s in speakers_in_order:
        if s in out:
            continue
        if s is not None and s in named:
            out[s] = named[s]
        else:
            out[s] = pool[k % len(pool)]
            k += 1
    return out
