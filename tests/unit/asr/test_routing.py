"""The rules that decide which files an English-only model hands on, and which language an
uncertain detection gives way to (subvox.asr.routing, subvox.models.store.route_model)."""

from __future__ import annotations

import pytest

from subvox.asr.base import Segment, Transcript, Word
from subvox.asr.pieces import LanguageOptions, Window
from subvox.asr.routing import (
    RouteOptions,
    doubtful,
    doubtful_spans,
    drop_regions,
    non_english,
    prior_for,
    routing_applies,
    uncertain,
)
from subvox.errors import SubvoxError
from subvox.models.store import route_model


def transcript(probabilities: list[float], duration: float = 30.0, step: float = 0.5) -> Transcript:
    """One word every ``step`` seconds with these probabilities, six words to a segment."""
    words = [Word(i * step, i * step + 0.4, f" w{i}", p) for i, p in enumerate(probabilities)]
    segments = [
        Segment(k, words[i].start, words[min(i + 5, len(words) - 1)].end, "x", words[i : i + 6])
        for k, i in enumerate(range(0, len(words), 6))
    ]
    return Transcript("en", 1.0, duration, segments, "faster-whisper", "tiny.en", {})


def test_a_confident_english_file_is_not_doubtful():
    assert not doubtful(transcript([0.95, 0.83, 0.99, 0.7, 0.92] * 8), RouteOptions())


def test_another_language_heard_as_english_is_doubtful():
    assert doubtful(transcript([0.5, 0.36, 0.6, 0.45] * 6), RouteOptions())  # mean 0.48


def test_a_short_foreign_stretch_inside_english_is_found_and_located():
    probs = [0.95] * 20 + [0.13, 0.81, 0.18, 0.43, 0.49, 0.19, 0.25] + [0.97] * 20
    t = transcript(probs)
    assert doubtful(t, RouteOptions())  # the file's mean (0.87) alone would pass
    [(start, end)] = doubtful_spans(t.segments, RouteOptions())
    assert 8.5 <= start <= 10.0 and 13.4 <= end <= 14.5  # the seven foreign words, give or take a neighbour


def test_one_unsure_word_is_no_stretch():
    probs = [0.95] * 10 + [0.01] + [0.95] * 10
    assert not doubtful_spans(transcript(probs).segments, RouteOptions())


def test_no_word_is_doubtful_only_in_a_short_file():
    assert doubtful(transcript([], duration=1.0), RouteOptions())
    assert not doubtful(transcript([], duration=3600.0), RouteOptions())


def test_routing_applies_to_an_english_only_model_with_language_auto():
    assert routing_applies({"language": "auto"}, english_only=True)
    assert not routing_applies({"language": "auto"}, english_only=False)
    assert not routing_applies({"language": "en"}, english_only=True)
    assert not routing_applies({"language": "auto", "routing": {"mode": "off"}}, english_only=True)


def test_uncertain_means_little_speech_or_low_probability():
    opts = LanguageOptions()
    assert uncertain(0.99, 1.0, opts) and uncertain(0.37, 20.0, opts)
    assert not uncertain(0.9, 5.0, opts) and not uncertain(0.2, 0.0, opts)  # no speech: nothing to decide


def test_the_configured_prior_wins():
    opts = LanguageOptions(prior="fr")
    assert prior_for("a/x.wav", {"a/y.wav": "de", "a/z.wav": "de"}, opts)[0] == "fr"


def test_the_folder_majority_of_sure_files_is_the_prior():
    evidence = {"fr/a.wav": "fr", "fr/b.wav": "fr", "fr/c.wav": "it", "fr/short.wav": "pl", "en/x.wav": "en"}
    evidence["fr/unsure.wav"] = None
    language, why = prior_for("fr/short.wav", evidence, LanguageOptions())
    assert language == "fr" and "2 sure" in why
    assert prior_for("other/x.wav", evidence, LanguageOptions())[0] is None  # no neighbour in its folder
    assert prior_for("fr/short.wav", evidence, LanguageOptions(folder_prior=False))[0] is None


def test_a_tie_in_the_folder_leaves_the_detection():
    assert prior_for("m/x.wav", {"m/a.wav": "fr", "m/b.wav": "it"}, LanguageOptions())[0] is None


def test_flag_drops_only_the_segments_in_foreign_regions():
    t = transcript([0.9] * 24, duration=12.0)
    sr = 16000
    regions = [Window(0, 6 * sr, "en", 0.9), Window(6 * sr, 12 * sr, "es", 0.98), Window(12 * sr, 12 * sr)]
    kept = drop_regions(t, non_english(regions), 16000)
    assert [s.start for s in kept.segments] == [0.0, 3.0] and len(t.segments) == 4


def config(model: str, tmp_path, **asr) -> dict:
    return {"asr": {"model": model, "language": "auto", **asr}, "models_dir": str(tmp_path), "offline": True}


def test_the_routing_model_is_staged_only_for_an_english_only_model(tmp_path):
    path, name = route_model(config("tiny.en", tmp_path))
    assert name == "base" and path.endswith("faster-whisper/base")
    assert route_model(config("base", tmp_path)) is None
    assert route_model(config("tiny.en", tmp_path, language="en")) is None
    assert route_model(config("tiny.en", tmp_path, routing={"mode": "off"})) is None


def test_an_english_only_routing_model_is_refused_in_one_line(tmp_path):
    with pytest.raises(SubvoxError, match=r"asr\.routing\.model 'tiny\.en' is English-only; a multilingual model is"):
        route_model(config("tiny.en", tmp_path, routing={"model": "tiny.en"}))
    with pytest.raises(SubvoxError, match="offline is true"):
        route_model(config("tiny.en", tmp_path, routing={"model": "large-v3"}))


def test_routing_without_word_timings_is_refused_in_one_line(tmp_path):
    with pytest.raises(SubvoxError, match=r"asr\.routing needs asr\.word_timestamps: true"):
        route_model(config("tiny.en", tmp_path, word_timestamps=False))
    assert route_model(config("tiny.en", tmp_path, word_timestamps=False, routing={"mode": "off"})) is None
