"""Speaker diarization: who spoke when (issue #16).

    from subvox.speakers import DiarizationOptions, load_diarizer, write_rttm
    diarizer = load_diarizer("resemblyzer")
    turns = diarizer.diarize(samples, DiarizationOptions.from_config(cfg))

Only the interface is imported here; engines (torch, onnxruntime) load on first use.
"""

from subvox.speakers.base import DiarizationOptions, Diarizer, Turn
from subvox.speakers.registry import ENGINES, load_diarizer
from subvox.speakers.rttm import format_rttm, read_rttm, write_rttm

__all__ = [
    "ENGINES",
    "DiarizationOptions",
    "Diarizer",
    "Turn",
    "format_rttm",
    "load_diarizer",
    "read_rttm",
    "write_rttm",
]
