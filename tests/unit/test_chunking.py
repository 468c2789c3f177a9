"""Long recordings are decoded piece by piece, cut in pauses (memory stays flat)."""

import itertools

import numpy as np
import pytest

from subvox import models
from subvox.asr import DecodeOptions, load_transcriber
from subvox.media import extract_audio, load_wav, open_pcm
from subvox.transcribe import as_float, plan_chunks, transcribe_audio
from subvox.wer import wer
from tests.helpers import clip, concat_audio


@pytest.fixture(scope="module")
def long_pcm(tmp_path_factory):
    """Three real speeches back to back (~40 s), extracted exactly as the workflow does."""
    tmp = tmp_path_factory.mktemp("long")
    parts = [clip("jfk").path, clip("LJ001-0001").path, clip("jfk").path, clip("coqui_LJ001-0004").path]
    joined = concat_audio(parts, tmp / "joined.flac", gap_s=0.6)
    extract_audio(joined, tmp / "a.wav")
    return tmp / "a.wav"


def test_memory_map_reads_the_same_samples_as_a_full_load(long_pcm):
    mapped, rate = open_pcm(long_pcm)
    full, rate2 = load_wav(long_pcm)
    assert rate == rate2 == 16000 and isinstance(mapped, np.memmap)
    assert np.array_equal(as_float(mapped), full)


def test_chunks_respect_the_limit_cover_the_file_and_cut_in_quiet_places(long_pcm):
    audio, _ = open_pcm(long_pcm)
    chunks = plan_chunks(audio, 15.0)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(audio)
    assert all(a == b for (_, a), (b, _) in itertools.pairwise(chunks))
    assert all(b - a <= 15 * 16000 for a, b in chunks)
    assert len(chunks) >= 3
    loud = np.abs(as_float(audio)).max()
    for _, cut in chunks[:-1]:
        around = np.abs(as_float(audio[cut - 800 : cut + 800]))
        assert around.max() < 0.5 * loud, f"cut at {cut / 16000:.2f} s is not in a pause"
    assert plan_chunks(audio, None) == [(0, len(audio))]


@pytest.mark.slow
def test_chunked_transcript_matches_the_speech_with_monotonic_times(long_pcm):
    audio, _ = open_pcm(long_pcm)
    model = load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en")
    whole = transcribe_audio(model, audio, DecodeOptions(), chunk_s=None)
    pieces = transcribe_audio(model, audio, DecodeOptions(), chunk_s=15.0)
    assert len(pieces.regions) >= 3 and len(pieces.languages) == 1
    reference = " ".join(
        [clip("jfk").reference, clip("LJ001-0001").reference, clip("jfk").reference, clip("coqui_LJ001-0004").reference]
    )
    text = " ".join(s.text for s in pieces.segments)
    assert wer(reference, text) <= 0.15, text
    assert wer(" ".join(s.text for s in whole.segments), text) <= 0.1
    starts = [w.start for s in pieces.segments for w in s.words]
    assert starts == sorted(starts) and starts[-1] <= len(audio) / 16000
