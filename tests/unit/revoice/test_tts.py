"""The CPU engines (piper with a voice from a wheel, espeak-ng) and the speaker start-up checks."""

from __future__ import annotations

import numpy as np
import pytest

from subvox.config import validate_config
from subvox.errors import SubvoxError
from subvox.revoice.profiles import check_speaker, selected
from subvox.revoice.tts import list_voices, load_voice
from subvox.revoice.tts.registry import build_profile


def speaker(**kw):
    config = validate_config({"input_dir": "i", "output_dir": "o", "speakers": {"s": kw}})
    return config["speakers"]["s"]


@pytest.mark.parametrize("engine,voice", [("piper", "en_US-joe-medium"), ("espeak", "en-us")])
def test_engine_speaks_a_cue_reproducibly(engine, voice):
    sp = speaker(engine=engine, default=voice)
    profile = build_profile(sp, None)
    v = load_voice(sp, profile)
    audio = v.synthesize("-Hello there. This cue starts with a dash; it must be spoken, not parsed.")
    assert v.sample_rate == 22050 and audio.dtype == np.float32
    assert 2.0 < audio.size / v.sample_rate < 12.0 and 0.05 < np.abs(audio).max() <= 1.0
    assert np.array_equal(
        audio, v.synthesize("-Hello there. This cue starts with a dash; it must be spoken, not parsed.")
    )


def test_voices_are_listed_per_engine():
    assert "en_US-joe-medium" in list_voices("piper")
    assert {"en-us", "de"} <= set(list_voices("espeak"))


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"engine": "piper", "default": "en_US-nobody"}, "available: en_US-joe-medium"),
        ({"engine": "espeak", "default": "klingon"}, "has no voice 'klingon'"),
        ({"engine": "piper"}, "exactly one of default"),
        ({"engine": "piper", "default": "en_US-joe-medium", "reference": "x.wav"}, "exactly one of default"),
        ({"engine": "espeak", "reference": "x.wav"}, "cloning needs engine outetts"),
        ({"engine": "outetts", "default": "male_1"}, "needs a local model_path"),
        ({"engine": "outetts", "reference": "/nonexistent.wav"}, "does not exist"),
    ],
)
def test_a_speaker_that_cannot_work_fails_in_one_line(settings, message):
    with pytest.raises(SubvoxError, match=message) as err:
        check_speaker("s", speaker(**settings))
    assert "\n" not in str(err.value) and "speakers.s" in str(err.value)


def test_revoice_speaker_must_be_defined():
    config = validate_config({"input_dir": "i", "output_dir": "o", "revoice": {"speaker": "nobody"}})
    with pytest.raises(SubvoxError, match=r"not in speakers \(defined: joe, robot\)"):
        selected(config)


def test_a_voice_that_speaks_another_language_than_the_dub_is_noted():
    from subvox.revoice.speak import VoiceSpec, language_notes
    from subvox.revoice.tts import voice_language

    joe, scot = speaker(engine="piper", default="en_US-joe-medium"), speaker(engine="espeak", default="en-gb-scotland")
    mandarin, german = speaker(engine="espeak", default="cmn"), speaker(engine="espeak", default="de")
    assert [voice_language(s) for s in (joe, scot, mandarin, german)] == ["en", "en", "zh", "de"]
    clone = speaker(engine="outetts", model_path="m", codec_path="c", reference="r.wav")
    assert voice_language(clone) is None, "OuteTTS does not say: nothing is claimed"
    specs = [VoiceSpec(s, {"name": n}) for s, n in ((joe, "joe"), (german, "de"))]
    assert language_notes(specs, "en", "x.wav") == ["voice de speaks de, not en: give the dub a voice for en"]
    assert language_notes(specs[:1], "de", "x.wav") == ["voice joe speaks en, not de: give the dub a voice for de"]
    assert language_notes([VoiceSpec(mandarin, {"name": "m"})], "zh", "x.wav") == []
