"""RTTM writing and reading: round trip, field layout, determinism, bad input."""

from __future__ import annotations

import pytest

from subvox.speakers import Turn, format_rttm, read_rttm, write_rttm
from subvox.speakers.rttm import parse_rttm
from tests.helpers import DATA

TURNS = [
    Turn(3.5, 4.25, "S2"),
    Turn(0.0, 1.2345, "S1"),
    Turn(1.0, 2.0, "S2"),
    Turn(1.0, 1.5, "S1"),
]


def test_round_trip(tmp_path):
    path = tmp_path / "a.rttm"
    write_rttm(TURNS, "file_1", path)
    back = read_rttm(path)
    assert list(back) == ["file_1"]
    expected = sorted(Turn(round(t.start, 3), round(t.end, 3), t.speaker) for t in TURNS)
    assert [(t.start, t.end, t.speaker) for t in back["file_1"]] == [
        (pytest.approx(t.start, abs=1e-6), pytest.approx(t.end, abs=1e-6), t.speaker) for t in expected
    ]


def test_well_formed_and_deterministic():
    text = format_rttm(TURNS, "meeting")
    assert text == format_rttm(list(reversed(TURNS)), "meeting")  # order of input does not matter
    lines = text.splitlines()
    assert len(lines) == len(TURNS)
    starts = []
    for line in lines:
        f = line.split(" ")
        assert len(f) == 10
        assert f[0] == "SPEAKER" and f[1] == "meeting" and f[2] == "1"
        assert f[5] == f[6] == f[8] == f[9] == "<NA>"
        assert len(f[3].split(".")[1]) == 3 and len(f[4].split(".")[1]) == 3  # milliseconds
        assert float(f[4]) > 0
        starts.append(float(f[3]))
    assert starts == sorted(starts)
    assert text.endswith("\n")
    assert lines[0] == "SPEAKER meeting 1 0.000 1.234 <NA> <NA> S1 <NA> <NA>"


def test_zero_length_turns_are_dropped_and_empty_is_empty():
    assert format_rttm([Turn(1.0, 1.0004, "S1")], "x") == ""
    assert format_rttm([], "x") == ""


@pytest.mark.parametrize("bad", ["two words", "", "tab\tbed"])
def test_whitespace_in_ids_is_refused(bad):
    with pytest.raises(ValueError):
        format_rttm([Turn(0, 1, "S1")], bad)
    with pytest.raises(ValueError):
        format_rttm([Turn(0, 1, bad)], "x")


def test_reads_real_reference_with_unicode_names_comments_and_other_records():
    ref = read_rttm(DATA / "diarization" / "ami_trn06.rttm")["ami_trn06"]
    assert {t.speaker for t in ref} == {"FEE083", "MEO082", "FEE085"}
    assert ref[0] == Turn(0.0, 8.856, "FEE083")
    text = (
        "; comment\nSPKR-INFO f 1 <NA> <NA> <NA> unknown MÉO069 <NA> <NA>\n"
        "SPEAKER f 1  2.5  1.0 <NA> <NA> MÉO069 <NA> <NA>\n"
    )
    assert parse_rttm(text) == {"f": [Turn(2.5, 3.5, "MÉO069")]}
    with pytest.raises(ValueError):
        parse_rttm("SPEAKER f 1 x 1.0 <NA> <NA> A <NA> <NA>")
