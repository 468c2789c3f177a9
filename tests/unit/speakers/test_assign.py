"""Speaker turns on word timings, cues that never cross a speaker turn, labels in every format."""

from __future__ import annotations

import copy

import webvtt

from subvox.speakers.assign import label_transcript
from subvox.subtitles.segment import CueLimits, segment_words
from subvox.subtitles.writers import labelled_lines, txt_text, vtt_text


def word(text: str, start: float, end: float) -> dict:
    return {"word": " " + text, "start": start, "end": end, "probability": 0.9}


def transcript() -> dict:
    """Two people: A asks (0-2.4 s), B answers at once (2.5-5 s, no pause: one Whisper segment)."""
    words = [
        word("Are", 0.0, 0.3), word("you", 0.3, 0.6), word("coming", 0.6, 1.2), word("to", 1.2, 1.4),
        word("dinner", 1.4, 2.0), word("tonight?", 2.0, 2.4), word("Yes,", 2.5, 2.8), word("I", 2.8, 3.0),
        word("will", 3.0, 3.3), word("be", 3.3, 3.5), word("there", 3.5, 4.0), word("soon.", 4.0, 5.0),
    ]  # fmt: skip
    text = " ".join(w["word"].strip() for w in words)
    return {"segments": [{"start": 0.0, "end": 5.0, "text": text, "words": words}], "duration": 6.0}


TURNS = [{"start": 0.0, "end": 2.45, "speaker": "S1"}, {"start": 2.42, "end": 5.1, "speaker": "S2"}]


def test_each_word_gets_the_speaker_covering_most_of_it_and_segments_the_majority():
    t = transcript()
    label_transcript(t, TURNS)
    speakers = [w["speaker"] for w in t["segments"][0]["words"]]
    assert speakers == ["S1"] * 6 + ["S2"] * 6
    assert t["segments"][0]["speaker"] == "S1" or t["segments"][0]["speaker"] == "S2"


def test_a_word_outside_every_turn_goes_to_the_nearest_one():
    t = transcript()
    label_transcript(t, [{"start": 0.2, "end": 2.0, "speaker": "S1"}, {"start": 3.0, "end": 4.5, "speaker": "S2"}])
    words = t["segments"][0]["words"]
    assert words[0]["speaker"] == "S1" and words[-1]["speaker"] == "S2"


def test_no_turns_labels_nothing():
    t = transcript()
    label_transcript(t, [])
    assert "speaker" not in t["segments"][0]["words"][0]


def test_no_cue_spans_two_speakers_even_without_a_pause():
    t = transcript()
    unlabelled = segment_words(copy.deepcopy(t)["segments"], CueLimits(), 6.0)
    assert len(unlabelled) == 1, "without speakers the exchange fits one cue"
    label_transcript(t, TURNS)
    cues = segment_words(t["segments"], CueLimits(), 6.0)
    assert [c.speaker for c in cues] == ["S1", "S2"]
    assert cues[0].text.endswith("tonight?") and cues[1].text.startswith("Yes,")
    assert cues[0].end <= cues[1].start


def test_labels_in_srt_txt_and_vtt_voice_spans_that_a_parser_reads():
    t = transcript()
    label_transcript(t, TURNS)
    cues = segment_words(t["segments"], CueLimits(), 6.0)
    dashed = labelled_lines(cues, "dash")
    assert dashed[0][0].startswith("Are") and dashed[1][0].startswith("- Yes,"), "a dash marks the change"
    assert labelled_lines(cues, "name")[1][0].startswith("S2: Yes,")
    assert labelled_lines(cues, "none") == [c.lines for c in cues]
    captions = webvtt.from_string(vtt_text(cues)).captions
    assert [c.voice for c in captions] == ["S1", "S2"]
    assert captions[1].text.startswith("Yes,")
    t["segments"][0]["speaker"] = "S1"
    assert txt_text(t["segments"], "name").startswith("S1: Are you")
