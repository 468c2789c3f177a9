"""Cue segmentation on crafted word timings, with property checks over every cue."""

import itertools

import pytest

from subvox.subtitles.segment import Cue, CueLimits, fit_timing, segment_words, untimed_cues, wrap_lines

LIMITS = CueLimits()


def words(text, start=0.0, step=0.3, gap_after=None):
    """Timed words: each lasts 90 % of ``step``; ``gap_after`` maps word index -> extra pause."""
    out, t = [], start
    for k, w in enumerate(text.split()):
        out.append({"word": " " + w, "start": round(t, 3), "end": round(t + step * 0.9, 3), "probability": 0.9})
        t += step + (gap_after or {}).get(k, 0.0)
    return out


def segs(*word_lists):
    return [
        {"text": "".join(w["word"] for w in ws), "start": ws[0]["start"], "end": ws[-1]["end"], "words": ws}
        for ws in word_lists
    ]


def check_limits(cues, source_words, limits=LIMITS, duration=None):
    """Properties every cue must have (CPS is reported via flags, not enforced)."""
    text = " ".join(w["word"].strip() for w in source_words)
    assert " ".join(" ".join(c.lines) for c in cues) == text, "words lost, duplicated or reordered"
    for c in cues:
        assert 1 <= len(c.lines) <= limits.max_lines
        single_word = len(c.text.split()) == 1
        assert single_word or all(len(line) <= limits.max_line_chars for line in c.lines)
        assert c.end - c.start <= limits.max_duration + 1e-6
        assert c.start < c.end
        if duration is not None:
            assert c.end <= duration + 1e-6
    for a, b in itertools.pairwise(cues):
        assert b.start - a.end >= limits.min_gap - 1e-6, "cues too close or overlapping"


def test_wrap_short_text_is_one_line():
    assert wrap_lines("Hello there.", 42, 2) == ["Hello there."]


def test_wrap_balances_two_lines_and_prefers_punctuation():
    lines = wrap_lines("And so my fellow Americans ask not what your country can do for you", 42, 2)
    assert len(lines) == 2 and all(len(x) <= 42 for x in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 8
    assert wrap_lines("Yes, I think we should go to the market now", 30, 2)[0] == "Yes, I think we should"


def test_wrap_refuses_text_that_cannot_fit_and_never_splits_a_word():
    assert wrap_lines("word " * 30, 42, 2) is None
    assert wrap_lines("x" * 60, 42, 2) == ["x" * 60]


def test_sentence_ends_are_preferred_break_points():
    ws = words("This is the first sentence. And here comes a second one that is longer, with a clause.")
    cues = segment_words(segs(ws), LIMITS)
    check_limits(cues, ws)
    assert cues[0].text.replace("\n", " ") == "This is the first sentence."


def test_a_12_second_monologue_without_punctuation_is_split_at_the_pause():
    text = " ".join(["we"] * 20 + ["kept"] * 20)
    ws = words(text, step=0.3, gap_after={19: 0.6})
    cues = segment_words(segs(ws), LIMITS)
    check_limits(cues, ws)
    assert len(cues) >= 2
    assert any(c.text.split()[-1] == "we" and c.text.replace("\n", " ").split().count("kept") == 0 for c in cues)


def test_one_sixty_character_word_stands_alone():
    giant = "Pneumonoultramicroscopicsilicovolcanoconiosis-hyphenated-term"
    ws = words(f"He said {giant} twice", step=0.5)
    cues = segment_words(segs(ws), LIMITS)
    check_limits(cues, ws)
    [alone] = [c for c in cues if giant in c.text]
    assert alone.lines == [giant] and "long-line" in alone.flags


def test_back_to_back_speech_without_pauses_keeps_gaps():
    text = " ".join(f"w{i}" for i in range(60))
    ws = []
    for k, w in enumerate(text.split()):
        ws.append({"word": " " + w, "start": k * 0.25, "end": (k + 1) * 0.25, "probability": 0.9})
    cues = segment_words(segs(ws), LIMITS, duration=15.0)
    check_limits(cues, ws, duration=15.0)


def test_short_isolated_word_runs_on_into_silence_but_not_into_the_next_cue():
    ws = [
        {"word": " Hi.", "start": 1.0, "end": 1.2, "probability": 0.9},
        {"word": " Welcome", "start": 1.6, "end": 2.0, "probability": 0.9},
        {"word": " back.", "start": 2.0, "end": 2.3, "probability": 0.9},
    ]
    cues = segment_words(segs(ws), LIMITS, duration=10.0)
    check_limits(cues, ws, duration=10.0)
    for c in cues:
        assert c.end - c.start >= LIMITS.min_duration - 1e-6 or "short" in c.flags
    assert cues[-1].end == pytest.approx(2.3 + LIMITS.max_extend - 0.5, abs=0.51)


def test_fast_speech_is_flagged_not_hidden():
    ws = words("supercalifragilistic expialidocious antidisestablishment", step=0.2)
    cues = segment_words(segs(ws), CueLimits(max_extend=0.0), duration=0.6)
    assert any("fast" in c.flags for c in cues)


def test_segments_without_words_are_split_by_characters():
    text = " ".join(f"word{i}" for i in range(40))
    cues = untimed_cues([{"text": text, "start": 0.0, "end": 10.0, "words": []}], LIMITS)
    assert cues[0].start == 0.0 and cues[-1].end == pytest.approx(10.0, abs=0.01)
    assert all(len(c.lines) <= 2 for c in cues)


def test_fit_timing_removes_overlaps():
    cues = fit_timing([Cue(0.0, 2.0, ["one"]), Cue(1.5, 3.0, ["two"])], LIMITS)
    assert cues[0].end <= cues[1].start - LIMITS.min_gap + 1e-6


def test_empty_transcript_gives_no_cues():
    assert segment_words([], LIMITS) == []
    assert segment_words([{"text": "", "start": 0, "end": 1, "words": []}], LIMITS) == []
