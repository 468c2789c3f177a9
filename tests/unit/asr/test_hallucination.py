"""Known non-speech phrases are dropped only where the real audio under them is not speech."""

import json

import numpy as np
import pytest

from subvox.asr.base import Segment, Transcript, Word
from subvox.asr.guards import GuardOptions
from subvox.asr.hallucination import above_floor_db, screen, vad_share
from subvox.asr.phrases import known_phrase
from subvox.media.ffmpeg import extract_audio, load_wav
from tests.helpers import clip


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """Real noise without speech (leopard_empty), then the real JFK speech: 8.2 s + 11 s."""
    tmp = tmp_path_factory.mktemp("halluc")
    parts = []
    for name in ("leopard_empty", "jfk"):
        extract_audio(clip(name).path, tmp / f"{name}.wav")
        parts.append(load_wav(tmp / f"{name}.wav")[0])
    return np.concatenate(parts), len(parts[0]) / 16000


def segment(text, start, end, nsp, first_p=0.5, lp=-0.9):
    words = text.split()
    step = (end - start) / len(words)
    timed = [
        Word(start + k * step, start + (k + 1) * step, " " + w, first_p if k == 0 else 0.6) for k, w in enumerate(words)
    ]
    return Segment(0, start, end, text, timed, lp, nsp, 1.2, 0.0)


def transcript(segments):
    return Transcript("en", 1.0, 19.2, segments, "test", "tiny.en", {})


@pytest.mark.parametrize(
    "text",
    [
        "Thank you.",
        "Thanks for watching!",
        "you",
        "Subtitles by the Amara.org community",
        "Untertitel im Auftrag des ZDF, 2021",
        "Sous-titres réalisés par la communauté d'Amara.org",
        "ご視聴ありがとうございました",
        "Thank you. Thank you.",
    ],
)
def test_known_phrases_are_recognised(text):
    assert known_phrase(text)


@pytest.mark.parametrize("text", ["Thank you for the report on the budget.", "You can call me Abbie.", "", "..."])
def test_real_sentences_are_not_known_phrases(text):
    assert not known_phrase(text)


def test_audio_evidence_tells_noise_from_speech(audio):
    samples, noise_end = audio
    assert vad_share(samples, 1.0, 3.0) < 0.1  # steady noise
    assert vad_share(samples, noise_end + 0.3, noise_end + 2.5) > 0.5  # "And so my fellow Americans"
    assert above_floor_db(samples, 1.0, 3.0) < 8.0
    assert above_floor_db(samples, noise_end + 0.3, noise_end + 2.5) > 15.0


def test_a_phrase_over_noise_is_dropped_with_its_evidence_recorded(audio):
    samples, noise_end = audio
    real = segment("And so my fellow Americans", noise_end + 0.3, noise_end + 2.5, nsp=0.05, first_p=0.7, lp=-0.3)
    t = transcript([segment("Thank you.", 2.0, 2.8, nsp=0.7, first_p=0.005), real])
    screen(t, samples, GuardOptions())
    assert [s.text for s in t.segments] == ["And so my fellow Americans"] and t.segments[0].id == 0
    [event] = t.guards
    assert event["action"] == "dropped" and event["text"] == "Thank you."
    assert set(event["evidence"]["signals"]) == {
        "no_speech",
        "unlikely_first_word",
        "no_vad_speech",
        "background_energy",
    }
    json.dumps(t.to_dict())  # the decision is part of the transcript JSON


def test_a_phrase_over_real_speech_is_kept_and_the_decision_recorded(audio):
    samples, noise_end = audio
    t = transcript([segment("Thank you.", noise_end + 0.3, noise_end + 1.5, nsp=0.1, first_p=0.6)])
    screen(t, samples, GuardOptions())
    assert [s.text for s in t.segments] == ["Thank you."]
    assert t.guards[0]["action"] == "kept" and t.guards[0]["evidence"]["signals"] == []


def test_other_text_goes_only_when_vad_hears_nothing_and_whisper_doubts_it(audio):
    samples, noise_end = audio
    doubted = segment("Here we go again.", 3.0, 4.5, nsp=0.59, lp=-0.96)
    confident = segment("Here we go again.", 5.0, 6.5, nsp=0.1, lp=-0.5)
    heard = segment("And so my fellow Americans", noise_end + 0.3, noise_end + 2.5, nsp=0.59)
    t = transcript([doubted, confident, heard])
    screen(t, samples, GuardOptions())
    assert [s.start for s in t.segments] == [5.0, noise_end + 0.3]
    assert [e["action"] for e in t.guards] == ["dropped", "kept"]


def test_the_screen_can_be_switched_off(audio):
    samples, _ = audio
    t = transcript([segment("Thank you.", 2.0, 2.8, nsp=0.7, first_p=0.005)])
    screen(t, samples, GuardOptions(phrases=False))
    assert len(t.segments) == 1 and t.guards == []
    assert GuardOptions.from_config({"guards": {"phrases": False, "min_vad_share": 0.2}}).min_vad_share == 0.2
