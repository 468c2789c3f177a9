"""Batched decoding: pieces of many files share decode batches, and each file gets exactly its own.

The scheduler is checked with a stand-in backend (fast: real VAD on real speech, the
"decoder" names each window by its samples), the faster-whisper batch decoder against
the sequential path with the real tiny.en model on the bundled clips.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from unittest.mock import ANY

import numpy as np
import pytest

from subvox.asr import DecodeOptions, Segment, Transcript, Word, load_transcriber
from subvox.asr.pieces import as_float, speech_pieces
from subvox.asr.transcribe import FileRequest, transcribe_audio, transcribe_files, why_sequential
from subvox.asr.wer import wer
from subvox.asr.windows import WindowJob, WindowResult
from subvox.media.ffmpeg import extract_audio, load_wav
from subvox.models import store as models
from tests.helpers import clip, clips

ENGLISH = [c for c in clips().values() if c.language == "en" and c.reference]


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> dict[str, np.ndarray]:
    """The English clips with references and the German one, 16 kHz float, extracted as the workflow does."""
    tmp = tmp_path_factory.mktemp("batched")
    out = {}
    for c in [*ENGLISH, clip("leopard_test_de")]:
        extract_audio(c.path, tmp / f"{c.name}.wav")
        out[c.name] = load_wav(tmp / f"{c.name}.wav")[0]
    return out


class Stub:
    """A backend whose "decoding" of a window is one segment per stretch of sound in it (the
    stretches between runs of exact zeros, i.e. packed pieces), named by its samples, in
    batches (``decode_windows``) or alone (``transcribe``, the sequential path's call); it
    records every batch, and fails any batch holding a piece whose peak is in ``bad``."""

    backend, model_name = "stub", "stub"

    def __init__(self, bad: frozenset[float] = frozenset(), multilingual: bool = False) -> None:
        self.batches: list[list[int]] = []  # per batch: the pieces in each window
        self.detected: list[int] = []
        self.bad, self.multilingual = bad, multilingual

    @staticmethod
    def name(samples: np.ndarray) -> str:
        return f"{float(np.abs(samples.astype(np.float64)).sum()):.2f}"

    @staticmethod
    def runs(samples: np.ndarray) -> list[tuple[int, int]]:
        nonzero = np.flatnonzero(samples)
        if not len(nonzero):
            return []
        cuts = np.flatnonzero(np.diff(nonzero) > 0.9 * 16000)
        return list(zip([nonzero[0], *nonzero[cuts + 1]], [*(nonzero[cuts] + 1), nonzero[-1] + 1], strict=True))

    def segments(self, samples: np.ndarray) -> list[Segment]:
        out = []
        for a, b in self.runs(samples):
            if round(float(samples[a:b].max()), 4) in self.bad:
                raise RuntimeError("poisoned piece")
            s, e = a / 16000, b / 16000
            words = [Word(s + 0.1, (s + e) / 2, " a", 0.9), Word((s + e) / 2, e - 0.1, " b", 0.9)]
            out.append(Segment(0, s, e, self.name(samples[a:b]), words, avg_logprob=-0.1, no_speech_prob=0.01))
        return out

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        self.batches.append([len(self.runs(j.samples)) for j in jobs])
        return [WindowResult(self.segments(j.samples), None, 0.0) for j in jobs]

    def transcribe(self, audio: np.ndarray, options: DecodeOptions) -> Transcript:
        return Transcript(options.language or "en", 1.0, len(audio) / 16000, self.segments(audio), "stub", "stub", {})

    def detect_languages(self, clips: list[np.ndarray]) -> list[tuple[str, float]]:
        self.detected.append(len(clips))
        return [self.detect_language(c) for c in clips]

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:  # "German": louder than a threshold
        return ("de" if float(np.abs(audio).mean()) > 0.05 else "en"), 0.9


def expected_names(audio: np.ndarray) -> list[str]:
    """What Stub returns for a file decoded alone: one segment per VAD piece, in order."""
    samples = as_float(audio)
    return [Stub.name(samples[a:b]) for a, b in speech_pieces(samples, DecodeOptions())]


@pytest.mark.parametrize("pack", [False, True])
def test_pieces_of_many_files_share_batches_and_come_back_to_their_own_file_in_order(speech, pack):
    stub = Stub()
    names = sorted(speech)
    requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=4, pack_pieces=pack)) for n in names]
    done = {f.key: f for f in transcribe_files(stub, requests, 4)}
    assert set(done) == set(names) and not any(f.error for f in done.values())
    for n in names:
        assert [s.text for s in done[n].transcripts[0].segments] == expected_names(speech[n]), n
    pieces = [n for batch in stub.batches for n in batch]
    assert sum(pieces) == sum(len(expected_names(a)) for a in speech.values()), "every piece decoded once"
    if pack:
        assert max(pieces) > 1, "short pieces of several files share a window"
    else:
        assert max(pieces) == 1, "unpacked: a window per piece"
        assert max(len(batch) for batch in stub.batches) > 1, "windows of several files share a batch"
    assert all(len(batch) <= 4 for batch in stub.batches)


class Broken:
    """Audio whose reading fails (planning fails)."""

    def __len__(self) -> int:
        return 16000 * 5

    def __getitem__(self, key: object) -> np.ndarray:
        raise OSError("read error")


def test_a_file_failing_inside_a_mixed_batch_fails_alone(speech):
    names = sorted(speech)
    bad = names[1]
    pieces = speech_pieces(speech[bad], DecodeOptions())
    stub = Stub(bad=frozenset(round(float(as_float(speech[bad])[a:b].max()), 4) for a, b in pieces))
    requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=8)) for n in names]
    requests.insert(2, FileRequest("unopenable", error=OSError("no audio stream")))
    requests.insert(3, FileRequest("unreadable", Broken(), DecodeOptions(batch_size=8)))
    done = {f.key: f for f in transcribe_files(stub, requests, 8)}
    assert isinstance(done[bad].error, RuntimeError) and done[bad].transcripts == []
    assert isinstance(done["unopenable"].error, OSError) and isinstance(done["unreadable"].error, OSError)
    for n in names:
        if n != bad:
            assert done[n].error is None, n
            assert [s.text for s in done[n].transcripts[0].segments] == expected_names(speech[n]), n
    first = sum(stub.batches[0])
    assert first > 1 and stub.batches[1 : first + 1] == [[1]] * first, "the failed batch again, piece by piece"


def unscheduled(transcript: Transcript) -> dict:
    """The transcript JSON but for the scheduling options it records (batch size, tail packing)."""
    record = transcript.to_dict()
    record["options"].pop("batch_size")
    record["options"].pop("pack_tails")
    return record


def test_batched_and_sequential_paths_give_the_same_transcripts(speech):
    """With the stand-in decoder both paths see the same pieces, so every field must agree."""
    for multilingual in (False, True):
        stub = Stub(multilingual=multilingual)
        names = ["leopard_test_de", *sorted(n for n in speech if n != "leopard_test_de")]
        requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=8)) for n in names]
        batched = {f.key: f.transcripts[0] for f in transcribe_files(stub, requests, 8)}
        if multilingual:
            assert max(stub.detected) > 2, f"clips of several files classified together: {stub.detected}"
        for n in names:
            alone = transcribe_audio(stub, speech[n], DecodeOptions(batch_size=1, pack_tails=False))
            assert unscheduled(batched[n]) == unscheduled(alone), n


def test_the_previous_text_prompt_and_backends_without_batches_decode_one_piece_at_a_time(speech, caplog):
    stub = Stub()
    assert why_sequential(stub, DecodeOptions()) is None
    assert "condition_on_previous_text" in str(why_sequential(stub, DecodeOptions(condition_on_previous_text=True)))
    assert why_sequential(stub, DecodeOptions(batch_size=1)) is None, "one window a batch: tails packed alike"
    assert why_sequential(stub, DecodeOptions(batch_size=1, pack_tails=False)) == "asr.batch_size is 1"

    class Sequential:
        backend, model_name, multilingual = "whisper.cpp", "x", False

    assert why_sequential(Sequential(), DecodeOptions()) == "whisper.cpp has no batched decoding"  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="subvox"):
        out = transcribe_audio(stub, speech["jfk"], DecodeOptions(condition_on_previous_text=True))
    assert out.segments and not stub.batches
    assert "one at a time: asr.condition_on_previous_text is true" in caplog.text


@pytest.fixture(scope="module")
def tiny():
    return load_transcriber("faster-whisper", str(models.ct2_source("tiny.en", "models")), "tiny.en", threads=2)


def words(transcript: Transcript) -> list[Word]:
    return [w for s in transcript.segments for w in s.words]


@pytest.mark.slow
def test_unpacked_batches_give_each_file_its_sequential_transcript_whatever_its_batch_mates(tiny, speech):
    """``pack_pieces`` off: no piece shares a window with another file's, and a window's encoder
    length is its own (``trim_windows``), so a file's transcript does not depend on which files
    share its batch (an interrupted run resumes to the same bytes); with ``pack_tails`` and
    ``trim_windows`` off every piece has a 30-s window of its own, and the transcript is the
    sequential path's."""
    names = [c.name for c in ENGLISH]
    for tails, trim in ((False, False), (False, True), (True, True)):
        one = DecodeOptions(batch_size=1, pack_tails=tails, trim_windows=trim)
        assert why_sequential(tiny, one) == (None if tails else ANY)
        if tails or not trim:  # batch size 1: the batched path (tails packed) or the sequential one
            alone = {n: unscheduled(transcribe_audio(tiny, speech[n], one)) for n in names}
        else:  # the sequential path reads 30-s windows: the reference is each file batched alone
            alone = {
                n: unscheduled(f.transcripts[0])
                for n in names
                for f in transcribe_files(tiny, [FileRequest(n, speech[n], replace(one, batch_size=4))], 4)
            }
        for mates in (names, names[::-1], names[:2]):
            options = replace(one, batch_size=4)
            requests = [FileRequest(n, speech[n], options) for n in mates]
            for f in transcribe_files(tiny, requests, 4):
                assert unscheduled(f.transcripts[0]) == alone[f.key], (f.key, mates, tails, trim)


class Stopping(Stub):
    """A stand-in that, like Whisper, often ends a window before its piece: a piece decoded
    alone from its start gives only its first half and the frame to resume at; anything else
    (a continuation, a pack) is decoded whole. Times are the piece's, as backends give them."""

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        out = []
        for j in jobs:
            window = j.samples[j.seek * 160 :][: 30 * 16000]
            segments = self.segments(window)
            for seg in segments:
                seg.start, seg.end = seg.start + j.seek / 100, seg.end + j.seek / 100
                for w in seg.words:
                    w.start, w.end = w.start + j.seek / 100, w.end + j.seek / 100
            resume = None
            if j.seek == 0 and not j.packed and len(window) > 8 * 16000:
                half = len(window) // 2 // 160
                segments = self.segments(window[: half * 160])
                resume = half
            out.append(WindowResult(segments, resume, 0.0))
        self.batches.append([len(self.runs(j.samples[j.seek * 160 :])) for j in jobs])
        return out


def test_tails_are_packed_within_their_file_the_same_whatever_the_batch(speech):
    """``pack_tails``: what a window leaves of its piece waits for the other pieces of its
    regions and shares windows with their tails, laid out from that file alone: fewer windows,
    and the same windows and transcript for every batch size and every set of batch-mates."""
    long = np.concatenate([speech[n] for n in sorted(speech)] * 2)  # several pieces of 8-30 s
    names = sorted(speech)
    results, windows = {}, {}
    for tails, size, mates in ((False, 4, ()), (True, 1, ()), (True, 3, names), (True, 8, names[::-1])):
        stub = Stopping()
        requests = [FileRequest("long", long, DecodeOptions(batch_size=size, pack_tails=tails))]
        requests += [FileRequest(n, speech[n], DecodeOptions(batch_size=size, pack_tails=tails)) for n in mates]
        done = {f.key: f for f in transcribe_files(stub, requests, size)}
        assert not any(f.error for f in done.values())
        results[tails, size] = unscheduled(done["long"].transcripts[0])
        windows[tails, size] = sum(len(b) for b in stub.batches) if not mates else None
        assert all(len(b) <= size for b in stub.batches)
        if tails:
            assert max(n for b in stub.batches for n in b) > 1, "tails share windows"
    assert results[True, 1] == results[True, 3] == results[True, 8]
    assert windows[True, 1] < windows[False, 4], windows
    words = [w["start"] for s in results[True, 1]["segments"] for w in s["words"]]
    assert words == sorted(words) and len(words) == len(
        [w for s in results[False, 4]["segments"] for w in s["words"]]
    ), "every piece's words, once, in order"


class Trimming(Stopping):
    """``Stopping`` on a backend whose encoder reads shorter windows: records every batch's encoder
    lengths and checks each window's speech fits in its own."""

    trims_windows = True

    def __init__(self) -> None:
        super().__init__()
        self.lengths: list[list[int]] = []

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        self.lengths.append([j.encoder_frames() for j in jobs])
        for j in jobs:
            assert len(j.samples) // 160 - j.seek < j.encoder_frames() or j.encoder_frames() == 3000
        return super().decode_windows(jobs)


def test_windows_are_encoded_at_their_own_length_and_batched_with_their_equals(speech):
    """``trim_windows``: a short file's window is encoded shorter, at a length from the window alone
    (5-s steps, 2 s of padding at least); a batch never mixes lengths, and each file's transcript
    is the same for every batch size and set of batch-mates. A long file keeps 30-s windows."""
    from subvox.asr.windows import encoder_frames

    assert [encoder_frames(s * 16000, True) for s in (1, 3, 3.1, 8, 27.9, 28.1, 40)] == [
        500, 500, 1000, 1000, 3000, 3000, 3000,
    ]  # fmt: skip
    assert encoder_frames(16000, False) == 3000
    names = sorted(n for n in speech if len(speech[n]) <= 30 * 16000)
    results = {}
    for size, order in ((1, names), (3, names[::-1]), (8, names[1:] + names[:1])):
        stub = Trimming()
        requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=size)) for n in order]
        done = {f.key: f for f in transcribe_files(stub, requests, size)}
        assert not any(f.error for f in done.values())
        results[size] = {n: unscheduled(done[n].transcripts[0]) for n in names}
        assert all(len(set(b)) == 1 for b in stub.lengths), stub.lengths
        assert min(n for b in stub.lengths for n in b) < 3000, "short windows are trimmed"
    assert results[1] == results[3] == results[8]
    long = np.concatenate([speech[n] for n in names] * 2)
    for trims in (True, False):  # a long file; a backend whose encoder reads 30 s only
        stub = Trimming()
        stub.trims_windows = trims
        assert not any(f.error for f in transcribe_files(stub, [FileRequest("l", long, DecodeOptions())], 4))
        assert {n for b in stub.lengths for n in b} == {3000}


