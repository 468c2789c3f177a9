"""What a speaker entry configures: interface version, local model paths, device, dtype, generation."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from subvox.errors import SubvoxError

log = logging.getLogger("subvox")


ENGINE = "outetts"
VERSIONS = (1, 2, 3)
CONTEXT = {1: 4096, 2: 4096, 3: 8192}  # tokens the models were trained with
FRAMES_PER_SECOND = 75  # codec frames per second of audio (WavTokenizer and DAC 24 kHz)
TOKENS_PER_FRAME = {1: 1, 2: 1, 3: 2}  # V3 writes two codebook tokens per frame
MAX_REFERENCE_SECONDS = {3: 20.0}  # outetts refuses longer V3 reference clips
WORD_MARGIN_FRAMES = 20  # context kept before the first / after the last word (as outetts's V3 does)
GENERATION_DEFAULTS = {
    "temperature": 0.1,
    "repetition_penalty": 1.1,
    "max_length": 4096,
    "top_k": 40,
    "top_p": 0.9,
    "min_p": 0.05,
    "seed": 0,
}


def interface_version(speaker: dict[str, Any]) -> int:
    version = speaker.get("interface_version", 1)
    if version not in VERSIONS:
        raise SubvoxError(f"OuteTTS interface_version must be one of 1, 2, 3, not {version!r}")
    return int(version)


def _local_path(speaker: dict[str, Any], key: str, what: str, *, file: bool = False) -> str:
    value = speaker.get(key)
    if not value:
        raise SubvoxError(f"OuteTTS speaker needs `{key}`: the local {what} (nothing is downloaded)")
    path = Path(str(value)).expanduser()
    if not (path.is_file() if file else path.is_dir()):
        kind = "file" if file else "folder"
        raise SubvoxError(f"OuteTTS `{key}` {value} is not an existing {kind}: it must be the local {what}")
    return str(path)


def _codec_path(speaker: dict[str, Any], version: int) -> str:
    if version == 3:
        return _local_path(speaker, "codec_path", "DAC weights file (e.g. weights_24khz_1.5kbps_v1.0.pth)", file=True)
    path = _local_path(speaker, "codec_path", "WavTokenizer folder (with encoder/ and decoder/)")
    missing = [sub for sub in ("encoder", "decoder") if not (Path(path) / sub).is_dir()]
    if missing:
        raise SubvoxError(f"OuteTTS codec_path {path} lacks {' and '.join(missing)}/: not a WavTokenizer folder")
    return path


def _tokenizer_path(speaker: dict[str, Any]) -> str:
    key = "tokenizer_path" if speaker.get("tokenizer_path") else "model_path"
    return _local_path(speaker, key, "tokenizer folder")


def torch_device(device: str | None) -> str:
    import torch

    want = (device or "cpu").lower()
    if want in ("auto", "gpu") or want.startswith("cuda"):
        if torch.cuda.is_available():
            return "cuda" if want in ("auto", "gpu") else want
        if want != "auto":
            log.warning("OuteTTS: device %s requested but CUDA is not available; using the CPU", device)
    return "cpu"


def _dtype(name: str | None, device: str) -> Any:
    import torch

    name = name or "float32"
    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if name not in dtypes:
        raise SubvoxError(f"OuteTTS dtype must be one of {', '.join(dtypes)}, not {name!r}")
    if device == "cpu" and name == "float16":
        log.warning("OuteTTS: float16 on the CPU is slow or unsupported; using float32")
        name = "float32"
    return dtypes[name]


def generation_options(speaker: dict[str, Any], version: int) -> dict[str, Any]:
    gen = {**GENERATION_DEFAULTS, **(speaker.get("generation") or {})}
    if int(gen["max_length"]) > CONTEXT[version]:
        raise SubvoxError(
            f"OuteTTS generation.max_length {gen['max_length']} exceeds the interface V{version} models' "
            f"context of {CONTEXT[version]} tokens"
        )
    return gen


def model_config(outetts: Any, speaker: dict[str, Any], version: int, device: str, *, with_llm: bool) -> Any:
    tokenizer = _tokenizer_path(speaker) if with_llm or version == 1 else None
    return outetts.ModelConfig(
        model_path=_local_path(speaker, "model_path", "language model folder") if with_llm else None,
        tokenizer_path=tokenizer,
        interface_version=outetts.InterfaceVersion(version),
        backend=outetts.Backend.HF,
        audio_codec_path=_codec_path(speaker, version),
        device=device,
        dtype=_dtype(speaker.get("dtype"), device),
        max_seq_length=CONTEXT[version],
    )
