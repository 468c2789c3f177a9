"""Write (and check) whisper.cpp's ggml model file from an openai-whisper checkpoint.

whisper.cpp loads the legacy "ggml" format that its ``models/convert-pt-to-ggml.py``
writes, all little-endian int32/float:

* magic ``0x67676d6c`` ("ggml");
* hparams: n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
  n_text_state, n_text_head, n_text_layer, n_mels, ftype (0 = f32, 1 = f16);
* the mel filterbank: n_mels, n_fft (201), then n_mels x 201 float32 (openai-whisper's
  ``assets/mel_filters.npz``);
* the tokenizer: a count, then each token as a length and its raw bytes, in rank order
  (openai-whisper's ``gpt2.tiktoken`` or ``multilingual.tiktoken``);
* every tensor: n_dims, name length, type (0 = f32, 1 = f16), the dims innermost first,
  the name, the raw data. Conv biases are stored as ``[n, 1]``; with ftype f16 every
  tensor of two or more dims except the conv biases and positional embeddings is f16.

The input is the checkpoint dict subvox's CTranslate2 converter builds, so whisper.cpp
runs on exactly the weights faster-whisper and openai-whisper use. f32 files are written
as the original script writes them, but whisper.cpp 1.8.5 (pywhispercpp 1.5.1) aborts on
them (its conv1d kernel needs f16 weights): the workflow uses f16.
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from subvox.errors import SubvoxError
from subvox.library.atomic import atomic_path

GGML_MAGIC = 0x67676D6C
FTYPES = {"f32": 0, "f16": 1}
HPARAMS = (
    "n_vocab",
    "n_audio_ctx",
    "n_audio_state",
    "n_audio_head",
    "n_audio_layer",
    "n_text_ctx",
    "n_text_state",
    "n_text_head",
    "n_text_layer",
    "n_mels",
    "ftype",
)
_F32_ALWAYS = (
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
)
_CONV_BIASES = ("encoder.conv1.bias", "encoder.conv2.bias")
# ggml tensor types a whisper.cpp model file may hold (also quantized ones made by its
# `quantize` tool): type id -> (elements per block, bytes per block)
TENSOR_TYPES = {
    0: (1, 4),  # f32
    1: (1, 2),  # f16
    2: (32, 18),  # q4_0
    3: (32, 20),  # q4_1
    6: (32, 22),  # q5_0
    7: (32, 24),  # q5_1
    8: (32, 34),  # q8_0
    10: (256, 84),  # q2_K
    11: (256, 110),  # q3_K
    12: (256, 144),  # q4_K
    13: (256, 176),  # q5_K
    14: (256, 210),  # q6_K
}
QNT_VERSION_FACTOR = 1000  # hparams ftype = file type + 1000 x quantization version


def _whisper_assets() -> Path:
    import whisper

    return Path(whisper.__file__).parent / "assets"


def mel_filters(n_mels: int) -> np.ndarray:
    """openai-whisper's mel filterbank, ``(n_mels, 201)`` float32."""
    with np.load(_whisper_assets() / "mel_filters.npz") as f:
        key = f"mel_{n_mels}"
        if key not in f:
            raise SubvoxError(f"openai-whisper has no mel filterbank for n_mels={n_mels}")
        return np.asarray(f[key], dtype=np.float32)


def tokenizer_tokens(multilingual: bool) -> list[bytes]:
    """Whisper's BPE tokens as bytes, in rank order (as convert-pt-to-ggml.py reads tiktoken files)."""
    path = _whisper_assets() / ("multilingual.tiktoken" if multilingual else "gpt2.tiktoken")
    tokens: dict[bytes, int] = {}
    for line in path.read_bytes().splitlines():
        if line:
            token, rank = line.split()
            tokens[base64.b64decode(token)] = int(rank)
    return list(tokens)


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    return np.asarray(value)


def _i32(fh: BinaryIO, *values: int) -> None:
    fh.write(struct.pack(f"<{len(values)}i", *values))


def write_ggml(checkpoint: dict[str, Any], out_path: str | os.PathLike[str], ftype: str = "f16") -> dict[str, int]:
    """Write ``checkpoint`` (``{"dims", "model_state_dict"}``) as a ggml file, atomically.

    Returns the hparams written (the checkpoint's dims plus ``ftype``).
    """
    if ftype not in FTYPES:
        raise SubvoxError(f"ggml ftype {ftype!r}: use one of {', '.join(FTYPES)}")
    if not isinstance(checkpoint, dict) or "dims" not in checkpoint or "model_state_dict" not in checkpoint:
        raise SubvoxError("not an openai-whisper checkpoint (no dims/model_state_dict)")
    dims = checkpoint["dims"]
    use_f16 = ftype == "f16"
    hparams = {k: int(dims[k]) for k in HPARAMS[:-1]} | {"ftype": FTYPES[ftype]}
    filters = mel_filters(hparams["n_mels"])
    tokens = tokenizer_tokens(hparams["n_vocab"] >= 51865)
    with atomic_path(out_path) as tmp, open(tmp, "wb") as fh:
        _i32(fh, GGML_MAGIC, *(hparams[k] for k in HPARAMS))
        _i32(fh, *filters.shape)
        fh.write(filters.astype("<f4").tobytes())
        _i32(fh, len(tokens))
        for token in tokens:
            _i32(fh, len(token))
            fh.write(token)
        for name, value in checkpoint["model_state_dict"].items():
            data = _as_array(value).squeeze()
            if name in _CONV_BIASES:
                data = data.reshape(data.shape[0], 1)
            n_dims = data.ndim
            f16 = use_f16 and n_dims >= 2 and name not in _F32_ALWAYS
            data = np.ascontiguousarray(data, dtype="<f2" if f16 else "<f4")
            encoded = name.encode("utf-8")
            _i32(fh, n_dims, len(encoded), int(f16))
            _i32(fh, *reversed(data.shape))
            fh.write(encoded)
            fh.write(data.tobytes())
    return hparams


