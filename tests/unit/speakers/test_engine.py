"""The Resemblyzer diarizer end to end, with its real models (Silero VAD, GE2E encoder)."""

from __future__ import annotations

import subprocess
import sys
import wave

import numpy as np
import pytest

from subvox.media.ffmpeg import decode_at, extract_audio, open_pcm
from subvox.speakers import DiarizationOptions, Turn, format_rttm, load_diarizer, read_rttm
from subvox.speakers.simulate import conversation
from tests.helpers import DATA, clip
from tests.unit.speakers.scoring import der

pytestmark = pytest.mark.slow
RATE = 16000


@pytest.fixture(scope="module")
def diarizer():
    return load_diarizer("resemblyzer")


def write_wav(path, samples):
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        wf.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return path


def pcm(path):
    return decode_at(str(path), RATE).astype(np.float32) / 32768


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """A 2-speaker conversation of real speech (LJSpeech vs JFK) with known turns and overlaps,
    as a memory-mapped int16 WAV like the workflow's."""
    lj = [pcm(DATA / "audio" / f"coqui_LJ001-000{i}.flac") for i in (3, 4)]
    mix, turns = conversation({"LJ": lj, "JFK": [pcm(clip("jfk").path)]}, seed=0, overlap_p=0.5)
    path = write_wav(tmp_path_factory.mktemp("talk") / "talk.wav", np.round(mix * 32767).astype(np.int16))
    samples, _ = open_pcm(path)
    return samples, turns


def test_two_speaker_conversation(diarizer, talk):
    samples, ref = talk
    assert any(a.speaker != b.speaker and a.start < b.end and b.start < a.end for a in ref for b in ref)
    turns = diarizer.diarize(samples, DiarizationOptions())
    assert {t.speaker for t in turns} == {"S1", "S2"}
    assert turns[0].speaker == "S1" and turns == sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    assert all(0 <= t.start < t.end <= len(samples) / RATE + 1e-3 for t in turns)
    assert der(ref, turns, len(samples) / RATE) <= 0.08


def test_deterministic_and_input_type_independent(diarizer, talk):
    samples, _ = talk
    first = format_rttm(diarizer.diarize(samples, DiarizationOptions()), "talk")
    assert format_rttm(diarizer.diarize(samples, DiarizationOptions()), "talk") == first
    as_float = np.asarray(samples, dtype=np.float32) / 32768
    assert format_rttm(diarizer.diarize(as_float, DiarizationOptions()), "talk") == first


def test_known_count_is_obeyed(diarizer, talk):
    samples, _ = talk
    assert {t.speaker for t in diarizer.diarize(samples, DiarizationOptions(num_speakers=1))} == {"S1"}
    three = diarizer.diarize(samples, DiarizationOptions(num_speakers=3))
    assert len({t.speaker for t in three}) == 3


def test_far_field_meeting_excerpt(diarizer, tmp_path):
    """30 s of a real AMI meeting (far-field, 3 speakers, overlap): held out from tuning."""
    wav = tmp_path / "ami.wav"
    extract_audio(DATA / "diarization" / "ami_trn06.flac", wav)
    samples, _ = open_pcm(wav)
    ref = read_rttm(DATA / "diarization" / "ami_trn06.rttm")["ami_trn06"]
    turns = diarizer.diarize(samples, DiarizationOptions())
    assert len({t.speaker for t in turns}) >= 2
    assert der(ref, turns, 30.0) <= 0.30
    # byte-identical in a fresh process too (no threading or seed nondeterminism)
    code = (
        "import sys; from subvox.media.ffmpeg import open_pcm; "
        "from subvox.speakers import load_diarizer, DiarizationOptions, format_rttm; "
        "s, _ = open_pcm(sys.argv[1]); "
        "sys.stdout.write(format_rttm(load_diarizer().diarize(s, DiarizationOptions()), 'ami'))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(wav)], capture_output=True, text=True, check=True)
    assert out.stdout == format_rttm(turns, "ami")


@pytest.mark.parametrize("n", [0, 1, 511, 1600, 10 * RATE])
def test_silence_gives_no_turns(diarizer, n):
    assert diarizer.diarize(np.zeros(n, dtype=np.int16), DiarizationOptions()) == []


def test_noise_without_speech_gives_no_turns(diarizer, tmp_path):
    wav = tmp_path / "empty.wav"
    extract_audio(clip("leopard_empty").path, wav)
    assert diarizer.diarize(open_pcm(wav)[0], DiarizationOptions()) == []


def test_too_little_speech_is_one_speaker(diarizer):
    speech = pcm(DATA / "audio" / "coqui_LJ001-0002.flac")[: int(1.2 * RATE)]
    x = np.concatenate([np.zeros(RATE, np.float32), speech, np.zeros(RATE, np.float32)])
    turns = diarizer.diarize(x, DiarizationOptions())
    assert turns and {t.speaker for t in turns} == {"S1"}
    assert all(isinstance(t, Turn) for t in turns)


def test_stereo_is_refused(diarizer):
    with pytest.raises(ValueError, match="mono"):
        diarizer.diarize(np.zeros((100, 2), dtype=np.int16), DiarizationOptions())


def test_streamed_vad_equals_one_call(talk):
    from faster_whisper.vad import get_vad_model

    from subvox.speakers.vad import speech_probabilities

    samples, _ = talk
    x = np.asarray(samples[: 20 * RATE], dtype=np.float32) / 32768
    whole = get_vad_model()(np.pad(x, (0, -len(x) % 512)))
    streamed = speech_probabilities(samples[: 20 * RATE], block_s=3.0)
    assert streamed.shape == whole.shape
    # faster-whisper zeroes the last 64 samples of its input in place (a view of its context):
    # the last frame may differ, every other one must not
    assert np.allclose(streamed[:-1], whole[:-1], atol=1e-5)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # resemblyzer imports a deprecated scipy path
def test_encoder_matches_resemblyzer():
    pytest.importorskip("webrtcvad")
    import torch
    from resemblyzer import VoiceEncoder

    from subvox.speakers.embed import SpeakerEncoder

    mels = np.random.default_rng(0).random((3, 160, 40), dtype=np.float32)
    with torch.no_grad():
        expected = VoiceEncoder("cpu", verbose=False)(torch.from_numpy(mels)).numpy()
    assert np.allclose(SpeakerEncoder()(mels), expected, atol=1e-5)
