"""Start-up checks of the translation block: one clear line per problem, before any work."""

from __future__ import annotations

import pytest

from subvox.config import validate_config
from subvox.errors import SubvoxError
from subvox.library.layout import fingerprints, layout_for
from subvox.translate.registry import check_config, known_sources


def config(**translation) -> dict:
    return validate_config({"input_dir": "in", "output_dir": "out", "translation": translation})


def test_no_targets_checks_nothing_and_changes_no_fingerprint():
    check_config(config())
    plain = validate_config({"input_dir": "in", "output_dir": "out"})
    assert fingerprints(plain, {"name": "tiny.en"}) == fingerprints(config(), {"name": "tiny.en"})
    assert layout_for(plain).targets == ()


def test_targets_get_their_own_fingerprint_and_outputs():
    base = fingerprints(config(), {"name": "tiny.en"})
    es = fingerprints(config(targets=["es"]), {"name": "tiny.en"})
    ca = fingerprints(config(targets=["es", "ca"]), {"name": "tiny.en"})
    assert es.subs == base.subs and es.asr == base.asr, "translating never re-transcribes or re-subtitles"
    assert es.translation and es.translation != ca.translation and es.plan != base.plan
    outputs = layout_for(config(targets=["es"])).translated_outputs("a/clip")
    assert outputs == {"es": {f: f"out/a/clip.es.{f}" for f in ("srt", "vtt", "json")}}


def test_a_target_no_engine_offers_lists_what_is_installed():
    with pytest.raises(SubvoxError, match=r"apertium offers no translation into 'de' \(installed: .*en->es"):
        check_config(config(targets=["es", "de"]))


def test_a_source_language_the_engine_cannot_read():
    cfg = config(targets=["ca"])
    cfg["asr"]["language"] = "es"
    cfg["asr"]["model"] = "base"
    with pytest.raises(SubvoxError, match=r"cannot translate from 'es' \(the source language\) into 'ca'"):
        check_config(cfg)
    cfg["translation"]["targets"] = ["en"]
    check_config(cfg)


def test_a_missing_model_folder(tmp_path):
    with pytest.raises(SubvoxError, match=r"translation.models.en-es: .*nowhere: not a CTranslate2 model folder"):
        check_config(config(targets=["es"], models={"en-es": str(tmp_path / "nowhere")}))


def test_english_twice_and_unknown_keys():
    cfg = config(targets=["en"])
    cfg["asr"]["task"] = "translate"
    with pytest.raises(SubvoxError, match=r"already written by asr.task translate"):
        check_config(cfg)
    with pytest.raises(SubvoxError, match="translation"):
        config(targets=["es"], engine="apertium")
    with pytest.raises(SubvoxError):
        config(engines={"es": "google"})


def test_known_sources():
    assert known_sources(config()) == [], "tiny.en routes other languages to base (asr.routing)"
    cfg = config()
    cfg["asr"]["routing"]["mode"] = "flag"
    assert known_sources(cfg) == ["en"], "tiny.en without routing writes only English"
    cfg["asr"]["model"] = "base"
    assert known_sources(cfg) == []
