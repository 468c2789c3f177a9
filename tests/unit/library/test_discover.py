import os

import pytest

from subvox.errors import SubvoxError
from subvox.library.discover import assign_stems, discover_media

EXTS = ["mp4", "mkv", "wav", "flac", "mp3"]


def touch(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def stems(items):
    return {m.stem: m.relpath for m in items}


def test_recursive_case_insensitive_and_sorted(tmp_path):
    touch(tmp_path, "b/clip.MP4", "a/x/clip.mp4", "notes.txt", "song.flac")
    items = discover_media(tmp_path, EXTS)
    assert [m.relpath for m in items] == ["a/x/clip.mp4", "b/clip.MP4", "song.flac"]
    assert stems(items) == {"a/x/clip": "a/x/clip.mp4", "b/clip": "b/clip.MP4", "song": "song.flac"}


def test_same_stem_in_one_folder_keeps_extensions(tmp_path):
    touch(tmp_path, "a/clip.mp4", "a/clip.mkv", "b/clip.mp4")
    assert stems(discover_media(tmp_path, EXTS)) == {
        "a/clip.mkv": "a/clip.mkv",
        "a/clip.mp4": "a/clip.mp4",
        "b/clip": "b/clip.mp4",
    }


def test_include_and_exclude_globs(tmp_path):
    touch(tmp_path, "show/s01/e1.mkv", "show/s01/extras/e1.mkv", "show/s02/e1.mkv", "music/x.mp3")
    items = discover_media(tmp_path, EXTS, include=["show/**"], exclude=["**/extras/*"])
    assert [m.relpath for m in items] == ["show/s01/e1.mkv", "show/s02/e1.mkv"]
    items = discover_media(tmp_path, EXTS, include=["*/*/*.mkv"])
    assert [m.relpath for m in items] == ["show/s01/e1.mkv", "show/s02/e1.mkv"]


def test_hidden_work_and_nested_output_folders_are_skipped(tmp_path):
    touch(tmp_path, ".hidden/a.wav", ".b.wav", "_subvox/audio/c.wav", "out/d.wav", "e.wav")
    items = discover_media(tmp_path, EXTS, output_dir=tmp_path / "out")
    assert [m.relpath for m in items] == ["e.wav"]


@pytest.mark.parametrize(
    "name",
    [
        "my talk (2019) [final].mp4",
        "Grüße – ünïcödé.wav",
        'it\'s "quoted".mp3',
        "$(touch pwned).wav",
        "-leading dash.wav",
        "semi;colon.mkv",
        "new\nline.wav",
    ],
)
def test_awkward_names_are_found_verbatim(tmp_path, name):
    touch(tmp_path, f"dir/{name}")
    [item] = discover_media(tmp_path, EXTS)
    assert item.relpath == f"dir/{name}"
    assert item.stem == f"dir/{os.path.splitext(name)[0]}"


def test_symlink_loop_terminates_and_symlinked_folder_is_followed(tmp_path):
    touch(tmp_path, "real/a.wav")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    relpaths = [m.relpath for m in discover_media(tmp_path, EXTS)]
    assert "real/a.wav" in relpaths
    assert len(relpaths) == 1  # each real folder visited once


def test_missing_input_dir_is_a_clear_error(tmp_path):
    with pytest.raises(SubvoxError, match="not a folder"):
        discover_media(tmp_path / "nope", EXTS)


def test_output_dir_equal_to_input_dir_is_refused(tmp_path):
    touch(tmp_path, "a.wav")
    with pytest.raises(SubvoxError, match="is input_dir"):
        discover_media(tmp_path, EXTS, output_dir=tmp_path)


def test_stems_that_would_collide_are_refused():
    with pytest.raises(SubvoxError, match="would write the same outputs"):
        assign_stems(["a.mp3", "a.wav", "a.mp3.flac"])


def test_an_input_named_like_anothers_language_outputs_keeps_its_extension():
    """talk.es.flac beside talk.flac: talk's Spanish subtitles are talk.es.srt, so talk.es.flac's
    own subtitles must not be (found by a bug hunt: they were overwritten)."""
    items = assign_stems(["talk.flac", "talk.es.flac", "solo.es.flac", "a/b.en.wav", "a/b.mp4", "v2.old.mp4"])
    assert sorted(m.stem for m in items) == ["a/b", "a/b.en.wav", "solo.es", "talk", "talk.es.flac", "v2.old"]


def test_assign_stems_is_injective():
    rels = ["a/clip.mp4", "a/clip.mkv", "a/clip.wav", "b/clip.mp4", "clip.mp4"]
    items = assign_stems(rels)
    assert len({m.stem for m in items}) == len(rels)


def test_names_that_are_not_utf8_get_an_escaped_stem_and_keep_their_real_path(tmp_path):
    from subvox.library.discover import display_name, scan_media

    (tmp_path / "ok.wav").write_bytes(b"x")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.wav", "wb") as fh:
        fh.write(b"x")
    scan = scan_media(tmp_path, ["wav"])
    [odd] = [m for m in scan.items if m.stem != "ok"]
    assert odd.stem == "caf\\xe9" and odd.name == "caf\\xe9.wav"
    assert os.fsencode(odd.relpath) == b"caf\xe9.wav", "the real bytes, to open the file"
    odd.name.encode("utf-8")  # everything written about it is valid UTF-8
    assert display_name("ünïcödé.wav") == "ünïcödé.wav", "valid names are unchanged"
    assert scan.skipped == []


def test_entries_named_like_media_that_are_not_files_are_skipped_with_a_reason(tmp_path):
    from subvox.library.discover import Skipped, scan_media

    os.mkfifo(tmp_path / "pipe.mp3")
    os.symlink("/dev/null", tmp_path / "null.wav")
    os.symlink(tmp_path / "missing.wav", tmp_path / "dangling.wav")
    (tmp_path / "album.flac").mkdir()
    (tmp_path / "album.flac" / "track.flac").write_bytes(b"x")  # a folder named like media is still searched
    os.mkfifo(tmp_path / "not-media-fifo")  # no media extension: not reported
    os.mkfifo(tmp_path / ".hidden.wav")  # hidden: silently ignored
    scan = scan_media(tmp_path, ["wav", "mp3", "flac"], exclude=["excluded/**"])
    assert [m.relpath for m in scan.items] == ["album.flac/track.flac"]
    assert scan.skipped == [
        Skipped("album.flac", "a folder, not a media file"),
        Skipped("dangling.wav", "a symlink whose target does not exist"),
        Skipped("null.wav", "a character device, not a regular file"),
        Skipped("pipe.mp3", "a named pipe (FIFO), not a regular file"),
    ]
