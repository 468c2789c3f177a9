"""Reproducible dataset processing: byte-identical reruns, the dataset manifest, the HTML report."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import jsonschema
import pytest
import yaml

from subvox.reports.review.browser import Chromium
from tests.helpers import REPO, clip, copy, make_video, snakemake, write_config

pytestmark = pytest.mark.slow

CLIPS = {
    "talks/jfk.mp4": "jfk",
    "read/LJ001-0001.flac": "LJ001-0001",
    "read/LJ001-0003.flac": "coqui_LJ001-0003",
    "read/LJ001-0004.flac": "coqui_LJ001-0004",
    "meeting/ami.wav": "lhotse_ami",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("repro")
    media = base / "media"
    for rel, name in CLIPS.items():
        if rel.endswith(".mp4"):
            make_video(clip(name).path, media / rel)
        else:
            copy(clip(name).path, media / rel)
    outs = []
    for run in ("first", "second"):
        work = base / run
        work.mkdir()
        write_config(
            work,
            input_dir=str(media),
            output_dir=str(work / "out"),
            models_dir=str(base / "models"),
            dataset={"splits": {"train": 0.6, "dev": 0.2, "test": 0.2}},
        )
        snakemake(work, "all", "dataset", "report")
        outs.append(work / "out")
    return media, outs


def contents(out: Path) -> dict[str, bytes]:
    """Every output a dataset user keeps (logs, timings and the report's speed figures excluded)."""
    keep = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if (p.is_file() and rel.parts[0] not in ("_subvox", "report.html", "report_files")) or (
            p.is_file() and rel.parts[:2] in (("_subvox", "qa"), ("_subvox", "probe"), ("_subvox", "transcripts"))
        ):
            keep[str(rel)] = p.read_bytes()
    return keep


def test_two_runs_are_byte_identical(runs):
    _, (first, second) = runs
    a, b = contents(first), contents(second)
    assert set(a) == set(b)
    assert len([k for k in a if k.endswith(".wav")]) >= 5, "dataset audio cuts are compared too"
    different = [k for k in a if a[k] != b[k]]
    assert different == []


def manifest(out: Path, split: str | None = None) -> list[dict]:
    """The rows of one split's JSONL, or of all splits (there is no combined copy)."""
    names = [split] if split else ["train", "dev", "test"]
    ds = out / "subvox-dataset" / "jsonl"
    return [json.loads(line) for n in names for line in (ds / f"{n}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_manifest_validates_and_audio_matches_start_end(runs):
    _, (out, _) = runs
    schema = yaml.safe_load((REPO / "config" / "schema" / "dataset.schema.yaml").read_text())
    rows = manifest(out)
    assert len(rows) >= 8
    for row in rows:
        jsonschema.validate(row, schema)
        with wave.open(str(out / "subvox-dataset" / "jsonl" / row["audio"])) as wf:
            assert wf.getframerate() == 16000 and wf.getnchannels() == 1
            assert wf.getnframes() == row["audio_samples"]
            assert abs(wf.getnframes() / 16000 - (row["end"] - row["start"])) <= 1 / 16000 + 1e-6
    assert {r["source"] for r in rows} == set(CLIPS)


def test_splits_never_divide_a_source_and_cover_the_manifest(runs):
    _, (out, _) = runs
    rows = manifest(out)
    for name in ("train", "dev", "test"):
        assert {r["split"] for r in manifest(out, name)} <= {name}
    for source in CLIPS:
        assert len({r["split"] for r in rows if r["source"] == source}) == 1


def test_report_links_a_page_with_a_waveform_per_file_and_opens_in_headless_chromium(runs):
    _, (out, _) = runs
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text, "the report must open offline"
    with Chromium() as b:
        b.goto((out / "report.html").as_uri())
        b.wait_for("document.body.dataset.ready === '1'")
        links = b.evaluate("[...document.querySelectorAll('#files-body a')].map(a => [a.textContent, a.href])")
        assert sorted(name for name, _ in links) == sorted(CLIPS)
        for name, url in links:
            b.goto(url)
            b.wait_for("document.body.dataset.ready === '1' && media.readyState >= 1")
            data = json.loads((out / Path(name).with_suffix(".json")).read_text(encoding="utf-8"))
            assert b.evaluate("document.querySelectorAll('#cues li').length") == len(data["cues"])
            peaks = b.evaluate("JSON.parse(document.getElementById('review-data').textContent).peaks")
            assert len(peaks) >= 100 and max(peaks) > 10, f"{name}: a real waveform"
        assert b.errors == []
