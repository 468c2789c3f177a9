"""The CTranslate2 -> openai-whisper converter, checked against CTranslate2 itself."""

import os

import numpy as np
import pytest
import torch

from subvox.asr.openai import load_checkpoint
from subvox.errors import SubvoxError
from subvox.models import store as models
from subvox.models.ct2 import convert, read_ct2_model
from tests.helpers import clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_dir():
    return models.ct2_source("tiny.en", "unused")


@pytest.fixture(scope="module")
def checkpoint(tiny_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "tiny.en.pt"
    dims = convert(tiny_dir, path)
    assert dims["n_audio_layer"] == 4 and dims["n_text_head"] == 6 and dims["n_vocab"] == 51864
    return path


@pytest.fixture(scope="module")
def mel(tmp_path_factory):
    import whisper

    from subvox.media.ffmpeg import extract_audio, load_wav

    wav = tmp_path_factory.mktemp("mel") / "jfk.wav"
    extract_audio(clip("jfk").path, wav)
    audio, _ = load_wav(wav)
    return whisper.log_mel_spectrogram(whisper.pad_or_trim(audio), 80)


def test_reader_resolves_tied_output_projection(tiny_dir):
    spec, variables = read_ct2_model(tiny_dir / "model.bin")
    assert spec == "WhisperSpec"
    assert variables["decoder/projection/weight"] is variables["decoder/embeddings/weight"]


def test_encoder_matches_ctranslate2(checkpoint, tiny_dir, mel):
    import ctranslate2

    model = load_checkpoint(checkpoint)
    with torch.no_grad():
        ours = model.encoder(mel[None]).numpy()
    ct2 = ctranslate2.models.Whisper(str(tiny_dir), device="cpu", compute_type="float32")
    theirs = np.array(ct2.encode(ctranslate2.StorageView.from_array(mel[None].numpy().astype(np.float32))))
    assert ours.shape == theirs.shape == (1, 1500, 384)
    assert np.abs(ours - theirs).max() < 1e-3


def test_both_backends_decode_identical_text_on_identical_weights(checkpoint, tiny_dir):
    from subvox.asr import DecodeOptions, load_transcriber
    from subvox.media.ffmpeg import extract_audio, load_wav

    wav = checkpoint.parent / "jfk.wav"
    extract_audio(clip("jfk").path, wav)
    audio, _ = load_wav(wav)
    options = DecodeOptions(
        temperature=(0.0,), beam_size=1, vad=False, word_timestamps=False, condition_on_previous_text=False
    )
    fw = load_transcriber("faster-whisper", str(tiny_dir), "tiny.en", compute_type="float32").transcribe(audio, options)
    ow = load_transcriber("openai-whisper", str(checkpoint), "tiny.en").transcribe(audio, options)
    # Text, not bits: the two libraries sum in other orders (encoders agree within 1e-3, above), which
    # changes no greedy choice on this clean clip on any CPU; a bit-level comparison would not hold.
    assert " ".join(s.text for s in fw.segments) == " ".join(s.text for s in ow.segments)
    assert "ask not what your country can do for you" in " ".join(s.text for s in ow.segments)


def test_alignment_heads_come_from_the_ct2_config(checkpoint):
    model = load_checkpoint(checkpoint)
    heads = model.alignment_heads.to_dense().nonzero().tolist()
    assert heads == [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned_by_checkpoint",))


def test_checkpoint_loader_refuses_pickled_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = tmp_path / "evil.pt"
    torch.save({"dims": _Evil(), "model_state_dict": {}}, evil)
    with pytest.raises(SubvoxError, match="not a loadable openai-whisper checkpoint"):
        load_checkpoint(evil)
    assert not (tmp_path / "pwned_by_checkpoint").exists()


def test_not_a_whisper_folder_is_rejected(tmp_path):
    with pytest.raises(SubvoxError, match=r"no model\.bin"):
        convert(tmp_path, tmp_path / "x.pt")


def test_cli_converts_and_reports_errors_in_one_line(tiny_dir, tmp_path, capsys):
    from subvox.cli import main

    assert main(["convert-model", str(tiny_dir), str(tmp_path / "t.pt")]) == 0
    assert (tmp_path / "t.pt").stat().st_size > 30_000_000
    assert main(["fetch-model", "large-v3", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("subvox: model 'large-v3' is not available offline") and err.count("\n") == 1
