"""Issue 25 on the real workflow: the English-only default never writes another language as
English. Spanish, French and a Spanish stretch inside English speech go to the multilingual
model (or are flagged, as configured); a one-second French clip among French files is French,
with tiny.en's routing and with base's own detection; every decision is in the JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from subvox.asr.wer import wer
from tests.helpers import clip, concat_audio, copy, ffmpeg, snakemake, write_config

pytestmark = pytest.mark.slow

FR = "leopard_test_fr"


def library(media: Path) -> Path:
    copy(clip("coqui_LJ001-0003").path, media / "en" / "lj3.flac")
    copy(clip("leopard_test_es").path, media / "es" / "arenas.flac")
    copy(clip(FR).path, media / "fr" / "consulat.flac")
    ffmpeg("-i", str(clip(FR).path), "-af", "atempo=1.1", str(media / "fr" / "consulat faster.flac"))
    # one second in the middle of the French sentence ("des eaux et"): base alone hears Italian (p 0.37)
    ffmpeg("-ss", "3.0", "-t", "1.0", "-i", str(clip(FR).path), str(media / "fr" / "one second.flac"))
    concat_audio(
        [clip("coqui_LJ001-0003").path, clip("leopard_test_es").path, clip("coqui_LJ001-0004").path],
        media / "mixed" / "en-es-en.wav",
        gap_s=0.5,
    )
    return media


def run(work: Path, media: Path, models: Path, name: str, **asr) -> Path:
    out = work / name
    write_config(work, input_dir=str(media), output_dir=str(out), models_dir=str(models), asr=asr)
    snakemake(work)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("languages")
    media, models = library(work / "media"), work / "models"
    routed = run(work, media, models, "routed")
    rerun = snakemake(work)  # the same configuration again: nothing to do
    flagged = run(work, media, models, "flagged", routing={"mode": "flag"})
    base = run(work, media, models, "base", model="base")
    return routed, flagged, base, rerun


def data(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def summary(out: Path) -> dict[str, dict]:
    with open(out / "summary.tsv", encoding="utf-8", newline="") as fh:
        return {row["source"]: row for row in csv.DictReader(fh, delimiter="\t")}


def text(d: dict) -> str:
    return " ".join(s["text"] for s in d["segments"])


def test_english_the_model_is_sure_of_costs_no_second_opinion(runs):
    routed, *_ = runs
    d = data(routed, "en/lj3")
    assert d["model"] == "tiny.en" and d["language"] == "en"
    assert d["language_decision"]["checked"] is False and d["language_decision"]["word_probability"] > 0.8
    assert d["provenance"]["model"]["name"] == "tiny.en"
    assert wer(clip("coqui_LJ001-0003").reference, text(d)) <= 0.1


def test_spanish_is_routed_to_the_multilingual_model(runs):
    routed, *_ = runs
    d = data(routed, "es/arenas")
    decision = d["language_decision"]
    assert d["model"] == "base" and d["language"] == "es" and d["provenance"]["model"]["name"] == "base"
    assert decision["decision"] == "routed" and decision["word_probability"] < 0.7
    assert [r["language"] for r in decision["detected"]] == ["es"]
    assert wer(clip("leopard_test_es").reference, text(d), "es") <= 0.35, text(d)
    assert "transcribed by base: language es (tiny.en is English-only)" in summary(routed)["es/arenas.flac"]["notes"]


def test_a_spanish_stretch_inside_english_keeps_its_language(runs):
    routed, *_ = runs
    d = data(routed, "mixed/en-es-en")
    assert [r["language"] for r in d["languages"]] == ["en", "es", "en"]
    middle = d["languages"][1]
    spanish = " ".join(s["text"] for s in d["segments"] if middle["start"] <= s["start"] < middle["end"])
    assert wer(clip("leopard_test_es").reference, spanish, "es") <= 0.35, spanish
    assert "printed book" in text(d) and "Chinese" in text(d)  # the English around it is still there


def test_one_second_of_french_among_french_files_is_french(runs):
    routed, _, base, _ = runs
    d = data(routed, "fr/one second")  # tiny.en hears no word; base hears Italian, unsure
    prior = d["language_decision"]["prior"]
    assert d["language"] == "fr" and prior["language"] == "fr" and prior["instead_of"] != "fr"
    assert "same folder" in prior["why"] and d["language_decision"]["evidence"] is None
    for stem in ("fr/consulat", "fr/consulat faster"):
        assert data(routed, stem)["language"] == "fr" and data(routed, stem)["language_decision"]["evidence"] == "fr"
    d = data(base, "fr/one second")  # base as the configured model: its own detection gives way too
    assert d["language"] == "fr" and d["language_decision"]["decision"] == "prior" and d["segments"]
    assert any(n.startswith("language fr from 2 sure file(s) in the same folder") for n in d["qa"]["notes"])


def test_flag_mode_writes_no_foreign_text_and_says_why(runs):
    routed, flagged, *_ = runs
    d = data(flagged, "es/arenas")
    assert d["cues"] == [] and d["model"] == "tiny.en" and d["language_decision"]["decision"] == "flagged"
    assert "not transcribed: language es, model is English-only" in summary(flagged)["es/arenas.flac"]["notes"]
    mixed = data(flagged, "mixed/en-es-en")
    assert "Chinese" in text(mixed) and "printed book" in text(mixed) and "Harinas" not in text(mixed)
    assert (flagged / "en" / "lj3.srt").read_bytes() == (routed / "en" / "lj3.srt").read_bytes()


def test_a_rerun_does_nothing(runs):
    *_, rerun = runs
    assert "Nothing to be done" in rerun.stdout + rerun.stderr or "0 files processed" in rerun.stdout + rerun.stderr