@dataclass(frozen=True)
class GgmlTensor:
    name: str
    shape: tuple[int, ...]  # as in PyTorch (outermost first)
    ttype: int  # ggml tensor type (TENSOR_TYPES)
    offset: int  # of the data in the file


@dataclass(frozen=True)
class GgmlModel:
    """What a ggml file holds, without its weights."""

    hparams: dict[str, int]
    n_mel_filters: tuple[int, int]
    n_tokens: int
    tensors: dict[str, GgmlTensor]

    @property
    def multilingual(self) -> bool:
        return self.hparams["n_vocab"] >= 51865

    @property
    def ftype(self) -> int:
        """The file's weight type: 0 all f32, 1 mostly f16, higher: quantized."""
        return self.hparams["ftype"] % QNT_VERSION_FACTOR


def read_ggml(path: str | os.PathLike[str]) -> GgmlModel:
    """Check a ggml Whisper file's structure (header, filters, vocabulary, tensor table).

    Raises SubvoxError naming the file and what is wrong: whisper.cpp itself only prints
    to stderr and returns no model.
    """
    path = Path(path)
    if not path.is_file():
        raise SubvoxError(f"whisper.cpp model {str(path)!r} does not exist")
    size = path.stat().st_size

    def fail(why: str) -> SubvoxError:
        return SubvoxError(f"{path}: not a whisper.cpp ggml model ({why})")

    with open(path, "rb") as fh:

        def ints(n: int) -> tuple[int, ...]:
            raw = fh.read(4 * n)
            if len(raw) != 4 * n:
                raise fail("truncated")
            return struct.unpack(f"<{n}i", raw)

        if ints(1)[0] != GGML_MAGIC:
            raise fail("bad magic")
        hparams = dict(zip(HPARAMS, ints(len(HPARAMS)), strict=True))
        if min(hparams.values()) < 0 or hparams["n_mels"] <= 0 or hparams["ftype"] % QNT_VERSION_FACTOR > 14:
            raise fail(f"unsupported hparams {hparams}")
        n_mel, n_fft = ints(2)
        if n_mel != hparams["n_mels"] or n_fft <= 0:
            raise fail(f"mel filters {n_mel}x{n_fft} for n_mels={hparams['n_mels']}")
        fh.seek(4 * n_mel * n_fft, os.SEEK_CUR)
        (n_tokens,) = ints(1)
        if not 0 < n_tokens <= hparams["n_vocab"]:
            raise fail(f"{n_tokens} tokens for n_vocab={hparams['n_vocab']}")
        for _ in range(n_tokens):
            (length,) = ints(1)
            if not 0 <= length < 1024:
                raise fail("corrupt vocabulary")
            fh.seek(length, os.SEEK_CUR)
        tensors: dict[str, GgmlTensor] = {}
        while fh.tell() < size:
            n_dims, name_len, ttype = ints(3)
            if not 1 <= n_dims <= 4 or not 0 < name_len < 256 or ttype not in TENSOR_TYPES:
                raise fail(f"corrupt tensor header at byte {fh.tell() - 12}")
            shape = tuple(reversed(ints(n_dims)))
            name = fh.read(name_len).decode("utf-8", errors="replace")
            offset = fh.tell()
            block, block_bytes = TENSOR_TYPES[ttype]
            if min(shape) <= 0 or shape[-1] % block:
                raise fail(f"tensor {name} has shape {shape}")
            nbytes = int(np.prod(shape)) // block * block_bytes
            if offset + nbytes > size:
                raise fail(f"tensor {name} is truncated")
            fh.seek(nbytes, os.SEEK_CUR)
            tensors[name] = GgmlTensor(name, shape, ttype, offset)
    if "encoder.conv1.weight" not in tensors or "decoder.token_embedding.weight" not in tensors:
        raise fail("no Whisper tensors")
    return GgmlModel(hparams, (n_mel, n_fft), n_tokens, tensors)


def load_source(source: str | os.PathLike[str]) -> dict[str, Any]:
    """The openai-whisper checkpoint dict of a CTranslate2 folder or a ``.pt`` checkpoint file."""
    source = Path(source)
    if source.is_dir():
        from subvox.models.ct2 import ct2_to_openai

        return ct2_to_openai(source)
    if not source.is_file():
        raise SubvoxError(f"{source}: no such model folder or checkpoint")
    import torch

    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise SubvoxError(f"{source}: not a loadable openai-whisper checkpoint ({type(exc).__name__})") from exc


def convert_ggml(
    source: str | os.PathLike[str], out_path: str | os.PathLike[str], ftype: str = "f16"
) -> dict[str, int]:
    """CTranslate2 folder (or openai-whisper ``.pt``) -> whisper.cpp ggml file; returns its hparams."""
    return write_ggml(load_source(source), out_path, ftype)
