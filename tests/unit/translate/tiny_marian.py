"""A tiny, randomly initialised Marian model (OPUS-MT's architecture and tokenizer layout),
converted to CTranslate2 the way a real OPUS-MT model is: it proves the plumbing (folder,
tokenizer, converter, decoding), not translation quality. Built in about a second."""

from __future__ import annotations

import io
import json
from pathlib import Path

CORPUS = [
    "the cat sits on the mat", "a dog runs in the park", "we ask what you can do", "my fellow citizens",
    "el gato se sienta en la alfombra", "un perro corre en el parque", "preguntamos qué puedes hacer",
    "hello world", "hola mundo", "good morning", "buenos días", "thank you very much", "muchas gracias",
]  # fmt: skip


def _spm(path: Path, vocab_size: int = 60) -> None:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        character_coverage=1.0, bos_id=-1, eos_id=-1, unk_id=0, minloglevel=2, num_threads=1,
    )  # fmt: skip
    path.write_bytes(model.getvalue())


def build(root: Path, seed: int = 0) -> Path:
    """Write the Hugging Face model to ``root/hf`` and its CTranslate2 conversion to
    ``root/ct2`` (with the tokenizer files copied, as ``--copy_files`` does); return the latter."""
    import sentencepiece
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    hf = root / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    _spm(hf / "source.spm")
    _spm(hf / "target.spm")
    pieces = [sentencepiece.SentencePieceProcessor(model_file=str(hf / "source.spm")).id_to_piece(i) for i in range(60)]
    vocab = {"</s>": 0, "<unk>": 1}
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    vocab["<pad>"] = len(vocab)
    (hf / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(str(hf / "source.spm"), str(hf / "target.spm"), str(hf / "vocab.json"))
    tokenizer.save_pretrained(hf)
    size = len(vocab)
    config = MarianConfig(
        vocab_size=size, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=512,
        pad_token_id=size - 1, eos_token_id=0, decoder_start_token_id=size - 1, forced_eos_token_id=0,
    )  # fmt: skip
    torch.manual_seed(seed)
    MarianMTModel(config).save_pretrained(hf)
    out = root / "ct2"
    files = [f.name for f in hf.iterdir() if f.suffix in (".spm", ".json") and f.name not in ("config.json",)]
    files = [f for f in files if f not in ("generation_config.json",)]
    _Converter(str(hf), copy_files=files).convert(str(out), force=True)
    return out


def _converter_class() -> type:
    import ctranslate2

    class Converter(ctranslate2.converters.TransformersConverter):
        """ctranslate2 4.8 passes ``dtype=`` to ``from_pretrained``; transformers 4.52 (pinned
        for OuteTTS) still calls it ``torch_dtype``."""

        def load_model(self, model_class, model_name_or_path, **kwargs):
            if "dtype" in kwargs:
                kwargs["torch_dtype"] = kwargs.pop("dtype")
            return model_class.from_pretrained(model_name_or_path, **kwargs)

    return Converter


def _Converter(*args, **kwargs):
    return _converter_class()(*args, **kwargs)
