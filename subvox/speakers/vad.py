"""Speech activity from Silero VAD (the ONNX model bundled in faster-whisper), streamed.

faster-whisper's ``get_speech_timestamps`` scores a whole array at once; here the same
model runs over one block at a time, carrying its LSTM state and 64-sample context
across blocks, so a 3-hour file costs no more memory than a 3-minute one and gives the
same probabilities as one long call. The thresholds are low with hysteresis (onset /
offset) because distant, quiet meeting speech scores well below Silero's usual 0.5.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

from subvox.media.ffmpeg import release_map
from subvox.speakers.audio import SAMPLE_RATE, blocks, read

FRAME = 512  # samples per Silero frame at 16 kHz (32 ms)
CONTEXT = 64  # samples of the previous frame the v6 model sees
FRAME_S = FRAME / SAMPLE_RATE


def model_path() -> str:
    """``silero_vad_v6.onnx`` inside the installed faster-whisper, found without importing it
    (its package imports PyAV, CTranslate2 and tokenizers: about 130 MB this job does not need)."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("faster-whisper is not installed (its wheel carries the Silero VAD model)")
    return os.path.join(next(iter(spec.submodule_search_locations)), "assets", "silero_vad_v6.onnx")


@functools.lru_cache(maxsize=1)
def _session():  # type: ignore[no-untyped-def]
    """One single-threaded ONNX session (deterministic, and the jobs run in parallel anyway)."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.enable_cpu_mem_arena = False
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(model_path(), providers=["CPUExecutionProvider"], sess_options=opts)


def speech_probabilities(audio: np.ndarray, block_s: float = 30.0) -> np.ndarray:
    """Silero speech probability of every 32-ms frame of 16-kHz mono ``audio`` (int16 or float)."""
    n_frames = -(-len(audio) // FRAME)
    out = np.zeros(n_frames, dtype=np.float32)
    if n_frames == 0:
        return out
    session = _session()
    h = np.zeros((1, 1, 128), dtype=np.float32)
    c = np.zeros((1, 1, 128), dtype=np.float32)
    context = np.zeros(CONTEXT, dtype=np.float32)
    size = int(block_s * SAMPLE_RATE) // FRAME * FRAME
    for start, end in blocks(len(audio), size):
        x = read(audio, start, end)
        release_map(audio)
        x = np.pad(x, (0, -len(x) % FRAME)).reshape(-1, FRAME)
        ctx = np.concatenate([context[None], x[:-1, -CONTEXT:]], axis=0)
        context = x[-1, -CONTEXT:].copy()
        probs, h, c = session.run(None, {"input": np.concatenate([ctx, x], axis=1), "h": h, "c": c})
        out[start // FRAME : start // FRAME + len(x)] = np.asarray(probs).reshape(-1)
    return out


def speech_regions(
    probs: np.ndarray,
    onset: float = 0.5,
    offset: float = 0.35,
    min_speech_s: float = 0.25,
    min_silence_s: float = 0.3,
    pad_s: float = 0.1,
    duration: float | None = None,
) -> list[tuple[float, float]]:
    """Speech spans in seconds from frame probabilities, by hysteresis.

    A span opens when a frame reaches ``onset`` and closes at the first frame below
    ``offset``; gaps shorter than ``min_silence_s`` are bridged, spans shorter than
    ``min_speech_s`` dropped, and the rest padded by ``pad_s`` (clipped to ``duration``).
    """
    spans: list[list[float]] = []
    active, start = False, 0
    for i, p in enumerate(probs):
        if not active and p >= onset:
            active, start = True, i
        elif active and p < offset:
            spans.append([start * FRAME_S, i * FRAME_S])
            active = False
    if active:
        spans.append([start * FRAME_S, len(probs) * FRAME_S])
    merged: list[list[float]] = []
    for s, e in spans:
        if merged and s - merged[-1][1] < min_silence_s:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    end_limit = duration if duration is not None else len(probs) * FRAME_S
    out: list[tuple[float, float]] = []
    for s, e in merged:
        if e - s < min_speech_s:
            continue
        s, e = max(0.0, s - pad_s), min(end_limit, e + pad_s)
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
