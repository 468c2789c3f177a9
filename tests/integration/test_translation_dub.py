"""Dubs in a translation target, end to end: real English speech in an mp4, real Apertium (en->es),
real espeak-ng voices, the real workflow.

With `revoice.enabled` and `translation.targets: [es]` a file must get `clip.revoiced.es.wav` of
the source's length (within 10 ms) that is not silent, spoken by the espeak-ng voice for Spanish
(the log says so), and the muxed video one more audio track tagged `spa` after the English dub,
the original streams' packets untouched. QA per language: overflows and the round trip through
the multilingual Whisper `base`. A rerun does nothing; a new Spanish voice redoes the Spanish dubs
and the mux only (no subtitles, no English dub, no transcription), and a file whose Spanish dub
fails costs the other file nothing.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.helpers import clip, ffprobe, make_audio, make_video, packets_hash, snakemake, write_config

pytestmark = pytest.mark.slow


def title(stream: dict) -> str:
    return stream["tags"].get("title") or stream["tags"].get("handler_name")  # MP4 names tracks by handler


def settings(work: Path, **revoice) -> dict:
    return {
        "input_dir": str(work / "media"),
        "output_dir": str(work / "out"),
        "models_dir": str(work / "models"),
        "asr": {"model": "tiny.en"},
        "translation": {"targets": ["es"]},
        # espeak for speed; resemblyzer's similarity is the source dub's business (test_revoice)
        "revoice": {"enabled": True, "speaker": "robot", "qa": {"similarity": False}, **revoice},
        "speakers": {
            "robot": {"engine": "espeak", "default": "en-us"},
            "latino": {"engine": "espeak", "default": "es-419"},
        },
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("translated-dub")
    media = make_video(clip("coqui_LJ001-0003").path, work / "media" / "talks" / "printing.mp4")
    make_audio(clip("coqui_LJ001-0004").path, work / "media" / "LJ001-0004.wav")
    write_config(work, **settings(work))
    proc = snakemake(work)
    return work, work / "out", media, proc


def test_the_spanish_dub_has_the_sources_length_and_speaks(run):
    _, out, media, proc = run
    source = next(s for s in ffprobe(media)["streams"] if s["codec_type"] == "audio")
    for name in ("printing.revoiced.es.wav", "printing.revoiced.wav"):
        audio, rate = soundfile.read(str(out / "talks" / name), dtype="float32")
        assert rate == int(source["sample_rate"]), name
        assert abs(audio.shape[0] / rate - float(source["duration"])) <= 0.010, name
        rms = float(np.sqrt(np.mean(audio**2)))
        assert rms > 0.01, f"{name} is silent (RMS {rms})"
    log = "\n".join(p.read_text() for p in (out / "_subvox" / "logs" / "revoice").glob("*.log"))
    assert "es dub: default voice espeak-ng es" in log, log
    assert "2 dubbed, 2 translated, none failed" in proc.stderr
    audio_only = sorted(p.name for p in out.glob("LJ001-0004.revoiced.*"))
    assert audio_only == ["LJ001-0004.revoiced.es.wav", "LJ001-0004.revoiced.wav"], "no video: no muxed copy"


def test_the_video_gains_a_spanish_track_after_the_english_dub_and_keeps_its_streams(run):
    _, out, media, _ = run
    muxed = out / "talks" / "printing.revoiced.mp4"
    streams = ffprobe(muxed)["streams"]
    assert [s["codec_type"] for s in streams] == ["video", "audio", "audio", "audio"]
    english, spanish = streams[2], streams[3]
    assert english["tags"]["language"] == "eng" and title(english) == "subvox dub (robot)"
    assert spanish["tags"]["language"] == "spa" and title(spanish) == "subvox dub es (espeak-ng es)"
    assert spanish["disposition"]["default"] == 0 and english["disposition"]["default"] == 0
    assert abs(float(spanish["duration"]) - float(english["duration"])) < 0.05
    assert packets_hash(muxed, "0:v") == packets_hash(media, "0:v"), "video packets bit-identical"
    assert packets_hash(muxed, "0:a:0") == packets_hash(media, "0:a:0"), "original audio kept as is"


def test_qa_per_language_counts_overflows_and_hears_the_dub_back(run):
    _, out, _, _ = run
    qa_dir = out / "_subvox" / "qa" / "talks"
    spanish = json.loads((qa_dir / "printing.revoice.es.json").read_text())
    translated = json.loads((out / "talks" / "printing.es.json").read_text())
    assert spanish["language"] == "es" and spanish["default_voice"] and spanish["speaker"] == "espeak-ng es"
    assert spanish["cues"] == len(translated["cues"]) and spanish["overflows"] == len(spanish["overflowing"])
    assert spanish["roundtrip_model"] == "base" and "siglos" in spanish["roundtrip_text"], spanish
    assert spanish["roundtrip_wer"] <= 0.6, spanish  # espeak's Spanish heard by Whisper base
    source = json.loads((qa_dir / "printing.revoice.json").read_text())
    assert source["language"] == "en" and source["targets"]["es"]["overflows"] == spanish["overflows"]


def test_a_rerun_does_nothing_a_new_voice_redoes_only_spanish_dubs_and_failures_stay_per_file(run):
    work, out, _, _ = run
    outputs = [p for p in out.rglob("*") if p.is_file() and "_subvox" not in p.parts and p.suffix != ".tsv"]
    files = {p: p.stat().st_mtime_ns for p in outputs}
    dry = snakemake(work, "-n")
    for rule in ("rule revoice", "rule translate", "rule subtitles"):
        assert rule not in dry.stdout, dry.stdout
    snakemake(work)
    assert {p: p.stat().st_mtime_ns for p in files} == files, "a finished library is left alone"

    broken = out / "LJ001-0004.es.json"  # the other file's Spanish cues, unreadable
    broken.write_text("{", encoding="utf-8")
    write_config(work, **settings(work, targets={"voices": {"es": "latino"}}))
    proc = snakemake(work, check=False)
    assert proc.returncode == 1 and "1 failed" in proc.stderr, proc.stderr[-2000:]
    rows = list(csv.DictReader((out / "failed.tsv").open(), delimiter="\t"))
    assert [(r["input"], r["stage"]) for r in rows] == [("LJ001-0004.wav", "revoice")]
    changed = {p.name for p in files if p != broken and p.stat().st_mtime_ns != files[p]}
    assert changed == {"printing.revoiced.es.wav", "printing.revoiced.mp4"}, changed
    log = "".join(p.read_text() for p in (out / "_subvox" / "logs" / "revoice").glob("*.log"))
    assert "rule speaker_profile" in proc.stderr and "printing.mp4: dubbed" in log and "redone: es" in log
    spanish = ffprobe(out / "talks" / "printing.revoiced.mp4")["streams"][3]
    assert spanish["tags"]["language"] == "spa" and title(spanish) == "subvox dub es (latino)"

    broken.unlink()  # translated again, then dubbed; the English dubs stay as they are
    healed = snakemake(work)
    assert "2 dubbed, 2 translated, none failed" in healed.stderr
    assert (out / "LJ001-0004.revoiced.wav").stat().st_mtime_ns == files[out / "LJ001-0004.revoiced.wav"]
