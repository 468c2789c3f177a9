"""CTranslate2 plumbing with a tiny, randomly initialised Marian model built here (OPUS-MT's
layout: source.spm/target.spm, vocab.json, converted by CTranslate2's own converter). Its
output is gibberish by design: these tests prove loading, tokenising, decoding, batching and
reproducibility, never quality (no real translation weights are reachable offline)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from subvox.errors import SubvoxError
from subvox.translate.base import UnsupportedPair
from subvox.translate.ctranslate2_engine import MAX_TOKENS, CTranslate2
from subvox.translate.registry import Engines, engine_name
from tests.unit.translate.tiny_marian import build

SENTENCES = ["the cat sits on the mat", "", "hello world", "my fellow citizens"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("marian"))


def test_a_converted_marian_folder_translates_every_sentence_in_order(tiny):
    engine = CTranslate2({"en-es": str(tiny)})
    assert engine.available_pairs() == [("en", "es")] and engine.can("en", "es") and not engine.can("de", "es")
    out = engine.translate(SENTENCES, "en", "es")
    assert len(out) == 4 and out[1] == "" and all(out[i] for i in (0, 2, 3))
    assert all("</s>" not in t and "▁" not in t for t in out), "special tokens and piece marks are decoded away"
    assert engine.translate(SENTENCES, "en", "es") == out, "beam search, no sampling: same text every run"
    alone = CTranslate2({"en-es": str(tiny)}, context=0)
    assert alone.translate(SENTENCES[::-1], "en", "es") == alone.translate(SENTENCES, "en", "es")[::-1], (
        "without context each sentence is translated on its own, whatever its batch"
    )
    described = engine.describe()
    assert described["engine"] == "ctranslate2" and described["models"]["en-es"]["name"] == "ct2"


def test_bare_sentencepiece_files_work_like_the_hugging_face_tokenizer(tiny, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(tiny, bare)
    (bare / "tokenizer_config.json").unlink()  # Marian's source.spm / target.spm alone
    want = CTranslate2({"en-es": str(tiny)}).translate(SENTENCES, "en", "es")
    assert CTranslate2({"en-es": str(bare)}).translate(SENTENCES, "en", "es") == want


def test_missing_or_incomplete_folders_fail_in_one_line(tiny, tmp_path):
    with pytest.raises(SubvoxError, match=r"translation.models.en-es: .*: not a CTranslate2 model folder"):
        CTranslate2({"en-es": str(tmp_path / "nowhere")})
    half = tmp_path / "half"
    half.mkdir()
    shutil.copy(tiny / "model.bin", half / "model.bin")
    with pytest.raises(SubvoxError, match="no tokenizer"):
        CTranslate2({"es": str(half)})


def test_an_unoffered_pair_lists_the_models(tiny):
    with pytest.raises(UnsupportedPair, match=r"cannot translate de -> es \(installed: en->es\)"):
        CTranslate2({"en-es": str(tiny)}).translate(["Hallo"], "de", "es")


def test_a_configured_model_makes_ctranslate2_the_targets_engine(tiny):
    conf = {"models": {"en-es": str(tiny)}, "engines": {"ca": "apertium"}}
    assert engine_name(conf, "es") == "ctranslate2" and engine_name(conf, "ca") == "apertium"
    assert engine_name({"engines": {"es": "apertium"}, "models": {"en-es": "x"}}, "es") == "apertium"
    engines = Engines({**conf, "beam_size": 2})
    assert engines.for_target("es").engine == "ctranslate2" and engines.for_target("ca").engine == "apertium"


def test_context_forces_the_previous_translation_and_keeps_what_follows(tiny):
    """Sentence i is decoded from "sentence i-1 + sentence i" with the first pass's translation of
    i-1 forced as the start of the output; the translation is what the model writes after it."""
    engine = CTranslate2({"en-es": str(tiny)}, beam_size=2)
    alone = CTranslate2({"en-es": str(tiny)}, beam_size=2, context=0).translate(SENTENCES, "en", "es")
    got = engine.translate(SENTENCES, "en", "es")
    assert got[0] == alone[0] and got[1] == "", "the first sentence has no context; empty stays empty"
    model = engine._get("en-es")
    for prev, i in ((0, 2), (2, 3)):  # the empty sentence is skipped: its neighbour gives the context
        prefix = model.target_tokens(alone[prev], "es")
        source = model.encode(f"{SENTENCES[prev]} {SENTENCES[i]}", "en")
        [result] = model.translator.translate_batch(
            [source], target_prefix=[prefix], beam_size=2, max_decoding_length=2 * MAX_TOKENS
        )
        assert result.hypotheses[0][: len(prefix)] == prefix, "CTranslate2 keeps the forced prefix"
        continued = " ".join(model.decode(result.hypotheses[0][len(prefix) :]).split())
        assert got[i] == (continued or alone[i])
    assert engine.translate(SENTENCES, "en", "es") == got, "the same text every run"
