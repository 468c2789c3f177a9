"""The ggml writer and the whisper.cpp backend, on the same tiny.en weights as the other backends."""

from __future__ import annotations

import itertools
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from subvox.asr import DecodeOptions, load_transcriber
from subvox.asr.wer import wer
from subvox.errors import SubvoxError
from subvox.models import store as models
from subvox.models.ggml import mel_filters, read_ggml, tokenizer_tokens, write_ggml
from tests.helpers import clip

CLIPS = ("jfk", "LJ001-0001")  # 21 s of English speech, references in tests/data/manifest.json


def read_ggml_file(path: Path) -> dict:
    """An independent reader of whisper.cpp's legacy ggml layout (as whisper_model_load reads it)."""
    with open(path, "rb") as fh:
        data = fh.read()
    pos = 0

    def ints(n):
        nonlocal pos
        values = struct.unpack_from(f"<{n}i", data, pos)
        pos += 4 * n
        return values

    magic, *hp = ints(12)
    names = "n_vocab n_audio_ctx n_audio_state n_audio_head n_audio_layer n_text_ctx n_text_state n_text_head"
    hparams = dict(zip([*names.split(), "n_text_layer", "n_mels", "ftype"], hp, strict=True))
    n_mel, n_fft = ints(2)
    filters = np.frombuffer(data, "<f4", n_mel * n_fft, pos).reshape(n_mel, n_fft)
    pos += 4 * n_mel * n_fft
    (n_tokens,) = ints(1)
    tokens = []
    for _ in range(n_tokens):
        (length,) = ints(1)
        tokens.append(data[pos : pos + length])
        pos += length
    tensors = {}
    while pos < len(data):
        n_dims, name_len, ttype = ints(3)
        ne = ints(n_dims)  # innermost first
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = "<f2" if ttype == 1 else "<f4"
        count = int(np.prod(ne))
        tensors[name] = (ttype, np.frombuffer(data, dtype, count, pos).reshape(tuple(reversed(ne))))
        pos += count * np.dtype(dtype).itemsize
    assert pos == len(data)
    return {"magic": magic, "hparams": hparams, "filters": filters, "tokens": tokens, "tensors": tensors}


@pytest.fixture(scope="module")
def tiny_dir():
    return models.ct2_source("tiny.en", "unused")


@pytest.fixture(scope="module")
def checkpoint(tiny_dir):
    from subvox.models.ct2 import ct2_to_openai

    return ct2_to_openai(tiny_dir)


@pytest.fixture(scope="module")
def ggml_f16(checkpoint, tmp_path_factory):
    path = tmp_path_factory.mktemp("ggml") / "tiny.en.bin"
    write_ggml(checkpoint, path)
    return path


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """16 kHz mono float32 of each clip, decoded the way the workflow decodes media."""
    from subvox.media.ffmpeg import extract_audio, load_wav

    out = {}
    for name in CLIPS:
        wav = tmp_path_factory.mktemp("wav") / f"{name}.wav"
        extract_audio(clip(name).path, wav)
        out[name] = load_wav(wav)[0]
    return out


@pytest.fixture(scope="module")
def whisper_cpp(ggml_f16):
    return load_transcriber("whisper.cpp", str(ggml_f16), "tiny.en", threads=1)


@pytest.fixture(scope="module")
def transcripts(whisper_cpp, tiny_dir, audio):
    """Each clip by whisper.cpp and faster-whisper, default decoding (beam 5, VAD, word timings)."""
    fw = load_transcriber("faster-whisper", str(tiny_dir), "tiny.en", threads=1)
    out: dict[str, dict] = {"whisper.cpp": {}, "faster-whisper": {}, "seconds": {}}
    for backend, model in (("whisper.cpp", whisper_cpp), ("faster-whisper", fw)):
        model.transcribe(audio["jfk"][: 16000 * 2], DecodeOptions())  # warm-up
        start = time.perf_counter()
        for name, samples in audio.items():
            out[backend][name] = model.transcribe(samples, DecodeOptions())
        out["seconds"][backend] = time.perf_counter() - start
    return out


