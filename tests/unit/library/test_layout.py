import json
import os
import time

from subvox.config import validate_config
from subvox.library.account import run_account
from subvox.library.layout import (
    Fingerprints,
    Layout,
    batch_results_path,
    fingerprints,
    forget_done,
    is_done,
    mark_done,
    mark_dubbed,
    model_identity,
    plan_batches,
)

FP = Fingerprints("a" * 12, "b" * 12)


def test_batches_are_fixed_runs_of_the_sorted_library_and_only_pending_ones_are_requested():
    stems = [f"s{i:02d}" for i in range(10)]
    batches, requested = plan_batches(stems[::-1], {"s07"}, FP, 4)
    assert list(batches.values()) == [stems[0:4], stems[4:8], stems[8:10]]
    assert [batches[k] for k in requested] == [stems[4:8]]
    again, _ = plan_batches(stems, set(), FP, 4)
    assert again == batches, "same library, same keys (a cluster node re-plans identically)"


def test_adding_a_file_changes_only_the_batches_it_shifts():
    stems = [f"s{i:02d}" for i in range(8)]
    before, _ = plan_batches(stems, set(), FP, 4)
    after, requested = plan_batches([*stems, "s99"], {"s99"}, FP, 4)
    assert set(before) < set(after) and [after[k] for k in requested] == [["s99"]]


def test_batch_keys_change_with_the_configuration():
    stems = ["a", "b"]
    k1, _ = plan_batches(stems, set(), FP, 4)
    k2, _ = plan_batches(stems, set(), Fingerprints("a" * 12, "c" * 12), 4)
    assert set(k1).isdisjoint(k2)


def test_fingerprints_separate_asr_from_subtitle_settings():
    base = validate_config({"input_dir": "i", "output_dir": "o"})
    fp = fingerprints(base, {"name": "m"})
    subs = fingerprints(
        validate_config({"input_dir": "i", "output_dir": "o", "subtitles": {"max_cps": 17}}), {"name": "m"}
    )
    asr = fingerprints(validate_config({"input_dir": "i", "output_dir": "o", "asr": {"beam_size": 1}}), {"name": "m"})
    assert subs.asr == fp.asr and subs.subs != fp.subs
    assert asr.asr != fp.asr and asr.subs != fp.subs
    moved = fingerprints(validate_config({"input_dir": "x", "output_dir": "y", "resources": {}}), {"name": "m"})
    assert moved == fp, "paths and resources do not change outputs"


def test_done_needs_marker_newer_than_media_and_every_output(tmp_path):
    layout = Layout(str(tmp_path / "out"), FP, ("srt", "json"), False)
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    assert not is_done(layout, "clip", str(media))
    for path in layout.outputs("clip").values():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    mark_done(layout, "clip", str(media))
    assert is_done(layout, "clip", str(media))
    os.remove(layout.outputs("clip")["srt"])
    assert not is_done(layout, "clip", str(media)), "a deleted output is made again"
    open(layout.outputs("clip")["srt"], "w").close()
    future = time.time() + 10
    os.utime(media, (future, future))
    assert not is_done(layout, "clip", str(media)), "a replaced media file is redone"
    mark_done(layout, "clip", str(media))
    os.utime(media, (1, 1))
    assert not is_done(layout, "clip", str(media)), "a media file replaced by an older one is redone too"


def test_a_file_changed_under_a_run_loses_both_markers(tmp_path):
    layout = Layout(str(tmp_path / "out"), Fingerprints("a" * 12, "b" * 12, "d" * 12), ("srt",), False, revoice=True)
    media = tmp_path / "clip.wav"
    media.write_bytes(b"x")
    os.makedirs(tmp_path / "out")
    for path in [*layout.outputs("clip").values(), *layout.dub_outputs("clip", str(media)).values()]:
        open(path, "w").close()
    mark_done(layout, "clip", str(media))
    mark_dubbed(layout, "clip", str(media))
    assert is_done(layout, "clip", str(media))
    forget_done(layout, "clip")
    assert not os.path.exists(layout.done_marker("clip")) and not os.path.exists(layout.dub_marker("clip"))
    forget_done(layout, "clip")  # nothing left to drop: no error


def test_returning_to_an_earlier_setting_renders_again(tmp_path):
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    first = Layout(str(tmp_path / "out"), FP, ("srt",), False)
    second = Layout(str(tmp_path / "out"), Fingerprints("a" * 12, "c" * 12), ("srt",), False)
    os.makedirs(tmp_path / "out", exist_ok=True)
    open(first.outputs("clip")["srt"], "w").close()
    mark_done(first, "clip", str(media))
    mark_done(second, "clip", str(media))
    assert is_done(second, "clip", str(media))
    assert not is_done(first, "clip", str(media)), "the first setting's marker must not survive the second"


def test_model_identity_does_not_change_when_a_model_is_staged(tmp_path):
    assert model_identity("base") == {"name": "base"}
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"1234")
    (folder / "config.json").write_text("{}")
    before = model_identity(str(folder))
    os.utime(folder / "model.bin", (1, 1))
    assert model_identity(str(folder)) == before and before["size"] == 4


def test_the_run_account_counts_files_by_what_this_run_finished(tmp_path):
    """Processed: a stage finished the file in this run (its done-marker was written since the
    start); already done: done, but not by this run; a file can be processed and failed (its
    translation, say). Unfinished files are neither (the account once called them done)."""
    layout = Layout(str(tmp_path / "out"), FP, ("srt",), False)
    paths = {s: str(tmp_path / f"{s}.wav") for s in ("old", "new", "cut", "bad")}
    for p in paths.values():
        open(p, "w").close()
    mark_done(layout, "old", paths["old"])
    time.sleep(0.3)
    since = time.time()
    mark_done(layout, "new", paths["new"])
    path = batch_results_path(layout, "k")
    os.makedirs(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"files": [{"source": "new.wav", "status": "done", "audio_s": 10.0, "transcribe_s": 1.0}]}, fh)
    line = run_account(layout, ["k"], paths, {"old", "new"}, ["bad.wav", "new.wav"], since)
    assert line.startswith("1 files processed, 2 failed, 1 already done;"), line
    assert "real-time factor 0.100" in line


def test_how_cues_are_written_redoes_subtitles_only_not_dubs_or_translations():
    """formats and speaker_labels change the subtitle files, not the cues dubs and translations
    are made from (a bug hunt found a label change re-dubbing a whole library); max_cps does."""
    base = {
        "input_dir": "i",
        "output_dir": "o",
        "diarization": {"enabled": True},
        "translation": {"targets": ["es"]},
        "revoice": {"enabled": True, "targets": {"voices": {}}},
    }

    def fp(**subtitles):
        return fingerprints(validate_config({**base, "subtitles": subtitles}), {"name": "m"})

    plain, formats, labels, speed = fp(), fp(formats=["srt"]), fp(speaker_labels="name"), fp(max_cps=15)
    assert formats.subs != plain.subs and labels.subs != plain.subs
    assert formats.dub == labels.dub == plain.dub and formats.target_dubs == labels.target_dubs == plain.target_dubs
    assert formats.translation == plain.translation != labels.translation, "translated SRT carries the labels"
    assert speed.dub != plain.dub and speed.translation != plain.translation and speed.target_dubs != plain.target_dubs
