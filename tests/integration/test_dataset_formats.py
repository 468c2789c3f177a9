"""The dataset in the formats trainers load, read back with the real libraries (Lhotse, Hugging Face
datasets) and NeMo's documented manifest fields: rows, audio, text, speakers, duplicates, splits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import jsonschema
import lhotse
import pysrt
import pytest
import soundfile

from tests.helpers import clip, concat_audio, copy, make_video, snakemake, write_config

pytestmark = pytest.mark.slow

SPLITS = {"train": 0.4, "dev": 0.3, "test": 0.3}
LJ4_END_S = 5.6  # coqui_LJ001-0004 lasts about 5.2 s
# NeMo's documented manifest line (ASR datasets docs): audio_filepath, duration, text; offset, lang, speaker optional
NEMO_SCHEMA = {
    "type": "object",
    "required": ["audio_filepath", "duration", "text"],
    "properties": {
        "audio_filepath": {"type": "string", "minLength": 1},
        "duration": {"type": "number", "exclusiveMinimum": 0},
        "text": {"type": "string"},
        "offset": {"type": "number", "minimum": 0},
        "lang": {"type": "string"},
        "speaker": {"type": ["string", "integer", "null"]},
    },
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One library exported in all four formats; the export rerun; then one file added."""
    work = tmp_path_factory.mktemp("formats")
    media = work / "media"
    copy(clip("coqui_LJ001-0003").path, media / "read/ljs3.flac")
    copy(clip("coqui_LJ001-0003").path, media / "read/zz copy of ljs3.flac")  # same bytes, second path
    make_video(clip("jfk").path, media / "talks/jfk.mp4")
    concat_audio([clip("coqui_LJ001-0004").path, clip("jfk").path], media / "meeting/two voices.wav", gap_s=1.0)
    write_config(
        work,
        input_dir=str(media),
        output_dir=str(work / "out"),
        models_dir=str(work / "models"),
        diarization={"enabled": True},
        dataset={"formats": ["jsonl", "lhotse", "huggingface", "nemo"], "recordings": "source", "splits": SPLITS},
    )
    snakemake(work, "all", "dataset")
    ds = work / "out" / "subvox-dataset"
    first = {str(p.relative_to(ds)): p.read_bytes() for p in sorted(ds.rglob("*")) if p.is_file()}
    snakemake(work, "dataset", "--forcerun", "dataset")
    rerun = {str(p.relative_to(ds)): p.read_bytes() for p in sorted(ds.rglob("*")) if p.is_file()}
    before = shutil.copytree(ds, work / "before")
    copy(clip("coqui_LJ001-0002").path, media / "added/ljs2.flac")
    snakemake(work, "all", "dataset")
    return work, before, first, rerun


def jsonl_rows(ds: Path) -> list[dict]:
    return [json.loads(x) for s in SPLITS for x in (ds / "jsonl" / f"{s}.jsonl").read_text().splitlines()]


def srt_text(out: Path, source: str) -> list[str]:
    """The SRT's cue texts, one line each (speaker labels are JSON-side, so strip the dash form)."""
    subs = pysrt.open(str(out / Path(source).with_suffix(".srt")), encoding="utf-8")
    return [" ".join(line.removeprefix("- ") for line in s.text.splitlines()) for s in subs]


def check_text(out: Path, rows: list[dict]) -> None:
    for row in rows:
        index = int(row["id"].rsplit("#", 1)[1])
        assert srt_text(out, row["source"])[index] == row["text"].replace("- ", ""), row["id"]


def test_rerun_is_byte_identical_and_nothing_else_is_written(runs):
    *_, first, rerun = runs
    assert first == rerun
    tops = {Path(k).parts[0] for k in first}
    assert {p for p in first if p.startswith("jsonl/")} == {f"jsonl/{s}.jsonl" for s in SPLITS}
    assert tops == {"jsonl", "lhotse", "huggingface", "nemo", "audio", "duplicates.tsv", "summary.json"}
    assert not any(k.endswith("manifest.jsonl") for k in first), "no combined copy besides the splits"


def test_duplicates_are_exported_once_and_reported(runs):
    work, *_ = runs
    ds = work / "out" / "subvox-dataset"
    assert (ds / "duplicates.tsv").read_text().splitlines() == [
        "duplicate\tkept",
        "read/zz copy of ljs3.flac\tread/ljs3.flac",
    ]
    rows = jsonl_rows(ds)
    assert "read/ljs3.flac" in {r["source"] for r in rows}
    assert "read/zz copy of ljs3.flac" not in {r["source"] for r in rows}
    assert json.loads((ds / "summary.json").read_text())["duplicates"] == 1


def test_rows_carry_speakers_and_quality_figures(runs):
    work, *_ = runs
    rows = jsonl_rows(work / "out" / "subvox-dataset")
    two = [r for r in rows if r["source"] == "meeting/two voices.wav"]
    first = {r["speaker"] for r in two if r["end"] <= LJ4_END_S}  # the LJ Speech reader, then JFK after a 1-s gap
    second = {r["speaker"] for r in two if r["start"] >= LJ4_END_S}
    assert first and second and not first & second, "the two voices never share a speaker id"
    for r in rows:  # each row has its cue's speaker from the transcript JSON, made unique in the library
        data = json.loads((work / "out" / Path(r["source"]).with_suffix(".json")).read_text())
        assert r["speaker"] == f"{r['source']}#{data['cues'][int(r['id'].rsplit('#', 1)[1])]['speaker']}"
    for r in rows:  # a cue may run on into a pause to be readable ("ask not", then JFK's long pause) ...
        assert 0.1 <= r["speech_ratio"] <= 1, r
        assert r["clipping"] == 0.0 and -40 < r["loudness_lufs"] < -5 and r["snr_db"] > 10, r
        assert r["language"] == "en" and 0 < r["confidence"] <= 1
    assert sum(r["speech_ratio"] for r in rows) / len(rows) >= 0.75, "... but these cues are mostly speech"


