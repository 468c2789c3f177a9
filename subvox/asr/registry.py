"""Which ASR backend a name means, loaded lazily: the backends depend on the interface, not the reverse.

A job names its backend in the config; only that backend's module (and its heavy
library: CTranslate2, torch, pywhispercpp) is imported, and only when the first file
actually needs transcribing.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from dataclasses import dataclass

from subvox.asr.base import Transcriber
from subvox.errors import SubvoxError

log = logging.getLogger("subvox")

# backend name -> (module, class); the class takes (path, name, device, compute_type, threads)
BACKENDS = {
    "faster-whisper": ("subvox.asr.faster", "FasterWhisperTranscriber"),
    "openai-whisper": ("subvox.asr.openai", "OpenAIWhisperTranscriber"),
    "whisper.cpp": ("subvox.asr.whispercpp", "WhisperCppTranscriber"),
}


def resolve_device(device: str) -> str:
    """'auto' becomes 'cuda' when a CUDA device is visible, else 'cpu'."""
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:
        return "cpu"


def load_transcriber(
    backend: str, model_path: str, model_name: str, device: str = "cpu", compute_type: str = "int8", threads: int = 1
) -> Transcriber:
    """Load a backend's model once; the returned object is reused for every file of the job."""
    try:
        module, cls = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown ASR backend {backend!r} (known: {', '.join(BACKENDS)})") from None
    factory = getattr(importlib.import_module(module), cls)
    return factory(model_path, model_name, resolve_device(device), compute_type, threads)


@dataclass
class ModelSpec:
    """How to load the ASR model, lazily (a batch with nothing to transcribe never loads it)."""

    backend: str
    path: str
    name: str
    device: str
    compute_type: str
    threads: int
    _model: Transcriber | None = None

    def get(self) -> Transcriber:
        if self._model is None:
            if not os.path.exists(self.path):  # e.g. models_dir not copied to an offline node
                raise SubvoxError(
                    f"model {self.name!r} not found at {self.path}; stage it first with: snakemake -c1 models"
                    " (on a machine with internet add --config offline=false), then copy models_dir to the nodes"
                )
            t0 = time.perf_counter()
            self._model = load_transcriber(
                self.backend, self.path, self.name, self.device, self.compute_type, self.threads
            )
            log.info("loaded %s %s in %.2f s", self.backend, self.name, time.perf_counter() - t0)
        return self._model
