"""Long recordings are decoded piece by piece, cut in pauses (memory stays flat)."""

import itertools

import numpy as np
import pytest

from subvox.asr import DecodeOptions, load_transcriber
from subvox.asr.transcribe import as_float, decode_region, plan_chunks, speech_pieces, transcribe_audio
from subvox.asr.wer import wer
from subvox.media.ffmpeg import extract_audio, load_wav, open_pcm
from subvox.models import store as models
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


def test_speech_pieces_fit_one_window_cover_the_speech_and_cut_in_pauses(long_pcm):
    audio = as_float(open_pcm(long_pcm)[0])
    loud = np.abs(audio).max()
    for limit in (30.0, 10.0):
        pieces = speech_pieces(audio, DecodeOptions(vad_max_piece_s=limit))
        assert len(pieces) >= (2 if limit == 30.0 else 4), pieces
        assert all(0 < b - a <= limit * 16000 for a, b in pieces), pieces
        assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(pieces)), "in order, no overlap"
        covered = np.zeros(len(audio), dtype=bool)
        for a, b in pieces:
            covered[a:b] = True
        assert covered[np.abs(audio) > 0.3 * loud].all(), "every loud sample lies in a piece"
        for (_, end), (start, _) in itertools.pairwise(pieces):
            assert np.abs(audio[end:start]).max(initial=0.0) < 0.5 * loud, "cuts lie in pauses"
    assert speech_pieces(np.zeros(16000 * 5, dtype=np.float32), DecodeOptions()) == []


@pytest.mark.slow
def test_pieces_decode_as_well_as_the_backend_walking_the_speech(long_pcm):
    audio = as_float(open_pcm(long_pcm)[0])
    model = load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en")
    reference = " ".join(
        [clip("jfk").reference, clip("LJ001-0001").reference, clip("jfk").reference, clip("coqui_LJ001-0004").reference]
    )
    pieces = decode_region(model, audio, DecodeOptions())
    walked = decode_region(model, audio, DecodeOptions(vad_max_piece_s=None))
    got = {
        name: wer(reference, " ".join(s.text for s in t.segments))
        for name, t in (("pieces", pieces), ("walked", walked))
    }
    assert got["pieces"] <= 0.1 and got["pieces"] <= got["walked"] + 0.02, got
    starts = [s.start for s in pieces.segments]
    assert starts == sorted(starts) and pieces.segments[-1].end <= len(audio) / 16000 + 0.05
    assert pieces.language == "en" and pieces.duration == pytest.approx(len(audio) / 16000)
