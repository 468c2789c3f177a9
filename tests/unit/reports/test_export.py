"""The export on a real clip with a hand-made transcript: cut-WAV recordings read back by Lhotse,
quality filters, stale files pruned, the audio requirement of the trainer formats."""

from __future__ import annotations

import json

import lhotse
import pytest

from subvox.errors import SubvoxError
from subvox.library.atomic import write_json
from subvox.reports.datasets.export import export
from subvox.reports.datasets.rows import keep
from tests.helpers import clip, concat_audio

CONF = {
    "formats": ["jsonl", "lhotse", "nemo"],
    "recordings": "cuts",
    "audio": True,
    "sample_rate": 8000,
    "min_confidence": 0.0,
    "min_duration": 0.5,
    "max_duration": 30.0,
    "drop_flagged": False,
    "splits": {"train": 1.0},
    "min_snr_db": None,
    "min_speech_ratio": 0.0,
    "max_clipping": 1.0,
}


def transcript(source: str, sha: str) -> dict:
    """Two cues: speech (0.2-1.8 s) and the silence between the two clips (2.1-3.2 s)."""
    words = [{"start": 0.2, "end": 1.8, "probability": 0.9, "word": " x"}]
    seg = {"start": 0.2, "end": 1.8, "avg_logprob": -0.2, "no_speech_prob": 0.01, "words": words}
    return {
        "segments": [seg],
        "cues": [{"start": 0.2, "end": 1.8, "lines": ["speech here"]}, {"start": 2.1, "end": 3.2, "lines": ["hush"]}],
        "language": "en",
        "source": {"source": source, "sha256": sha, "extracted": {"audio_stream": 0}},
    }


@pytest.fixture
def library(tmp_path):
    parts = [clip("coqui_LJ001-0002").path, clip("coqui_LJ001-0004").path]
    media = str(concat_audio(parts, tmp_path / "a.wav", gap_s=1.5))
    write_json(tmp_path / "a.json", transcript("a.flac", "1" * 64))
    return [(str(tmp_path / "a.json"), media, "a.flac")], tmp_path / "ds"


def test_cut_recordings_load_in_lhotse_at_the_dataset_rate(library):
    files, ds = library
    summary = export(files, str(ds), CONF)
    assert summary["rows"] == {"train": 2} and summary["rows_on_source"] == 0
    cuts = lhotse.CutSet.from_file(ds / "lhotse" / "cuts_train.jsonl.gz").with_recording_path_prefix(str(ds / "lhotse"))
    assert [c.supervisions[0].text for c in cuts] == ["speech here", "hush"]
    for cut, want in zip(cuts, (1.6, 1.1), strict=True):
        assert cut.sampling_rate == 8000 and cut.load_audio().shape == (1, round(want * 8000))
    nemo = [json.loads(x) for x in (ds / "nemo" / "train_manifest.json").read_text().splitlines()]
    assert [n["offset"] for n in nemo] == [0.0, 0.0] and nemo[0]["audio_filepath"].startswith("../audio/train/")


def test_quality_filters_drop_the_silent_cue_and_stale_files_go(library):
    files, ds = library
    export(files, str(ds), CONF)
    stale = ds / "lhotse" / "cuts_train.jsonl.gz"
    summary = export(files, str(ds), {**CONF, "formats": ["jsonl"], "min_speech_ratio": 0.5})
    assert summary["rows"] == {"train": 1}
    assert not stale.exists() and not (ds / "lhotse").exists() and len(list(ds.rglob("*.wav"))) == 1


def test_trainer_formats_need_the_cuts(library):
    files, ds = library
    with pytest.raises(SubvoxError, match=r"dataset\.audio"):
        export(files, str(ds), {**CONF, "audio": False})


def test_an_unmeasured_figure_never_drops_a_row():
    row = {"flags": [], "duration": 1.0, "confidence": None, "snr_db": None, "speech_ratio": 0.2, "clipping": 0.3}
    assert keep(row, {**CONF, "min_snr_db": 10.0})
    assert not keep(row, {**CONF, "max_clipping": 0.1})
    assert not keep(row, {**CONF, "min_speech_ratio": 0.5})
