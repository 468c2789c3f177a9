"""The real Apertium (Debian apertium + apertium-eng-spa / -eng-cat): pairs, batching, text."""

from __future__ import annotations

import pytest

from subvox.errors import SubvoxError
from subvox.translate.align import sentences
from subvox.translate.apertium import Apertium, tidy
from subvox.translate.base import UnsupportedPair
from subvox.translate.job import translate_sentences
from subvox.translate.registry import Engines
from subvox.workflow.allocator import find_jemalloc
from tests.unit.translate.test_align import transcript, word

JFK = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def apertium() -> Apertium:
    return Apertium()


def test_installed_pairs_are_read_as_two_letter_codes(apertium):
    pairs = apertium.available_pairs()
    assert {("en", "es"), ("es", "en"), ("en", "ca"), ("ca", "en")} <= set(pairs)
    assert apertium.mode("en", "es") == "eng-spa" and apertium.can("en", "ca")
    assert apertium.describe()["version"].startswith("Apertium")


def test_english_becomes_spanish_and_catalan(apertium):
    [es] = apertium.translate([JFK], "en", "es")
    [ca] = apertium.translate([JFK], "en", "ca")
    assert "país" in es and "puede hacer" in es and es.endswith("país.")
    assert "país" in ca and "pot fer" in ca
    assert apertium.translate(["El gato es negro."], "es", "en") == ["The cat is black."]


def test_many_sentences_in_one_call_come_back_one_for_one(apertium):
    tricky = [
        "This is a test.", "", "What [is] this? ^odd$ chars @ # \\ / * and \"quotes\".", "I have 3 cats, and 2.5 dogs!",
        "John said: well... ok", "   spaced    out   ", "<b>not html</b> & more", "The end",
    ] * 20  # fmt: skip
    batched = apertium.translate(tricky, "en", "es")
    assert len(batched) == len(tricky) and batched[1] == "" and batched[-1]
    one_by_one = [apertium.translate([t], "en", "es")[0] for t in tricky[:8]]
    assert batched[:8] == one_by_one, "batching changes nothing"
    assert apertium.translate(tricky, "en", "es") == batched, "same input, same output"
    assert all("\n" not in t and "  " not in t for t in batched)


def test_spacing_is_tidied():
    assert tidy("Esto es una prueba .  Lo veo .") == "Esto es una prueba. Lo veo."
    assert tidy("¿ Qué ( esto ) ?") == "¿Qué (esto)?"


def test_a_missing_pair_says_what_is_installed(apertium):
    with pytest.raises(UnsupportedPair, match=r"cannot translate de -> es \(installed: .*en->es"):
        apertium.translate(["Guten Tag"], "de", "es")


def test_runs_under_the_jobs_jemalloc_preload(apertium, monkeypatch):
    """eng-cat's pipeline dies of bad_alloc under jemalloc yet exits 0: never an empty result."""
    jemalloc = find_jemalloc()
    assert jemalloc, "libjemalloc2 is installed by make system-deps"
    monkeypatch.setenv("LD_PRELOAD", jemalloc)
    assert apertium.translate([JFK], "en", "ca")[0].startswith("I així")


def test_a_missing_executable_fails_in_one_line():
    with pytest.raises(SubvoxError, match=r"not found .*apt-get install apertium"):
        Apertium("apertium-not-here")


def test_mixed_language_files_translate_each_region_from_its_own_language():
    words = [word("the", 0, 0.3), word("cat.", 0.4, 0.8), word("El", 5.0, 5.3), word("perro.", 5.4, 5.8)]
    regions = [{"language": "en", "start": 0.0, "end": 3.0}, {"language": "es", "start": 3.0, "end": 9.0}]
    sents = sentences(transcript(words, regions))
    used = translate_sentences(sents, "es", Engines({}))
    assert [s.translation for s in sents] == ["El gato.", "El perro."]
    assert used["en->es"]["engine"] == "apertium" and used["es->es"]["engine"].startswith("none")
    sents = sentences(transcript(words, regions))
    translate_sentences(sents, "en", Engines({}))
    assert [s.translation for s in sents] == ["the cat.", "The dog."]
