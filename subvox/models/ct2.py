"""Convert a CTranslate2 Whisper model into an openai-whisper checkpoint.

Both backends then run on the very same weights, offline. CTranslate2's ``model.bin``
is a small header (binary version, spec name, revision) followed by each variable's
name, shape, dtype and raw bytes, then name aliases. CTranslate2 fuses the
self-attention Q/K/V and cross-attention K/V projections, omits the (zero) key bias
and ties the output projection to the token embedding; this module undoes all three.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from subvox.errors import SubvoxError
from subvox.library.atomic import atomic_path

# DataType enum order in ctranslate2/types.h
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise SubvoxError("model.bin is truncated")
    values = struct.unpack("<" + fmt, data)
    return values[0] if len(values) == 1 else values


def _read_string(fh: BinaryIO) -> str:
    length = _read(fh, "H")
    return fh.read(length)[:-1].decode("utf-8")


def read_ct2_model(path: str | os.PathLike[str]) -> tuple[str, dict[str, np.ndarray]]:
    """Read ``model.bin`` into ``(spec_name, {variable name: array})``; aliases resolved."""
    variables: dict[str, np.ndarray] = {}
    with open(path, "rb") as fh:
        version = _read(fh, "I")
        if version < 5 or version > 6:
            raise SubvoxError(f"{path}: unsupported CTranslate2 binary version {version}")
        spec = _read_string(fh)
        _revision = _read(fh, "I")
        for _ in range(_read(fh, "I")):
            name = _read_string(fh)
            rank = _read(fh, "B")
            shape = tuple(_read(fh, "I" * rank)) if rank > 1 else ((_read(fh, "I"),) if rank == 1 else ())
            dtype_id = _read(fh, "B")
            nbytes = _read(fh, "I")
            raw = fh.read(nbytes)
            if len(raw) != nbytes:
                raise SubvoxError(f"{path}: truncated at variable {name}")
            dtype = _DTYPES.get(dtype_id)
            if dtype is None:
                raise SubvoxError(f"{path}: unknown dtype id {dtype_id} for {name}")
            if dtype == "bfloat16":
                bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
                arr = bits.view(np.float32)
            else:
                arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))
            variables[name] = arr.reshape(shape)
        for _ in range(_read(fh, "I")):
            alias = _read_string(fh)
            target = _read_string(fh)
            variables[alias] = variables[target]
    return spec, variables


def _weight(v: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A float weight; int8-quantized ones are de-quantized with their per-row scale."""
    w = v[name]
    if w.dtype == np.int8:
        scale = v[name.rsplit("/", 1)[0] + "/weight_scale"].astype(np.float32)
        return w.astype(np.float32) / scale.reshape(-1, *([1] * (w.ndim - 1)))
    return w


def _count_layers(v: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/bias" in v:
        n += 1
    return n


def ct2_to_openai(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Build an openai-whisper checkpoint dict ``{"dims", "model_state_dict"}`` (+ extras)."""
    import torch

    model_dir = Path(model_dir)
    bin_path = model_dir / "model.bin"
    if not bin_path.is_file():
        raise SubvoxError(f"{model_dir}: no model.bin (not a CTranslate2 model folder)")
    spec, v = read_ct2_model(bin_path)
    if spec != "WhisperSpec":
        raise SubvoxError(f"{model_dir}: CTranslate2 spec {spec!r} is not a Whisper model")

    sd: dict[str, np.ndarray] = {}

    def put(name: str, value: np.ndarray) -> None:
        sd[name] = np.ascontiguousarray(value)

    def norm(dst: str, src: str) -> None:
        put(f"{dst}.weight", v[f"{src}/gamma"])
        put(f"{dst}.bias", v[f"{src}/beta"])

    def linear(dst: str, src: str, bias: bool = True) -> None:
        put(f"{dst}.weight", _weight(v, f"{src}/weight"))
        if bias:
            put(f"{dst}.bias", v[f"{src}/bias"])

    def fused(dsts: list[str], src: str, with_bias: list[bool]) -> None:
        w = _weight(v, f"{src}/weight")
        b = v[f"{src}/bias"]
        n = w.shape[0] // len(dsts)
        for i, (dst, has_bias) in enumerate(zip(dsts, with_bias, strict=True)):
            put(f"{dst}.weight", w[i * n : (i + 1) * n])
            if has_bias:
                put(f"{dst}.bias", b[i * n : (i + 1) * n])

    def mlp(dst: str, src: str) -> None:
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")

    def self_attention(dst: str, src: str) -> None:
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        fused(
            [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"],
            f"{src}/self_attention/linear_0",
            [True, False, True],
        )
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")

    n_enc = _count_layers(v, "encoder")
    n_dec = _count_layers(v, "decoder")
    for name in ("conv1", "conv2"):
        linear(f"encoder.{name}", f"encoder/{name}")
    put("encoder.positional_embedding", v["encoder/position_encodings/encodings"])
    for i in range(n_enc):
        self_attention(f"encoder.blocks.{i}", f"encoder/layer_{i}")
        mlp(f"encoder.blocks.{i}", f"encoder/layer_{i}")
    norm("encoder.ln_post", "encoder/layer_norm")

    put("decoder.token_embedding.weight", _weight(v, "decoder/embeddings/weight"))
    put("decoder.positional_embedding", v["decoder/position_encodings/encodings"])
    for i in range(n_dec):
        dst, src = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        self_attention(dst, src)
        norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        fused([f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"], f"{src}/attention/linear_1", [False, True])
        linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        mlp(dst, src)
    norm("decoder.ln", "decoder/layer_norm")

    conv1 = sd["encoder.conv1.weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(sd["encoder.positional_embedding"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_enc,
        "n_vocab": int(sd["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(sd["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(sd["decoder.token_embedding.weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_dec,
    }
    config_path = model_dir / "config.json"
    alignment_heads = None
    if config_path.is_file():
        with open(config_path, encoding="utf-8") as fh:
            alignment_heads = json.load(fh).get("alignment_heads")
    state = {
        k: torch.from_numpy(np.array(a, dtype=np.float16 if a.dtype != np.float32 else np.float32))
        for k, a in sd.items()
    }
    return {"dims": dims, "model_state_dict": state, "alignment_heads": alignment_heads}


def convert(model_dir: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write the openai-whisper checkpoint for ``model_dir`` to ``out_path`` atomically."""
    import torch

    checkpoint = ct2_to_openai(model_dir)
    with atomic_path(out_path) as tmp:
        torch.save(checkpoint, tmp)
    return checkpoint["dims"]
