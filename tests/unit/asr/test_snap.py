"""Word boundaries in silence are moved onto the speech (asr.timing.snap), on rules and on real audio."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper import decode_audio

from subvox.asr.base import Segment, Word
from subvox.asr.snap import snap_segment, snap_words
from subvox.asr.speechmap import speech_spans
from tests.helpers import clip

RATE = 16000


def segment(*words: tuple[float, float]) -> Segment:
    return Segment(0, words[0][0], words[-1][1], "x", [Word(a, b, f" w{i}", 0.9) for i, (a, b) in enumerate(words)])


def test_a_first_word_starting_in_silence_starts_with_the_speech():
    seg = segment((0.5, 2.4), (2.4, 2.9))
    assert snap_segment(seg, [(1.8, 3.0)]) == 1
    assert (seg.words[0].start, seg.words[0].end) == (1.8, 2.4) and seg.start == 1.8


def test_a_last_word_ending_in_silence_ends_with_the_speech():
    seg = segment((1.0, 1.5), (1.5, 4.0))
    snap_segment(seg, [(0.9, 2.2)])
    assert seg.words[1].end == 2.2 and seg.end == 2.2 and seg.words[0].start == 1.0


def test_words_on_speech_and_words_without_speech_keep_their_times():
    seg = segment((1.0, 1.5), (5.0, 5.5))  # the second lies wholly in silence: nothing to snap to
    assert snap_segment(seg, [(0.8, 2.0)]) == 0
    assert [(w.start, w.end) for w in seg.words] == [(1.0, 1.5), (5.0, 5.5)]


def test_on_real_speech_after_silence_the_first_word_moves_to_the_onset():
    speech = decode_audio(str(clip("coqui_LJ001-0002").path))  # "in being comparatively modern."
    audio = (np.concatenate([np.zeros(2 * RATE, np.float32), speech]) * 32767).astype(np.int16)
    [(onset, _), *_] = speech_spans(audio, 0.0, len(audio) / RATE)
    assert 1.9 < onset < 2.4  # two seconds of silence, then the clip's own short lead-in
    seg = segment((0.6, onset + 0.25), (onset + 0.25, onset + 0.6))  # Whisper's first word begun in the silence
    record = snap_words([seg], audio)
    assert seg.words[0].start == pytest.approx(onset, abs=0.04) and seg.start == seg.words[0].start
    assert record["action"] == "snapped" and record["words"] == 1 and record["shift_s"] > 1.2