@pytest.mark.slow
def test_packed_decoding_agrees_with_sequential_on_the_bundled_clips(tiny, speech):
    """With ``pack_pieces`` the bundled clips are short, so batches pack several into one window (more context):
    texts may differ from one-clip-per-window decoding in a few words (measured: punctuation,
    "concern" -> "concerned", "Abi" -> "Abby"), bounded here; accuracy is no worse. A clip
    packed alone (the long one) decodes exactly as before. Reruns are identical; words are
    monotonic and inside their own piece."""
    names = [c.name for c in ENGLISH]
    alone = {n: transcribe_audio(tiny, speech[n], DecodeOptions(batch_size=1)) for n in names}
    runs = []
    for _ in range(2):
        requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=4, pack_pieces=True)) for n in names]
        runs.append({f.key: f.transcripts[0] for f in transcribe_files(tiny, requests, 4)})
    text = {k: " ".join(s.text for n in names for s in t[n].segments) for k, t in (("seq", alone), ("bat", runs[0]))}
    reference = " ".join(c.reference for c in ENGLISH)
    assert wer(text["seq"], text["bat"]) <= 0.06, text
    assert wer(reference, text["bat"]) <= wer(reference, text["seq"]) + 0.01, text
    for n in names:
        assert runs[0][n].to_dict() == runs[1][n].to_dict(), "reruns are identical"
        pieces = [(a / 16000, b / 16000) for a, b in speech_pieces(speech[n], DecodeOptions())]
        found = words(runs[0][n])
        assert found and [w.start for w in found] == sorted(w.start for w in found), n
        for w in found:
            assert w.start <= w.end and any(a <= w.start and w.end <= b for a, b in pieces), (n, w)


