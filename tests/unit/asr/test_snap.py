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


def test_snapping_a_long_memory_mapped_file_leaves_no_pages_behind(tmp_path):
    """Snapping (and the phrase guards: the same reader) read around every segment, i.e. most
    of the file, after decoding: its pages must not stay in RSS (20 min: +33 MB, 3 h ~300 MB)."""
    import soundfile

    from subvox.asr.hallucination import above_floor_db
    from subvox.media.ffmpeg import open_pcm

    path = tmp_path / "long.wav"
    rng = np.random.default_rng(5)
    soundfile.write(path, (rng.standard_normal(RATE * 120) * 3000).astype(np.int16), RATE, subtype="PCM_16")
    audio, _ = open_pcm(path)

    def rss_file_kb() -> int:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("RssFile"))

    speech_spans(audio, 0.0, 1.0)  # Silero loaded and mapped first
    before = rss_file_kb()
    snap_words([segment((t, t + 2.0), (t + 2.0, t + 3.5)) for t in np.arange(0.0, 116.0, 4.0)], audio)
    assert rss_file_kb() - before < 1000  # the 3.8-MB file read almost whole: at most a read's neighbours stay
    for t in np.arange(0.0, 116.0, 4.0):
        above_floor_db(audio, t, t + 3.0)
    assert rss_file_kb() - before < 1000
