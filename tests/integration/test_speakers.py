"""Who speaks, through the real workflow: diarized two-person conversations built from real voices.

Two files, each a conversation of the same two real voices (LJSpeech's reader and a
LibriSpeech reader) with known turns; the reader is enrolled by name from clips that are in
neither file. The run diarizes, labels and dubs each speaker in a voice of their own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import webvtt

from subvox.speakers.rttm import parse_rttm
from tests.helpers import DATA, REPO, clip, concat_audio, ffmpeg, snakemake, write_config

pytestmark = pytest.mark.slow

LIBRI = DATA / "audio" / "lhotse_libri-1088-134315-0000.flac"  # a second real voice (see LICENSES.md)
GAP = 1.0


def trimmed(src: Path, dst: Path, start: float, end: float) -> Path:
    ffmpeg("-i", str(src), "-ss", str(start), "-to", str(end), "-ar", "16000", "-ac", "1", str(dst))
    return dst


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    work = tmp_path_factory.mktemp("speakers")
    parts = work / "parts"
    parts.mkdir()
    libri_a = trimmed(LIBRI, parts / "libri_a.wav", 0.0, 8.0)
    libri_b = trimmed(LIBRI, parts / "libri_b.wav", 8.0, 16.0)
    ljs_b = REPO / "example" / "media" / "speeches" / "LJ001-0001 (printing).flac"
    media = work / "media"
    concat_audio([clip("coqui_LJ001-0003").path, libri_a], media / "talk" / "first.wav", gap_s=GAP)
    concat_audio([libri_b, ljs_b], media / "talk" / "second.flac", gap_s=GAP)
    enroll = [str(clip("coqui_LJ001-0002").path), str(clip("coqui_LJ001-0004").path)]
    config = {
        "input_dir": str(media),
        "output_dir": str(work / "out"),
        "asr": {"model": "tiny.en"},
        "diarization": {"enabled": True, "enroll": {"linda": enroll}},
        "subtitles": {"speaker_labels": "name"},
        "speakers": {
            "robot": {"engine": "espeak", "default": "en-us"},
            "briton": {"engine": "espeak", "default": "en-gb"},
        },
        "revoice": {
            "enabled": True,
            "speaker": "per-speaker",
            "voices": {"linda": "robot"},
            "default_voices": ["briton"],
        },
    }
    write_config(work, **config)
    snakemake(work, timeout=900)
    return work, config, {"first": 9.667 + GAP, "second": 8.0 + GAP}  # where the second voice starts


def outputs(work: Path, stem: str) -> dict:
    return json.loads((work / "out" / "talk" / f"{stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", ["first", "second"])
def test_each_conversation_has_its_two_speakers_with_the_enrolled_name(library, stem):
    work, _, switch = library
    data = outputs(work, stem)
    assert set(data["speakers"]["speakers"]) == {"linda", "S1"}, data["speakers"]["speakers"]
    assert data["speakers"]["speakers"]["linda"]["enrolled"] and not data["speakers"]["speakers"]["S1"]["enrolled"]
    first_voice = "linda" if stem == "first" else "S1"
    second_voice = "S1" if stem == "first" else "linda"
    words = [w for s in data["segments"] for w in s["words"]]
    early = [w["speaker"] for w in words if w["end"] < switch[stem] - 0.3]
    late = [w["speaker"] for w in words if w["start"] > switch[stem] + 0.3]
    assert early.count(first_voice) >= 0.95 * len(early) and late.count(second_voice) >= 0.95 * len(late)
    assert data["qa"]["speakers"] == 2


@pytest.mark.parametrize("stem", ["first", "second"])
def test_rttm_is_well_formed_and_matches_the_json(library, stem):
    work, _, _ = library
    text = (work / "out" / "talk" / f"{stem}.rttm").read_text(encoding="utf-8")
    assert text and all(line.split()[0] == "SPEAKER" and len(line.split()) == 10 for line in text.splitlines())
    [(file_id, turns)] = parse_rttm(text).items()
    assert file_id == stem
    json_turns = outputs(work, stem)["speakers"]["turns"]
    assert [(round(t.start, 3), t.speaker) for t in turns] == [(t["start"], t["speaker"]) for t in json_turns]


@pytest.mark.parametrize("stem", ["first", "second"])
def test_no_cue_crosses_a_speaker_turn_and_every_format_says_who_speaks(library, stem):
    work, _, _ = library
    data = outputs(work, stem)
    words = [w for s in data["segments"] for w in s["words"]]
    for cue in data["cues"]:
        inside = {w["speaker"] for w in words if cue["start"] - 0.01 <= w["start"] and w["end"] <= cue["end"] + 0.01}
        assert inside <= {cue["speaker"]}, cue
    captions = webvtt.read(str(work / "out" / "talk" / f"{stem}.vtt")).captions
    assert [c.voice for c in captions] == [c["speaker"] for c in data["cues"]]
    srt = (work / "out" / "talk" / f"{stem}.srt").read_text(encoding="utf-8")
    assert "linda: " in srt and "S1: " in srt


def test_each_speaker_is_dubbed_in_its_own_voice(library):
    work, _, _ = library
    for stem in ("first", "second"):
        qa = json.loads((work / "out" / "_subvox" / "qa" / "talk" / f"{stem}.revoice.json").read_text())
        assert qa["cast"] == {"linda": "robot", "S1": "briton"}
        assert set(qa["similarity_per_speaker"]) == {"linda", "S1"}
        assert (work / "out" / "talk" / f"{stem}.revoiced.wav").stat().st_size > 10_000


def test_subtitle_options_never_rediarize_and_reruns_are_byte_identical(library, tmp_path):
    work, config, _ = library
    cache = sorted((work / "out" / "_subvox" / "diarization").rglob("*.json"))
    assert len(cache) == 2
    stamps = [p.stat().st_mtime_ns for p in cache]
    changed = {**config, "subtitles": {"speaker_labels": "dash"}}
    write_config(work, **changed)
    snakemake(work, timeout=600)
    assert [p.stat().st_mtime_ns for p in cache] == stamps, "subtitle options must not re-diarize"
    srt = (work / "out" / "talk" / "first.srt").read_text(encoding="utf-8")
    assert "\n- " in srt and "linda: " not in srt
    # a fresh run elsewhere gives the same bytes
    again = tmp_path / "again"
    shutil.copytree(work / "media", again / "media")
    write_config(again, **{**changed, "input_dir": str(again / "media"), "output_dir": str(again / "out")})
    snakemake(again, timeout=900)
    for name in ("first.rttm", "first.vtt", "first.srt", "second.json", "second.rttm"):
        assert (again / "out" / "talk" / name).read_bytes() == (work / "out" / "talk" / name).read_bytes(), name