def test_a_packed_window_is_cut_back_at_its_gaps():
    """Three pieces of 2, 3 and 4 s in one window: a segment across the first gap is split
    there, a word in the gap goes to the nearer piece, inside it; Whisper stopping in the
    middle piece resumes that piece there, and the last is queued again untouched."""
    from subvox.asr.packing import GAP_S, pack, unpack

    parts = [WindowJob(np.ones(s * 16000, dtype=np.float32), DecodeOptions()) for s in (2, 3, 4)]
    window, starts = pack(parts)
    assert len(window.samples) == (9 + 2 * GAP_S) * 16000 and starts == [0, 48000, 112000]
    words = [Word(0.5, 1.0, " one", 0.9), Word(1.5, 2.2, " two", 0.9), Word(3.1, 3.6, " three", 0.9)]
    across = Segment(0, 0.4, 3.7, "one two three", words)
    result = WindowResult([across], round(4.5 * 100), 4.4)
    (a, ra), (b, rb), *rest = unpack(parts, starts, result)[0]
    again = unpack(parts, starts, result)[1]
    assert (a, b) == (parts[0], parts[1]) and not rest and again == [parts[2]]
    assert [s.text for s in ra.segments] == ["one two"] and [s.text for s in rb.segments] == ["three"]
    assert [(w.start, w.end) for w in ra.segments[0].words] == [(0.5, 1.0), (1.5, 2.0)], "clipped to its piece"
    assert rb.segments[0].words[0].start == pytest.approx(0.1) and rb.segments[0].start == pytest.approx(0.1)
    assert ra.resume is None and rb.resume == 150 and rb.last_speech == pytest.approx(1.4)


