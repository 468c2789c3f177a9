"""Dubs in translation targets: a voice per language (espeak-ng's by default), one-line start-up
errors, and fingerprints that redo one language's dub only when its own inputs change."""

from __future__ import annotations

import os

import pytest

from subvox.config import validate_config
from subvox.errors import SubvoxError
from subvox.library.layout import Layout, dub_done, fingerprints, layout_for, mark_dubbed
from subvox.revoice.translated import check_targets, default_speaker, roundtrip_model, voice_keys
from subvox.revoice.tts.espeak import EspeakVoice, voice_for_language

SPEAKERS = {
    "robot": {"engine": "espeak", "default": "en-us"},
    "latino": {"engine": "espeak", "default": "es-419"},
    "catala": {"engine": "espeak", "default": "ca"},
}


def config(langs=("es", "ca"), translation=None, **revoice) -> dict:
    return validate_config(
        {
            "input_dir": "in",
            "output_dir": "out",
            "translation": {"targets": list(langs), **(translation or {})},
            "revoice": {"enabled": True, "speaker": "robot", **revoice},
            "speakers": SPEAKERS,
        }
    )


def test_the_default_voice_is_the_one_espeak_ranks_first_for_the_language():
    assert [voice_for_language(lang) for lang in ("es", "ca", "fr", "zh", "no")] == ["es", "ca", "fr-fr", "cmn", "nb"]
    assert voice_for_language("gl") is None, "espeak-ng has no Galician voice (only mbrola would)"
    speaker = default_speaker("es")
    assert speaker["engine"] == "espeak" and speaker["default"] == "es" and speaker["rate"] == 175
    audio = EspeakVoice(speaker).synthesize("Hola, ¿qué tal?")
    assert audio.size > 0.3 * EspeakVoice.sample_rate and float(abs(audio).max()) > 0.05


def test_start_up_errors_are_one_line():
    check_targets(config())  # es and ca: espeak-ng speaks both
    with pytest.raises(SubvoxError, match=r"no installed voice speaks 'gl'.*revoice.targets.voices.gl") as err:
        check_targets(config(["es", "gl"]))
    assert "\n" not in str(err.value)
    check_targets(config(["gl"], targets={"voices": {"gl": "latino"}}))  # a voice given: no espeak needed
    with pytest.raises(SubvoxError, match=r"revoice.targets.voices.es: 'maria' is not in speakers \(defined: "):
        check_targets(config(targets={"voices": {"es": "maria"}}))
    cfg = config(targets={"voices": {"es": "me"}})
    cfg["speakers"]["me"] = {"engine": "outetts", "self_clone": True}
    with pytest.raises(SubvoxError, match=r"revoice.targets.voices.es: 'me' clones each speaker's own voice"):
        check_targets(cfg)
    with pytest.raises(SubvoxError, match="English-only"):
        check_targets(config(targets={"roundtrip_model": "tiny.en"}))
    assert roundtrip_model(config(targets={"roundtrip_model": None})) is None
    assert roundtrip_model(config(qa={"roundtrip": False})) is None
    assert roundtrip_model(config())[1] == "base"
    assert voice_keys(config(targets={"voices": {"ca": "catala"}})) == ["catala"]


def test_each_language_has_its_own_fingerprint():
    model = {"name": "tiny.en"}
    first = fingerprints(config(), model)
    fp = dict(first.target_dubs)
    assert list(fp) == ["es", "ca"] and fp["es"] != fp["ca"]
    # a Catalan voice or engine change leaves the Spanish dub and the source dub alone
    voice = fingerprints(config(targets={"voices": {"ca": "catala"}}), model)
    engine = fingerprints(config(translation={"engines": {"ca": "apertium"}}), model)
    for other in (voice, engine):
        assert dict(other.target_dubs)["es"] == fp["es"] and dict(other.target_dubs)["ca"] != fp["ca"]
        assert other.dub == first.dub and other.subs == first.subs and other.mux != first.mux
    # a new target, or another source speaker, leaves the existing targets alone
    added = fingerprints(config(["es", "ca", "en"]), model)
    speaker = fingerprints(config(speaker="latino"), model)
    assert dict(added.target_dubs)["es"] == fp["es"] and dict(speaker.target_dubs) == fp
    assert speaker.dub != first.dub
    # fitting options shape every dub
    stretch = fingerprints(config(max_stretch=1.5), model)
    assert all(dict(stretch.target_dubs)[k] != fp[k] for k in fp) and stretch.dub != first.dub
    off = fingerprints(config(targets={"enabled": False}), model)
    assert off.target_dubs == () and off.dub == first.dub


def test_a_file_is_dubbed_only_with_every_target_and_the_muxed_video(tmp_path):
    cfg = config()
    cfg["output_dir"] = str(tmp_path / "out")
    layout: Layout = layout_for(cfg)
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    outputs = layout.dub_outputs("clip", str(media))
    assert set(outputs) == {"wav", "wav.es", "wav.ca", "video"} and outputs["wav.es"].endswith("clip.revoiced.es.wav")
    os.makedirs(tmp_path / "out")
    for path in outputs.values():
        open(path, "w").close()
    parts = [None, "es", "ca", "video"]
    for k, part in enumerate(parts):
        assert not dub_done(layout, "clip", str(media)), f"{parts[k:]} still missing"
        mark_dubbed(layout, "clip", str(media), part)
    assert dub_done(layout, "clip", str(media))
    assert len({layout.dub_marker("clip", p) for p in parts}) == 4
