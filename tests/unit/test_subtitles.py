import itertools
import subprocess

import pysrt
import pytest

from subvox.subtitles import Cue, build_cues, txt_text, vtt_text, wrap_lines, write_outputs, write_srt


def timed_words(text, start=0.0, step=0.3):
    words = []
    t = start
    for w in text.split():
        words.append({"word": " " + w, "start": t, "end": t + step * 0.9, "probability": 0.9})
        t += step
    return words


def seg(text, start, end, words=None):
    return {"text": text, "start": start, "end": end, "words": words or []}


def test_wrap_short_text_is_one_line():
    assert wrap_lines("Hello there.", 42, 2) == ["Hello there."]


def test_wrap_balances_two_lines():
    lines = wrap_lines("And so my fellow Americans ask not what your country can do for you", 42, 2)
    assert len(lines) == 2
    assert all(len(x) <= 42 for x in lines)
    assert abs(len(lines[0]) - len(lines[1])) <= 8


def test_wrap_refuses_text_that_cannot_fit():
    assert wrap_lines("word " * 30, 42, 2) is None


def test_wrap_keeps_a_single_overlong_word_whole():
    word = "x" * 60
    assert wrap_lines(word, 42, 2) == [word]


def test_long_segment_is_split_on_word_timings_within_limits():
    text = " ".join(f"word{i}" for i in range(40))
    words = timed_words(text, start=1.0)
    cues = build_cues([seg(text, 1.0, 13.0, words)], 42, 2)
    assert len(cues) > 1
    assert " ".join(" ".join(c.lines) for c in cues) == text  # nothing lost or reordered
    for c in cues:
        assert len(c.lines) <= 2
        assert all(len(line) <= 42 for line in c.lines)
        assert c.end > c.start
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start


def test_untimed_long_segment_shares_time_by_characters():
    text = " ".join(f"word{i}" for i in range(40))
    cues = build_cues([seg(text, 0.0, 10.0)], 42, 2)
    assert cues[0].start == 0.0
    assert cues[-1].end == pytest.approx(10.0, abs=0.002)
    assert all(len(c.lines) <= 2 for c in cues)


def test_overlapping_segments_are_clipped_and_empty_ones_dropped():
    cues = build_cues([seg("one", 0.0, 2.0), seg("   ", 1.0, 1.5), seg("two", 1.5, 3.0)])
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 1.5, "one"), (1.5, 3.0, "two")]


def test_srt_round_trips_through_pysrt(tmp_path):
    cues = [Cue(0.0, 1.234, ["Hello, world"]), Cue(61.5, 3725.0067, ["Two", "lines – ünï"])]
    path = tmp_path / "x.srt"
    write_srt(cues, path)
    subs = pysrt.open(str(path), encoding="utf-8")
    assert [s.text for s in subs] == ["Hello, world", "Two\nlines – ünï"]
    assert subs[0].end.ordinal == 1234
    assert subs[1].start.ordinal == 61500
    assert subs[1].end.ordinal == 3725007
    assert [s.index for s in subs] == [1, 2]


def test_vtt_format_and_escaping():
    text = vtt_text([Cue(0.0, 1.5, ["a < b & c > d"])])
    assert text == "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\na &lt; b &amp; c &gt; d\n\n"
    assert vtt_text([]) == "WEBVTT\n"


def test_txt_one_segment_per_line():
    assert txt_text([seg(" Hello ", 0, 1), seg("", 1, 2), seg("World.", 2, 3)]) == "Hello\nWorld.\n"


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_ffmpeg_reads_what_we_write(tmp_path, fmt):
    cues = [Cue(0.5, 2.0, ["First cue"]), Cue(2.5, 4.0, ["Second", "cue"])]
    paths = {fmt: str(tmp_path / f"x.{fmt}")}
    write_outputs({"segments": []}, cues, paths)
    out = tmp_path / "x.ass"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", paths[fmt], str(out)], check=True)
    ass = out.read_text(encoding="utf-8")
    assert "Dialogue: 0,0:00:00.50,0:00:02.00" in ass
    assert "Second\\Ncue" in ass