class Tagged(Stopping):
    """Stopping, each segment tagged with how many pieces its window held, and raising (as if out
    of memory) on a batch of more than ``limit`` windows."""

    def __init__(self, limit: int = 99) -> None:
        super().__init__()
        self.limit = limit

    def decode_windows(self, jobs: list[WindowJob]) -> list[WindowResult]:
        if len(jobs) > self.limit:
            raise MemoryError("batch too big")
        out = super().decode_windows(jobs)
        for j, r in zip(jobs, out, strict=True):
            for seg in r.segments:
                seg.text += f"@{len(self.runs(j.samples[j.seek * 160 :]))}"
        return out


def test_a_batch_that_raises_keeps_each_files_tail_windows_whole(speech):
    """A raising batch is decoded again a window at a time; a window of one file's tails stays
    whole, so that file's windows and text do not depend on its batch (found in review)."""
    names = sorted(speech)
    files = {
        "A": np.concatenate([speech[n] for n in names] * 2),
        "B": np.concatenate([speech[n] for n in names[::-1]] * 3),
        "C": np.concatenate([speech[n] for n in names[2:5]] * 4),
    }

    def run(model: Tagged, keys: list[str], size: int) -> dict[str, list[str]]:
        requests = [FileRequest(k, files[k], DecodeOptions(batch_size=size)) for k in keys]
        return {f.key: [s.text for s in f.transcripts[0].segments] for f in transcribe_files(model, requests, size)}

    alone = {k: run(Tagged(), [k], 1)[k] for k in files}
    assert any(t.endswith("@2") for t in alone["A"]), "tails share windows"
    assert run(Tagged(limit=3), list(files), 5) == alone, "batches of more than 3 windows raised"


