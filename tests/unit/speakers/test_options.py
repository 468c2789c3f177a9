"""Options, registry and the lazy-import promise of the interface."""

from __future__ import annotations

import subprocess
import sys

import pytest

from subvox.speakers import ENGINES, DiarizationOptions, load_diarizer


def test_from_config_takes_known_keys_and_skips_engine():
    opts = DiarizationOptions.from_config({"engine": "resemblyzer", "num_speakers": 2, "threshold": 0.4})
    assert opts.num_speakers == 2 and opts.threshold == 0.4
    assert DiarizationOptions.from_config(None) == DiarizationOptions()


def test_from_config_refuses_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="treshold"):
        DiarizationOptions.from_config({"treshold": 0.4})
    with pytest.raises(ValueError):
        DiarizationOptions(min_speakers=3, max_speakers=2)
    with pytest.raises(ValueError):
        DiarizationOptions(num_speakers=0)
    with pytest.raises(ValueError):
        DiarizationOptions(vad_onset=0.2, vad_offset=0.5)


def test_unknown_engine():
    assert "resemblyzer" in ENGINES
    with pytest.raises(ValueError, match="unknown diarization engine"):
        load_diarizer("nope")


def test_interface_import_is_light():
    """Importing the interface (and creating an engine) must not pull torch or onnxruntime."""
    code = (
        "import sys; from subvox.speakers import load_diarizer, DiarizationOptions; load_diarizer();"
        "print(sorted(m for m in ('torch', 'onnxruntime', 'faster_whisper', 'librosa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
