"""Stems cached per source fingerprint (one separation per file and option set, reused), the
separate job's per-file failures, and what the new options do to fingerprints."""

from __future__ import annotations

import csv

import pytest
import soundfile

from subvox.config import validate_config
from subvox.library.failures import failed_tsv as failed_tsv_text
from subvox.library.layout import Item, fingerprints, layout_for
from subvox.soundtrack import job
from subvox.soundtrack.cache import separate_item, stems_key
from subvox.soundtrack.job import separate_batch
from tests.unit.soundtrack.conftest import RATE, corr

pytestmark = pytest.mark.slow  # the real separator on a few seconds


def _config(out, **extra):
    return validate_config({"input_dir": "in", "output_dir": str(out), "revoice": {"mix": "background"}, **extra})


def test_a_file_is_separated_once_and_its_stems_are_reused(tmp_path, mixture, spleeter):
    mix, voice, music = mixture
    src = tmp_path / "in" / "clip.wav"
    src.parent.mkdir()
    soundfile.write(src, mix, RATE, "PCM_16")
    config = _config(tmp_path / "out")
    layout = layout_for(config)
    item = Item("clip", str(src), "clip.wav")
    stems, meta = separate_item(item, layout, config, lambda: spleeter, str(tmp_path))
    assert meta["channels"] == 2 and meta["frames"] == mix.shape[0]
    vocals, rate = soundfile.read(stems.vocals, dtype="float32")
    background, _ = soundfile.read(stems.background, dtype="float32")
    assert rate == RATE and vocals.shape == background.shape == mix.shape
    assert corr(vocals, voice) >= 0.9 and corr(background, music) >= 0.9

    def no_separator():
        raise AssertionError("the cached stems must be reused")

    again, _ = separate_item(item, layout, config, no_separator, str(tmp_path))
    assert again == stems
    changed = _config(tmp_path / "out", separation={"chunk_s": 10})
    assert separate_item(item, layout, changed, lambda: spleeter, str(tmp_path))[0] != stems


def test_a_file_that_cannot_be_separated_is_recorded_and_the_others_go_on(tmp_path, mixture, spleeter, monkeypatch):
    mix, _, _ = mixture
    good = tmp_path / "in" / "good.wav"
    good.parent.mkdir()
    soundfile.write(good, mix[: 2 * RATE], RATE, "PCM_16")
    bad = tmp_path / "in" / "bad.wav"
    bad.write_text("not audio")
    config = _config(tmp_path / "out")
    items = [Item("bad", str(bad), "bad.wav"), Item("good", str(good), "good.wav")]
    monkeypatch.setattr(job, "load_separator", lambda name, threads: spleeter)  # the session's loaded weights
    results = separate_batch(items, layout_for(config), config, 2, str(tmp_path))
    assert [r["status"] for r in results] == ["failed", "separated"]
    assert results[0]["stage"] == "separate" and "bad.wav" in results[0]["reason"]
    failed_tsv = failed_tsv_text(str(tmp_path / "out"), ["bad", "good"])[0]
    rows = list(csv.reader(failed_tsv.splitlines(), delimiter="\t"))
    assert [r[:2] for r in rows[1:]] == [["bad.wav", "separate"]]


def test_keys_follow_the_source_and_the_options():
    conf = {"backend": "spleeter", "chunk_s": 30, "overlap_s": 2}
    key = stems_key("a" * 64, 0, conf)
    assert key == stems_key("a" * 64, 0, dict(conf))
    assert len({key, stems_key("b" * 64, 0, conf), stems_key("a" * 64, 1, conf),
                stems_key("a" * 64, 0, {**conf, "overlap_s": 1})}) == 4  # fmt: skip


def test_new_options_change_no_fingerprint_while_off():
    base = {"input_dir": "i", "output_dir": "o"}
    plain = fingerprints(validate_config(base), {"name": "m"})
    assert fingerprints(validate_config({**base, "separation": {"chunk_s": 10}}), {"name": "m"}) == plain
    enhanced = fingerprints(validate_config({**base, "audio": {"enhance": "deepfilter"}}), {"name": "m"})
    assert enhanced.asr != plain.asr
    for key, value in (("enhance_mix", 1.0), ("enhance_below_snr_db", None)):  # not the defaults
        assert fingerprints(validate_config({**base, "audio": {key: value}}), {"name": "m"}) == plain
        on = {**base, "audio": {"enhance": "deepfilter", key: value}}
        assert fingerprints(validate_config(on), {"name": "m"}).asr != enhanced.asr
    vocals = {**base, "audio": {"enhance": "vocals"}}
    assert fingerprints(validate_config(vocals), {"name": "m"}).asr != fingerprints(
        validate_config({**vocals, "separation": {"chunk_s": 10}}), {"name": "m"}).asr  # fmt: skip
    dub = {**base, "revoice": {"enabled": True, "mix": "background"}}
    assert fingerprints(validate_config(dub), {"name": "m"}).dub != fingerprints(
        validate_config({**dub, "separation": {"chunk_s": 10}}), {"name": "m"}).dub  # fmt: skip