def test_a_packed_part_not_reached_is_decoded_again():
    """Whisper stopping within the first 10-ms frame of a packed part leaves it untouched: it is
    decoded again, not taken as finished (found in review)."""
    from subvox.asr.packing import pack, unpack

    parts = [
        WindowJob(np.ones(n * 16000 + 100, dtype=np.float32), DecodeOptions(), slot=i) for i, n in enumerate((4, 6))
    ]
    _, starts = pack(parts)
    stop = math.ceil(starts[1] / 160)  # the first frame boundary at or after the second part's start
    done, again = unpack(parts, starts, WindowResult([], stop, 0.0))
    assert [p.slot for p, _ in done] == [0] and again == [parts[1]]


@pytest.mark.slow
def test_openai_whisper_batches_agree_with_its_sequential_decoding(speech, tmp_path):
    """openai-whisper's batched first decode (subvox.asr.ow_batch): a piece alone in its window
    gives the sequential path's transcript exactly; three clips packed and batched stay within
    a word of its accuracy."""
    from subvox.models.ct2 import convert

    checkpoint = tmp_path / "tiny.en.pt"
    convert(models.ct2_source("tiny.en", "models"), checkpoint)
    model = load_transcriber("openai-whisper", str(checkpoint), "tiny.en", threads=2)
    names = ["jfk", "LJ001-0001 (printing)", "coqui_LJ001-0004"]
    alone = {n: transcribe_audio(model, speech[n], DecodeOptions(batch_size=1)) for n in names}
    one = transcribe_audio(model, speech["jfk"], DecodeOptions(batch_size=8))  # one piece: one window
    assert unscheduled(one) == unscheduled(alone["jfk"])
    requests = [FileRequest(n, speech[n], DecodeOptions(batch_size=4, pack_pieces=True)) for n in names]
    batched = {f.key: f.transcripts[0] for f in transcribe_files(model, requests, 4)}
    text = {k: " ".join(s.text for n in names for s in t[n].segments) for k, t in (("seq", alone), ("bat", batched))}
    reference = " ".join(clip(n).reference for n in names)
    assert wer(text["seq"], text["bat"]) <= 0.06, text
    assert wer(reference, text["bat"]) <= wer(reference, text["seq"]) + 0.02, text  # 63 words: one word