@pytest.mark.slow
def test_header_vocabulary_and_tensors_round_trip(ggml_f16, checkpoint):
    f = read_ggml_file(ggml_f16)
    assert f["magic"] == 0x67676D6C
    assert f["hparams"] == {**checkpoint["dims"], "ftype": 1}
    assert np.array_equal(f["filters"], mel_filters(80)) and f["filters"].shape == (80, 201)
    assert f["tokens"] == tokenizer_tokens(multilingual=False) and len(f["tokens"]) == 50256
    assert f["tokens"][:3] == [b"!", b'"', b"#"] and f["tokens"][262] == b" the"
    assert len(tokenizer_tokens(multilingual=True)) == 50257  # whisper.cpp adds the 1608 special tokens
    state = checkpoint["model_state_dict"]
    assert set(f["tensors"]) == set(state) and len(state) == 167
    for name, (ttype, data) in f["tensors"].items():
        expected = state[name].float().numpy()
        if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
            expected = expected.reshape(-1, 1)
        keep_f32 = expected.ndim < 2 or name.endswith(("conv1.bias", "conv2.bias", "positional_embedding"))
        assert ttype == (0 if keep_f32 else 1), name
        assert data.shape == expected.shape, name
        assert np.array_equal(data, expected.astype(data.dtype)), name
    # the package's own checker agrees
    info = read_ggml(ggml_f16)
    assert info.hparams == f["hparams"] and len(info.tensors) == 167 and not info.multilingual


@pytest.mark.slow
def test_f32_keeps_every_tensor_exact_but_is_refused_by_the_backend(checkpoint, tmp_path):
    path = tmp_path / "tiny.en.f32.bin"
    hparams = write_ggml(checkpoint, path, ftype="f32")
    f = read_ggml_file(path)
    assert hparams["ftype"] == f["hparams"]["ftype"] == 0
    for name, (ttype, data) in f["tensors"].items():
        assert ttype == 0
        assert np.array_equal(data.reshape(-1), checkpoint["model_state_dict"][name].float().numpy().reshape(-1))
    assert not list(tmp_path.glob("*.part")), "written atomically"
    # whisper.cpp 1.8.5 would abort the whole process in its f16-only conv kernel
    with pytest.raises(SubvoxError, match="all-f32 ggml model"):
        load_transcriber("whisper.cpp", str(path), "tiny.en")


@pytest.mark.slow
def test_whisper_cpp_wer_is_within_two_points_of_faster_whisper(transcripts):
    totals = {}
    for backend in ("whisper.cpp", "faster-whisper"):
        errors = words = 0.0
        for name in CLIPS:
            ref = clip(name).reference
            hyp = " ".join(s.text for s in transcripts[backend][name].segments)
            errors += wer(ref, hyp) * len(ref.split())
            words += len(ref.split())
        totals[backend] = errors / words
    print(f"corpus WER {totals}; seconds {transcripts['seconds']}")
    assert totals["whisper.cpp"] <= totals["faster-whisper"] + 0.02, totals
    jfk = " ".join(s.text for s in transcripts["whisper.cpp"]["jfk"].segments)
    assert "ask not what your country can do for you" in jfk


@pytest.mark.slow
def test_transcript_schema_and_word_timings(transcripts):
    for name in CLIPS:
        t = transcripts["whisper.cpp"][name]
        fw = transcripts["faster-whisper"][name]
        assert t.backend == "whisper.cpp" and t.model == "tiny.en" and t.language == "en"
        assert t.segments and abs(t.duration - fw.duration) < 1e-6
        previous_end = 0.0
        for seg in t.segments:
            assert seg.words, seg
            assert previous_end - 1e-6 <= seg.start <= seg.end <= t.duration + 1e-6
            assert seg.avg_logprob is not None and seg.compression_ratio is not None
            last = seg.start
            for w in seg.words:
                assert seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6, (seg, w)
                assert w.start >= last - 1e-6 and 0.0 <= w.probability <= 1.0
                last = w.end
            assert " ".join(w.word.strip() for w in seg.words) == seg.text.strip()
            previous_end = seg.end
        t.to_dict()  # serialisable like every backend's transcript
    # DTW word ends follow faster-whisper's (same alignment heads, same weights)
    cpp = [w for s in transcripts["whisper.cpp"]["jfk"].segments for w in s.words]
    fw = [w for s in transcripts["faster-whisper"]["jfk"].segments for w in s.words]
    if [w.word.strip() for w in cpp] == [w.word.strip() for w in fw]:
        assert np.median([abs(a.end - b.end) for a, b in zip(cpp, fw, strict=True)]) < 0.2


