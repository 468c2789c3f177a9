import wave

import numpy as np
import pytest

from subvox.errors import SubvoxError
from subvox.media.ffmpeg import choose_audio_stream, extract_audio, load_wav, probe
from tests.helpers import clip, ffmpeg, make_audio, make_video, two_tracks


@pytest.fixture(scope="module")
def jfk():
    return clip("jfk")


def test_probe_video_container_reports_streams(tmp_path, jfk):
    video = make_video(jfk.path, tmp_path / "talk.mp4")
    info = probe(video)
    assert info["video_streams"] == 1 and info["audio_streams"] == 1
    assert "mp4" in info["format"]
    assert info["duration"] == pytest.approx(11.0, abs=0.3)
    [audio] = [s for s in info["streams"] if s["type"] == "audio"]
    assert audio["codec"] == "aac"
    assert audio["sample_rate"] == 44100 and audio["channels"] == 2
    [v] = [s for s in info["streams"] if s["type"] == "video"]
    assert (v["width"], v["height"]) == (160, 120)
    assert str(tmp_path) not in str(info)  # no absolute paths in outputs


def test_probe_reports_pcm_bit_depth(tmp_path, jfk):
    wav24 = make_audio(jfk.path, tmp_path / "x.wav", "-c:a", "pcm_s24le", "-ar", "48000", "-ac", "6")
    [audio] = probe(wav24)["streams"]
    assert (audio["bit_depth"], audio["sample_rate"], audio["channels"]) == (24, 48000, 6)


def test_extract_resamples_to_16k_mono_and_keeps_duration(tmp_path, jfk):
    src = make_audio(jfk.path, tmp_path / "in put's (1).mkv", "-c:a", "libopus", "-ar", "48000")
    out = tmp_path / "out" / "a.wav"
    result = extract_audio(src, out, sample_rate=16000)
    with wave.open(str(out)) as wf:
        assert (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (16000, 1, 2)
    assert result["duration"] == pytest.approx(11.0, abs=0.05)
    audio, rate = load_wav(out)
    assert rate == 16000 and audio.dtype == np.float32
    assert 0.1 < float(np.abs(audio).max()) <= 1.0
    assert not list(out.parent.glob(".*.part"))  # no temp file left behind


def test_extract_picks_stream_by_language(tmp_path, jfk):
    de = clip("leopard_test_de")
    multi = tmp_path / "multi.mkv"
    two_tracks(de.path, jfk.path, str(multi))
    info = probe(multi)
    assert [s["language"] for s in info["streams"]] == ["ger", "eng"]
    assert choose_audio_stream(multi, info, 0, ["eng"]) == 1
    assert choose_audio_stream(multi, info, 0, ["fra"]) == 0
    result = extract_audio(multi, tmp_path / "eng.wav", audio_index=1)
    assert result["duration"] == pytest.approx(11.0, abs=0.05)
    with pytest.raises(SubvoxError, match="audio stream 5 requested but the file has 2"):
        choose_audio_stream(multi, info, 5)


def test_bad_inputs_give_one_line_reasons_naming_the_file(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    silent_video = tmp_path / "novoice.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1", "-pix_fmt", "yuv420p", str(silent_video))
    with pytest.raises(SubvoxError, match=r"empty\.mp4: empty file \(0 bytes\)"):
        probe(empty)
    with pytest.raises(SubvoxError, match=r"notes\.mp4: not readable media"):
        probe(text)
    with pytest.raises(SubvoxError, match=r"novoice\.mp4: no audio stream"):
        choose_audio_stream(silent_video, probe(silent_video))
    for exc_path in (empty, text):
        try:
            probe(exc_path)
        except SubvoxError as exc:
            assert "\n" not in str(exc)
