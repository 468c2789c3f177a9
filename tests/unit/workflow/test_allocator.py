"""The jobs' malloc: jemalloc found and preloaded, glibc's fallback really changes glibc."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from subvox.errors import SubvoxError
from subvox.workflow import allocator
from tests.helpers import REPO


def child(code: str, env: dict[str, str]) -> str:
    """Run ``code`` in a fresh Python (a job's situation) and return its stdout."""
    env = {**env, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def no_jemalloc(monkeypatch) -> None:
    monkeypatch.setattr(allocator, "SEARCH_DIRS", ())
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.setattr(allocator.ctypes.util, "find_library", lambda name: None)


def test_jemalloc_is_installed_here():
    # make system-deps and .ci/run install libjemalloc2; without it the jobs fall back to glibc
    path = allocator.find_jemalloc()
    assert path and Path(path).name == "libjemalloc.so.2" and Path(path).is_file()


def test_auto_preloads_jemalloc_once_and_keeps_other_entries():
    env = {"LD_PRELOAD": "/opt/other.so"}
    path = allocator.preload("auto", env)
    assert path == allocator.find_jemalloc()
    assert env["LD_PRELOAD"] == f"{path} /opt/other.so"
    assert allocator.preload("jemalloc", env) == path
    assert env["LD_PRELOAD"] == f"{path} /opt/other.so"  # not added twice


def test_glibc_leaves_the_environment_alone():
    env: dict[str, str] = {}
    assert allocator.preload("glibc", env) is None
    assert env == {}


def test_without_jemalloc_auto_falls_back_and_jemalloc_fails_naming_the_package(monkeypatch):
    no_jemalloc(monkeypatch)
    env: dict[str, str] = {}
    assert allocator.preload("auto", env) is None and env == {}
    with pytest.raises(SubvoxError, match=r"allocator jemalloc: libjemalloc\.so\.2 not found \(apt-get install"):
        allocator.preload("jemalloc", env)


def test_unknown_choice_is_refused():
    with pytest.raises(SubvoxError, match="allocator 'tcmalloc': expected one of auto, jemalloc, glibc"):
        allocator.preload("tcmalloc", {})


def test_conda_prefix_is_searched_first(monkeypatch, tmp_path):
    no_jemalloc(monkeypatch)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libjemalloc.so.2").write_bytes(b"")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path))
    assert allocator.find_jemalloc() == str(tmp_path / "lib" / "libjemalloc.so.2")


def test_the_linker_cache_name_is_a_fallback_that_ld_so_resolves(monkeypatch):
    # jemalloc outside the usual folders but known to ldconfig: LD_PRELOAD gets its bare name
    monkeypatch.setattr(allocator, "SEARCH_DIRS", ())
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    assert allocator.preload("auto", env) == "libjemalloc.so.2"
    assert env["LD_PRELOAD"] == "libjemalloc.so.2"
    mapped = child("from subvox.workflow import allocator; print(allocator.loaded())", env)
    assert Path(mapped).name == "libjemalloc.so.2" and Path(mapped).is_file()


def test_a_job_started_with_the_preloaded_environment_runs_on_jemalloc():
    env = dict(os.environ)
    path = allocator.preload("auto", env)
    out = child("from subvox.workflow import allocator; print(allocator.loaded()); print(allocator.tune())", env)
    assert out.splitlines() == [path, f"allocator: jemalloc ({path})"]


GLIBC_PROBE = """
    import ctypes, sys
    from subvox.workflow import allocator
    if sys.argv[-1] == "tune":
        print(allocator.tune())
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 5 << 20
    libc.free(libc.malloc(size))  # glibc's defaults now raise their mmap threshold above 5 MiB
    block = libc.malloc(size)
    heap = [line.split()[0] for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")]
    lo, hi = (int(x, 16) for x in heap[0].split("-"))
    print("heap" if lo <= block < hi else "own mapping")
"""


def test_glibc_fallback_maps_big_blocks_apart_where_glibc_defaults_reuse_the_heap():
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    code = GLIBC_PROBE.replace('sys.argv[-1] == "tune"', "{}")
    tuned = child(code.format("True"), env).splitlines()
    assert tuned[0].startswith("allocator: glibc, blocks >= 4 MiB mapped apart")
    assert tuned[1] == "own mapping"
    assert child(code.format("False"), env) == "heap"


TRANSCRIBE = """
    import dataclasses, json, sys
    from subvox.workflow import allocator
    from subvox.models import store as models
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.media.ffmpeg import extract_audio, open_pcm
    from subvox.asr.transcribe import transcribe_audio
    print(allocator.tune(), file=sys.stderr)
    extract_audio(sys.argv[1], sys.argv[2])
    model = load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en", threads=2)
    transcript = transcribe_audio(model, open_pcm(sys.argv[2])[0], DecodeOptions(), chunk_s=120)
    print(json.dumps([dataclasses.asdict(s) for s in transcript.segments]))  # every float in full
"""


@pytest.mark.slow
def test_the_malloc_does_not_change_a_byte_of_the_transcript(tmp_path):
    # reproducible datasets: jemalloc (the jobs' default) and glibc give the same words, times
    # and scores, to the last bit
    source = REPO / "example" / "media" / "jfk.flac"
    outputs = {}
    for name in ("jemalloc", "glibc"):
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        allocator.preload(name, env)
        code = textwrap.dedent(TRANSCRIBE)
        run = subprocess.run(
            [sys.executable, "-c", code, str(source), str(tmp_path / f"{name}.wav")],
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        assert f"allocator: {name}" in run.stderr
        outputs[name] = run.stdout
    assert "fellow Americans" in outputs["glibc"]
    assert outputs["jemalloc"] == outputs["glibc"]