@pytest.mark.slow
def test_silence_gives_no_segments_and_greedy_decoding_works(whisper_cpp, audio):
    silent = whisper_cpp.transcribe(np.zeros(16000 * 5, dtype=np.float32), DecodeOptions())
    assert silent.segments == [] and silent.language == "en"
    greedy = whisper_cpp.transcribe(
        audio["jfk"], DecodeOptions(beam_size=1, temperature=(0.0,), vad=False, word_timestamps=False)
    )
    text = " ".join(s.text for s in greedy.segments)
    assert wer(clip("jfk").reference, text) <= 0.1 and all(not s.words for s in greedy.segments)


@pytest.mark.slow
def test_missing_or_broken_model_files_fail_clearly(tmp_path, ggml_f16):
    with pytest.raises(SubvoxError, match="does not exist"):
        load_transcriber("whisper.cpp", str(tmp_path / "none.bin"), "x")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"this is not a model" * 100)
    with pytest.raises(SubvoxError, match=r"not a whisper\.cpp ggml model \(bad magic\)"):
        load_transcriber("whisper.cpp", str(garbage), "x")
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(ggml_f16.read_bytes()[:5_000_000])
    with pytest.raises(SubvoxError, match="truncated"):
        load_transcriber("whisper.cpp", str(truncated), "x")
    # structurally sound, but the dims do not fit the weights: whisper.cpp's own refusal
    wrong = bytearray(ggml_f16.read_bytes())
    wrong[12:16] = struct.pack("<i", 512)  # n_audio_state
    (tmp_path / "wrong.bin").write_bytes(wrong)
    with pytest.raises(SubvoxError, match=r"whisper\.cpp could not load the model: .* has wrong size"):
        load_transcriber("whisper.cpp", str(tmp_path / "wrong.bin"), "x")


@pytest.mark.slow
def test_cli_writes_ggml(tiny_dir, tmp_path, capsys):
    from subvox.cli import main

    assert main(["convert-model", "--format", "ggml", str(tiny_dir), str(tmp_path / "t.bin")]) == 0
    assert "'ftype': 1" in capsys.readouterr().out
    assert read_ggml(tmp_path / "t.bin").hparams["n_audio_layer"] == 4
    assert main(["convert-model", "--format", "ggml", str(tmp_path), str(tmp_path / "x.bin")]) == 1
    assert "no model.bin" in capsys.readouterr().err


def test_words_from_tokens_follow_dtw_times_and_fill_gaps():
    from types import SimpleNamespace

    from subvox.asr.whispercpp import _words

    def tok(raw: bytes, t_dtw: int, p: float = 0.9):
        return SimpleNamespace(t_dtw=t_dtw, p=p), raw

    tokens = [tok(b" And", 76), tok(b" so", 106), tok(b",", 110), tok(b" my", -1), tok(b" fel", -1), tok(b"low", 176)]
    words = _words(tokens, 0.0, 2.5, "en")
    assert [w.word for w in words] == [" And", " so,", " my", " fellow"]
    assert [(w.start, w.end) for w in words][:2] == [(0.0, 0.76), (0.76, 1.1)]
    assert words[2].start == 1.1 and 1.1 < words[2].end < words[3].start + 1e-9 and words[3].end == 1.76
    assert all(a.end == b.start for a, b in itertools.pairwise(words))
    # no DTW at all: the segment is shared out; languages without spaces: a word per character
    assert [w.end for w in _words([tok(b" ab", -1), tok(b" cd", -1)], 1.0, 2.0, "en")] == [1.5, 2.0]
    zh = "你好".encode()
    chars = _words([tok(zh[:2], 10), tok(zh[2:3], 20), tok(zh[3:], 30)], 0.0, 1.0, "zh")
    assert [w.word for w in chars] == ["你", "好"] and [w.end for w in chars] == [0.2, 0.3]


def test_model_paths_for_whisper_cpp(tmp_path):
    config = {"models_dir": str(tmp_path), "offline": True}
    asr = {"backend": "whisper.cpp", "model": "tiny.en", "task": "transcribe", "compute_type": "int8"}
    path, name = models.asr_model({**config, "asr": asr})
    assert path == str(tmp_path / "whisper.cpp" / "tiny.en.bin") and name == "tiny.en"
    assert path == str(models.ggml_model(tmp_path, "tiny.en"))
    own = tmp_path / "ggml-custom.bin"
    own.write_bytes(b"x")
    assert models.asr_model({**config, "asr": {**asr, "model": str(own)}}) == (str(own), "ggml-custom.bin")
    with pytest.raises(SubvoxError, match="does not exist"):
        models.asr_model({**config, "asr": {**asr, "model": str(tmp_path / "missing.bin")}})
