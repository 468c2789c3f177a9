import subprocess

import pysrt
import pytest

from subvox.subtitles.segment import Cue
from subvox.subtitles.writers import txt_text, vtt_text, write_outputs, write_srt


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
    segments = [{"text": " Hello "}, {"text": ""}, {"text": "World."}]
    assert txt_text(segments) == "Hello\nWorld.\n"


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
