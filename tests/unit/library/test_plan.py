import csv
import os
import shutil

import pytest

from subvox.errors import SubvoxError
from subvox.library import plan
from subvox.library.discover import scan_media

EXTS = ["wav", "mp3"]


def _library(root):
    for rel in ("a.wav", "b.mp3", "sub/c.wav", "sub/d.wav", "caf\udce9.wav"):
        path = os.path.join(os.fsencode(root).decode("utf-8", "surrogateescape"), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(rel.encode("utf-8", "surrogateescape") * 10)


def _freeze(tmp_path):
    media_dir = tmp_path / "media"
    _library(media_dir)
    scan = scan_media(media_dir, EXTS)
    media = {m.stem: m.relpath for m in scan.items}
    names = {m.stem: m.name for m in scan.items}
    stems = sorted(media)
    frozen = plan.freeze(
        str(tmp_path / "work"), "fp1", str(media_dir), media, names, {"k1": stems[:3], "k2": stems[3:]}
    )
    return media_dir, media, frozen


def test_the_plan_is_written_once_and_read_back_whole_with_odd_names(tmp_path):
    _, media, frozen = _freeze(tmp_path)
    loaded = plan.load(str(tmp_path / "work"), "fp1")
    assert loaded == frozen
    assert {f.relpath for f in loaded.files.values()} == set(media.values())
    assert any("\udce9" in f.relpath and f.name == "caf\\xe9.wav" for f in loaded.files.values())
    assert loaded.requested == ["k1", "k2"] and sum(map(len, loaded.batches.values())) == 5
    assert not [p for p in os.listdir(tmp_path / "work") if p != plan.PLAN_NAME], "no temporary file left"


def test_a_job_refuses_a_missing_plan_or_one_for_another_configuration(tmp_path):
    with pytest.raises(SubvoxError, match="no readable plan"):
        plan.load(str(tmp_path / "nowhere"), "fp1")
    _freeze(tmp_path)
    with pytest.raises(SubvoxError, match=r"plan\.json: planned for configuration fp1, this job has fp2"):
        plan.load(str(tmp_path / "work"), "fp2")


def test_a_batch_keeps_only_members_that_still_look_as_planned(tmp_path):
    media_dir, media, frozen = _freeze(tmp_path)
    by_rel = {r: s for s, r in media.items()}
    (media_dir / "a.wav").unlink()  # removed
    (media_dir / "b.mp3").write_bytes(b"other content, other size")  # replaced
    shutil.rmtree(media_dir / "sub")
    (media_dir / "sub").write_bytes(b"a file where the folder was")  # folder replaced by a file
    every = sorted(frozen.files)
    kept, left = plan.unchanged(frozen, str(media_dir), every)
    assert kept == [by_rel["caf\udce9.wav"]]
    assert left == {
        by_rel["a.wav"]: "removed",
        by_rel["b.mp3"]: "replaced",
        by_rel["sub/c.wav"]: "removed",
        by_rel["sub/d.wav"]: "removed",
    }


def test_changes_under_the_run_are_found_and_listed(tmp_path):
    media_dir, media, frozen = _freeze(tmp_path)
    by_rel = {r: s for s, r in media.items()}
    os.rename(media_dir / "a.wav", media_dir / "renamed.wav")
    (media_dir / "new.mp3").write_bytes(b"new")
    st = os.stat(media_dir / "b.mp3")
    os.utime(media_dir / "b.mp3", ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # same size, touched: replaced
    now = {m.stem: m.relpath for m in scan_media(media_dir, EXTS).items}
    found = plan.changes(frozen, str(media_dir), now)
    assert sorted(now[s] for s in found.added) == ["new.mp3", "renamed.wav"]
    assert found.removed == [by_rel["a.wav"]] and found.replaced == [by_rel["b.mp3"]]
    out = tmp_path / "out"
    out.mkdir()
    plan.write_changed_tsv(str(out), frozen, found, {s: now[s] for s in now})
    with open(out / "changed.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert {(r["input"], r["change"]) for r in rows} == {
        ("new.mp3", "added"),
        ("renamed.wav", "added"),
        ("a.wav", "removed"),
        ("b.mp3", "replaced"),
    }


def test_nothing_changed_is_falsy(tmp_path):
    media_dir, media, frozen = _freeze(tmp_path)
    assert not plan.changes(frozen, str(media_dir), media)
