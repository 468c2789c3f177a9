"""Sentences from timed words (ends, speakers, languages, pauses) and the translated text's timing."""

from __future__ import annotations

import itertools

from subvox.subtitles.segment import CueLimits
from subvox.translate.align import Sentence, language_at, sentences, timed_translation, translated_segments
from subvox.translate.job import translated_cues


def word(text: str, start: float, end: float, speaker: str | None = None) -> dict:
    w = {"word": " " + text, "start": start, "end": end, "probability": 0.9}
    if speaker is not None:
        w["speaker"] = speaker
    return w


def transcript(words: list[dict], languages: list[dict] | None = None, language: str = "en") -> dict:
    # two Whisper segments, split in the middle: sentences must ignore segment bounds
    half = len(words) // 2
    segs = [
        {"start": ws[0]["start"], "end": ws[-1]["end"], "text": "", "words": ws}
        for ws in (words[:half], words[half:])
        if ws
    ]
    return {"language": language, "languages": languages or [], "segments": segs, "duration": 30.0}


def test_sentence_ends_close_sentences_across_whisper_segments():
    words = [
        word(t, i * 0.5, i * 0.5 + 0.4)
        for i, t in enumerate(["I", "came", "home.", "Then", "I", "slept", "well.", "And"])
    ]
    got = sentences(transcript(words))
    assert [s.text for s in got] == ["I came home.", "Then I slept well.", "And"]
    assert (got[1].start, got[1].end) == (1.5, 3.4)


def test_a_speaker_change_always_ends_a_sentence():
    words = [
        word("so", 0, 0.4, "S1"),
        word("you", 0.5, 0.9, "S1"),
        word("agree", 1.0, 1.4, "S2"),
        word("now.", 1.5, 1.9, "S2"),
    ]
    got = sentences(transcript(words))
    assert [(s.text, s.speaker) for s in got] == [("so you", "S1"), ("agree now.", "S2")]


def test_each_language_region_is_its_own_sentence_and_language():
    words = [word("hello", 0, 0.4), word("there", 0.5, 0.9), word("hola", 5.0, 5.4), word("amigo.", 5.5, 5.9)]
    regions = [{"language": "en", "start": 0.0, "end": 3.0}, {"language": "es", "start": 3.0, "end": 9.0}]
    got = sentences(transcript(words, regions))
    assert [(s.text, s.language) for s in got] == [("hello there", "en"), ("hola amigo.", "es")]
    assert language_at(regions, 20.0, "en") == "es", "outside every region: the nearest"


def test_long_pauses_and_long_run_ons_end_unpunctuated_speech():
    words = [word("one", 0, 0.5), word("two", 0.6, 1.0), word("three", 4.0, 4.5)]
    assert [s.text for s in sentences(transcript(words))] == ["one two", "three"]
    run_on = [word(f"w{i}", i * 1.0, i * 1.0 + 0.9) for i in range(30)]
    assert all(s.end - s.start <= 21.0 for s in sentences(transcript(run_on), max_s=20.0))


def test_untimed_segments_still_make_sentences():
    t = {"language": "en", "segments": [{"start": 1.0, "end": 3.0, "text": "Good morning. Hi", "words": []}]}
    got = sentences(t)
    assert [s.text for s in got] == ["Good morning.", "Hi"] and got[0].start == 1.0 and got[-1].end == 3.0


def test_translation_is_spread_over_the_speech_and_keeps_its_pauses_silent():
    s = Sentence([word("ask", 0.0, 1.0), word("not", 1.0, 2.0), word("what", 5.0, 6.0), word("you", 6.0, 7.0)], "en")
    s.translation = "pregunta no qué tú"
    timed = timed_translation(s)
    assert [w["word"] for w in timed] == [" pregunta", " no", " qué", " tú"]
    assert timed[0]["start"] == 0.0 and timed[-1]["end"] == 7.0
    assert all(not (2.0 < w["start"] < 5.0 or 2.0 < w["end"] < 5.0) for w in timed), "nothing inside the pause"
    assert all(a["end"] <= b["start"] + 1e-9 for a, b in itertools.pairwise(timed)), "in order"
    # proportional to characters: the long word takes the longest time
    durations = [w["end"] - w["start"] for w in timed]
    assert durations[0] == max(durations)


def test_translated_cues_stay_inside_the_source_span_and_limits():
    words = [word(f"w{i}.", i * 0.6, i * 0.6 + 0.5, "S1" if i < 6 else "S2") for i in range(12)]
    sents = sentences(transcript(words))
    for s in sents:
        s.translation = " ".join(["palabra"] * 4) + "."
    limits = CueLimits()
    cues, recorded = translated_cues(sents, "es", {"max_line_chars": 42, "max_lines": 2}, 30.0)
    assert recorded["max_line_chars"] == limits.max_line_chars
    assert cues and cues[0].start >= 0.0 and cues[-1].end <= words[-1]["end"] + limits.max_extend + 1e-6
    assert all(len(line) <= 42 for c in cues for line in c.lines)
    assert {c.speaker for c in cues} == {"S1", "S2"}
    for c in cues:  # a cue never spans two speakers
        owners = {s.speaker for s in sents if s.start < c.end and s.end > c.start}
        assert c.speaker in owners


def test_an_unspaced_target_is_cut_between_characters_and_uses_its_limits():
    s = Sentence([word("good", 0.0, 1.0), word("morning.", 1.0, 2.0)], "en")
    s.translation = "おはようございます。"
    timed = timed_translation(s)
    assert len(timed) > 3 and not any(w["word"].startswith(" ") for w in timed)
    cues, limits = translated_cues([s], "ja", {}, 5.0)
    assert limits["max_line_chars"] == 13 and " " not in cues[0].text
    assert translated_segments([Sentence([word("x", 0, 1)], "en")]) == [], "no translation, no segment"


def test_subtitles_made_from_a_replaced_media_file_are_named_as_the_reason(tmp_path):
    """A file replaced after its subtitles were made: its translation fails saying so, not that
    the subtitles job did not finish (a bug hunt's misleading failed.tsv row)."""
    import os

    import pytest

    from subvox.errors import SubvoxError
    from subvox.library.layout import Fingerprints, Item, Layout
    from subvox.translate.job import translate_one

    layout = Layout(str(tmp_path / "out"), Fingerprints("a" * 12, "b" * 12), ("json",), False, targets=("es",))
    media = tmp_path / "a.wav"
    media.write_bytes(b"x")
    item = Item(stem="a", media=str(media), relpath="a.wav")
    with pytest.raises(SubvoxError, match="the subtitles job did not finish"):
        translate_one(item, layout, {}, None)  # type: ignore[arg-type]
    os.makedirs(tmp_path / "out")
    (tmp_path / "out" / "a.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SubvoxError, match="another version of the media file"):
        translate_one(item, layout, {}, None)  # type: ignore[arg-type]
