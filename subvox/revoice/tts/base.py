"""One interface for every TTS engine: load a voice once per job, speak one cue per call.

A *speaker* is an entry of the config's ``speakers:`` map (``engine`` plus engine options).
A *profile* is the JSON a speaker is turned into once, by the ``speaker_profile`` rule, and
reused by every file: for a built-in voice it just names the voice; for a cloned OuteTTS
voice it carries the reference clip's codec tokens and word timings, so it can be shipped
to machines that never saw the reference clip.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Voice(Protocol):
    """A loaded voice: ``synthesize`` as many cues as you like."""

    engine: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Speak ``text``: float32 mono samples in [-1, 1] at ``sample_rate``."""
        ...
