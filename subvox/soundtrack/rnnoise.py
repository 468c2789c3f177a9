"""RNNoise speech enhancement through ``librnnoise.so`` from the ``pyrnnoise`` wheel (model
compiled in). The library is loaded by path with ctypes: pyrnnoise's own Python package
imports audiolab (an FFmpeg binding) that subvox does not need.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.soundtrack.base import Enhancer

RATE = 48000
SCALE = 32768.0  # RNNoise works on 16-bit-scaled floats
DELAY = 960  # two frames (measured by cross-correlation on speech, tested)


class RNNoise(Enhancer):
    name = "rnnoise"
    sample_rate = RATE
    delay = DELAY

    def __init__(self) -> None:
        spec = importlib.util.find_spec("pyrnnoise")
        path = Path(spec.submodule_search_locations[0]) / "librnnoise.so" if spec else None
        if path is None or not path.is_file():
            raise SubvoxError("audio.enhance rnnoise needs pyrnnoise (envs/requirements-nodeps.txt)")
        lib = ctypes.CDLL(str(path))
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_get_frame_size.restype = ctypes.c_int
        floats = ctypes.POINTER(ctypes.c_float)
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        self._lib, self._state, self.path = lib, None, path
        self.frame = int(lib.rnnoise_get_frame_size())
        self.reset()

    def reset(self) -> None:
        self.close()
        self._state = self._lib.rnnoise_create(None)

    def frames(self, audio: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(audio, dtype=np.float32) * SCALE
        out = np.empty_like(x)
        f = ctypes.POINTER(ctypes.c_float)
        for i in range(0, x.size, self.frame):
            self._lib.rnnoise_process_frame(self._state, out[i:].ctypes.data_as(f), x[i:].ctypes.data_as(f))
        return out / SCALE

    def _free(self, state: int) -> None:
        self._lib.rnnoise_destroy(state)

    def identity(self) -> dict[str, Any]:
        return {"enhancer": self.name, "library": self.path.name}
