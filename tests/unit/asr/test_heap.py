"""The decoder's freed memory goes back to the system between the encoder and the beams."""

from __future__ import annotations

import ctypes
import sys

import pytest

from subvox.asr import DecodeOptions, fw_batch, heap, load_transcriber
from subvox.asr.windows import WindowJob
from subvox.media.ffmpeg import extract_audio, load_wav
from subvox.models import store as models
from tests.helpers import clips

BLOCK = 64 << 10  # below glibc's mmap threshold and above jemalloc's small sizes: heap pages


def anon_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("RssAnon:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RssAnon is Linux's")
def test_release_hands_the_pages_malloc_keeps_back_to_the_system():
    """64 MiB freed behind a block still in use stay resident (glibc trims only the top of its
    heap, jemalloc waits 10 s); ``release`` returns them at once."""
    process = ctypes.CDLL(None)
    process.malloc.restype, process.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    process.free.argtypes = [ctypes.c_void_p]
    blocks = [process.malloc(BLOCK) for _ in range(1024)]
    assert all(blocks)
    for b in blocks:
        ctypes.memset(b, 1, BLOCK)
    for b in blocks[:-1]:  # the last one pins the top of the heap
        process.free(b)
    before = anon_mb()
    try:
        assert heap.release(), "glibc or jemalloc: release must be supported here"
        after = anon_mb()
    finally:
        process.free(blocks[-1])
    assert before - after >= 32, (before, after)


def test_release_is_a_no_op_without_a_known_malloc(monkeypatch):
    monkeypatch.setattr(heap, "_releaser", lambda: None)
    assert heap.release() is False


@pytest.mark.slow
def test_decode_windows_releases_the_encoders_memory_before_the_beams(monkeypatch, tmp_path):
    """On a CPU each batch gives back what the encoder freed before ``generate`` allocates
    (a 20-min file peaked ~50 MB higher without it); the transcript is unchanged."""
    english = next(c for c in clips().values() if c.language == "en" and c.reference)
    extract_audio(english.path, tmp_path / "clip.wav")
    samples = load_wav(tmp_path / "clip.wav")[0]
    model = load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en", threads=2)
    options = DecodeOptions(language="en", vad=False)

    def decode() -> list:
        jobs = [WindowJob(samples.copy(), options), WindowJob(samples[: len(samples) // 2].copy(), options)]
        return [[(s.start, s.end, s.text) for s in r.segments] for r in model.decode_windows(jobs)]

    plain = decode()
    calls: list[str] = []
    first_pass = fw_batch._first_pass
    monkeypatch.setattr(heap, "release", lambda: calls.append("release") or True)
    monkeypatch.setattr(fw_batch, "_first_pass", lambda *a, **k: calls.append("generate") or first_pass(*a, **k))
    assert decode() == plain and plain[0]
    assert calls == ["release", "generate"]