def test_lhotse_manifests_load_and_their_audio_reads_back(runs):
    work, *_ = runs
    out, ds = work / "out", work / "out" / "subvox-dataset"
    rows = jsonl_rows(ds)
    total = 0
    for split in {r["split"] for r in rows}:  # a split without rows has no Lhotse files
        cuts = lhotse.CutSet.from_file(ds / "lhotse" / f"cuts_{split}.jsonl.gz").with_recording_path_prefix(
            str(ds / "lhotse")
        )
        recs = lhotse.RecordingSet.from_file(ds / "lhotse" / f"recordings_{split}.jsonl.gz")
        sups = lhotse.SupervisionSet.from_file(ds / "lhotse" / f"supervisions_{split}.jsonl.gz")
        assert len(sups) == len(cuts) and {c.recording.id for c in cuts} == set(recs.ids)
        lhotse.validate(cuts, read_data=True)
        for cut in cuts:
            row = next(r for r in rows if r["id"] == cut.id)
            audio = cut.load_audio()
            on_source = not row["source"].endswith(".mp4")  # libsndfile reads WAV/FLAC; the video uses its cut
            assert cut.sampling_rate == (
                soundfile.info(str(work / "media" / row["source"])).samplerate if on_source else 16000
            )
            assert abs(audio.shape[-1] / cut.sampling_rate - row["duration"]) <= 1 / 16000 + 1 / cut.sampling_rate
            assert cut.supervisions[0].text == row["text"] and cut.supervisions[0].speaker == row["speaker"]
            assert cut.supervisions[0].custom["snr_db"] == row["snr_db"]
        total += len(cuts)
        check_text(out, [r for r in rows if r["split"] == split])
    assert total == len(rows)


def test_huggingface_folder_loads_with_an_audio_column(runs):
    work, *_ = runs
    ds = work / "out" / "subvox-dataset"
    rows = jsonl_rows(ds)
    loaded = datasets.load_dataset("audiofolder", data_dir=str(ds / "huggingface"), cache_dir=str(work / "hf-cache"))
    assert isinstance(loaded["train"].features["audio"], datasets.Audio)
    names = {"train": "train", "dev": "validation", "test": "test"}
    assert sum(len(loaded[names[s]]) for s in SPLITS if names[s] in loaded) == len(rows)
    for split in SPLITS:
        want = [r for r in rows if r["split"] == split]
        if not want:
            continue
        got = loaded[names[split]].cast_column("audio", datasets.Audio(decode=False))
        assert [g["id"] for g in got] == [r["id"] for r in want]
        for g, r in zip(got, want, strict=True):
            info = soundfile.info(g["audio"]["path"])  # datasets decodes with librosa, not installed
            assert info.samplerate == 16000 and abs(info.frames / 16000 - r["duration"]) <= 1 / 16000 + 1e-6
            assert g["text"] == r["text"] and g["speaker"] == r["speaker"] and g["snr_db"] == r["snr_db"]


def test_nemo_manifests_follow_the_documented_fields(runs):
    work, *_ = runs
    ds = work / "out" / "subvox-dataset"
    rows = jsonl_rows(ds)
    got = []
    for split in [s for s in SPLITS if (ds / "nemo" / f"{s}_manifest.json").exists()]:
        for line in (ds / "nemo" / f"{split}_manifest.json").read_text().splitlines():
            entry = json.loads(line)
            jsonschema.validate(entry, NEMO_SCHEMA)
            path = ds / "nemo" / entry["audio_filepath"]
            info = soundfile.info(str(path))
            start = round(entry["offset"] * info.samplerate)
            audio, rate = soundfile.read(str(path), start=start, frames=round(entry["duration"] * info.samplerate))
            assert abs(len(audio) / rate - entry["duration"]) <= 1 / rate and len(audio) > 0
            got.append(entry)
    assert [(e["id"], e["text"], e["lang"], e["speaker"]) for e in got] == [
        (r["id"], r["text"], r["language"], r["speaker"]) for r in rows
    ]
    assert any(e["offset"] > 0 for e in got), "recordings: source puts readable sources with offsets"


def test_adding_a_file_moves_no_row_in_any_format(runs):
    work, before, *_ = runs
    ds = work / "out" / "subvox-dataset"
    after = jsonl_rows(ds)
    old = jsonl_rows(before)
    assert {r["source"] for r in after} - {r["source"] for r in old} == {"added/ljs2.flac"}
    for fmt_file in sorted(before.rglob("*.json*")):
        if fmt_file.name in ("summary.json",) or fmt_file.suffix == ".gz":
            continue
        new = (ds / fmt_file.relative_to(before)).read_text().splitlines()
        assert set(fmt_file.read_text().splitlines()) <= set(new), fmt_file
    for gz in sorted(before.rglob("cuts_*.jsonl.gz")):
        old_ids = set(lhotse.CutSet.from_file(gz).ids)
        assert old_ids <= set(lhotse.CutSet.from_file(ds / gz.relative_to(before)).ids), gz
