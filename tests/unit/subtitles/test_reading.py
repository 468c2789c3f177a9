"""Fast cues use the room their timing allows before they are flagged (subvox.subtitles.reading)."""

import dataclasses
import random

import pytest

from subvox.subtitles import reading
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


# LJ001-0004 at tempo 1.25 (bench/timing.py --reading): a cue with no slack, then a fast one
LJ4 = (
    "produced 0 .4|the .4 .68|block .68 .9|books, .9 1.26|which 1.58 1.64|were 1.64 1.84|the 1.84 2.22|"
    "immediate 2.22 2.38|predecessors 2.38 2.82|of 2.82 3.18|the 3.18 3.42|true 3.42 3.46|printed 3.46 3.74|"
    "book. 3.74 4.02"
)


def test_resharing_never_turns_one_fast_cue_into_two():
    ws = [
        {"word": " " + w, "start": float(a), "end": float(b), "probability": 0.9}
        for w, a, b in (x.split() for x in LJ4.split("|"))
    ]
    before = segment_words(segs(ws), OFF, duration=4.123)
    after = segment_words(segs(ws), LIMITS, duration=4.123)
    check_limits(after, ws, duration=4.123)
    assert len(fast(before)) == 1
    assert len(fast(after)) <= 1
    assert max(c.cps for c in after) <= max(c.cps for c in before) + 1e-6


# AMI trn03, 13-30 s, at tempo 1 (bench/timing.py --reading): one word-timed Whisper segment a line
TRN03 = (
    (
        "The 13.366 13.66|time 13.66 14.14|thinking 14.14 14.44|up 14.44 14.76|between 14.76 15.22|"
        "the 15.22 15.4|relative 15.4 15.64|time 15.64 16.14|in 16.14 16.54|a 16.54 16.68|sort 16.68 16.76|"
        "of 16.76 16.92|in 16.92 17.04|a 17.04 17.92|in 17.92 17.92|a 17.92 18.24|summarize 18.24 18.42|"
        "section 18.42 18.94|and 18.94 19.12|the 19.12 19.26|absolute 19.26 19.48|terms 19.48 19.88|"
        "didn't 19.88 20.1|correspond 20.1 20.42|and 20.42 20.76|stuff 20.76 20.96"
    ),
    ("And 20.96 21.1|we 21.1 21.24|found 21.24 21.38|it 21.38 21.5|was 21.5 21.66|some 21.66 21.9|stupid 21.9 22.32"),
    (
        "Well, 23.148 23.548|at 23.728 23.748|the 23.748 23.888|moment 23.888 24.008|our 24.008 24.208|"
        "best 24.208 24.468|guess 24.468 24.688|is 24.688 24.888|that 24.888 24.968|it 24.968 25.068|"
        "was 25.068 25.208|some 25.208 25.488|stupid 25.488 25.848|Java 25.848 26.088|thing 26.088 26.348|"
        "about 26.348 26.688|if 26.688 27.548|you 27.548 27.548|if 27.548 27.608|actually 27.608 27.868|"
        "if 27.868 28.048|you 28.048 28.088|have 28.088 28.248|two 28.248 28.448|objects 28.448 28.828|"
        "and 28.828 29.048|you 29.048 29.208|say 29.208 29.388|object 29.388 29.608"
    ),
)


def timed_segments(lines):
    out = []
    for line in lines:
        ws = [
            {"word": " " + w, "start": float(a), "end": float(b), "probability": 0.9}
            for w, a, b in (x.split() for x in line.split("|"))
        ]
        out.append({"text": "".join(w["word"] for w in ws), "start": ws[0]["start"], "end": ws[-1]["end"], "words": ws})
    return out


def test_a_second_pass_uses_the_room_a_later_resplit_made(monkeypatch):
    segments = timed_segments(TRN03)
    source = [w for s in segments for w in s["words"]]
    monkeypatch.setattr(reading, "PASSES", 1)
    assert len(fast(segment_words(segments, LIMITS, duration=30.0))) == 1
    monkeypatch.undo()
    cues = segment_words(segments, LIMITS, duration=30.0)
    check_limits(cues, source, duration=30.0)
    assert not fast(cues)


def random_speech(seed, n=60):
    """Timed words at a random, often fast pace (8-30 characters/s), with random pauses and marks."""
    rng = random.Random(seed)
    vocab = ["the", "a", "of", "we", "think", "that", "meeting", "probably", "realizing", "legal", "issue", "way"]
    out, t = [], 0.0
    for _ in range(n):
        w = rng.choice(vocab) + rng.choice(["", "", "", "", ",", "."])
        dur = (len(w) + 1) / rng.uniform(8.0, 30.0)
        out.append({"word": " " + w, "start": round(t, 3), "end": round(t + dur, 3), "probability": 0.9})
        t += dur + (rng.choice([0.0, 0.0, 0.0, 0.05, 0.3, 1.2]))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_fitting_never_leaves_more_fast_cues_than_it_found(seed):
    # re-sharing words with a neighbour must not turn one fast cue into two slightly fast ones
    ws = random_speech(seed)
    before = segment_words(segs(ws), OFF, duration=ws[-1]["end"])
    after = segment_words(segs(ws), LIMITS, duration=ws[-1]["end"])
    check_limits(after, ws, duration=ws[-1]["end"])
    assert len(fast(after)) <= len(fast(before))
