"""Fast cues use the room their timing allows before they are flagged (subvox.subtitles.reading)."""

import dataclasses

from subvox.subtitles.reading import MAX_EARLY, MAX_LATE
from subvox.subtitles.segment import CueLimits, segment_words
from tests.unit.subtitles.test_segment import check_limits, segs, words

LIMITS = CueLimits()
OFF = dataclasses.replace(LIMITS, fit_reading=False)


def fast(cues):
    return [c for c in cues if "fast" in c.flags]


def test_a_fast_cue_takes_room_from_the_silence_before_it_and_its_neighbour():
    # 58 characters in 2.5 s (23 cps) after 1 s of silence, then a slow sentence 0.25 s later
    burst = words("Nobody expects the Spanish inquisition, said the cardinal.", start=1.0, step=0.3)
    later = words("Then the room was quiet.", start=burst[-1]["end"] + 0.25, step=0.4)
    before, after = segment_words(segs(burst, later), OFF), segment_words(segs(burst, later), LIMITS)
    assert fast(before) and not fast(after)
    check_limits(after, burst + later)
    assert after[0].start >= burst[0]["start"] - MAX_EARLY - 1e-6
    assert after[-1].end <= later[-1]["end"] + MAX_LATE + 1e-6


def test_speech_too_fast_for_any_room_stays_flagged():
    ws = words(" ".join(["incomprehensibilities"] * 12), step=0.25)  # ~88 cps, no silence anywhere
    cues = segment_words(segs(ws), LIMITS, duration=ws[-1]["end"])
    check_limits(cues, ws, duration=ws[-1]["end"])
    assert fast(cues)
