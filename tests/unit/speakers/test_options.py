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


def test_the_diarizer_hears_its_own_share_of_the_enhanced_signal_when_asked():
    from subvox.config import validate_config
    from subvox.library.layout import fingerprints
    from subvox.speakers.job import heard_audio, options_from

    def config(audio: dict, diarization: dict) -> dict:
        return validate_config(
            {"input_dir": "i", "output_dir": "o", "audio": audio, "diarization": {"enabled": True, **diarization}}
        )

    asr_mix = config({"enhance": "vocals"}, {})
    own_mix = config({"enhance": "vocals"}, {"enhance_mix": 1.0})
    assert heard_audio(asr_mix) is asr_mix["audio"] and asr_mix["audio"]["enhance_mix"] == 0.5
    assert heard_audio(own_mix) == {**own_mix["audio"], "enhance_mix": 1.0}
    assert options_from(own_mix["diarization"], 2) == options_from(asr_mix["diarization"], 2)

    def turns_fp(audio: dict, diarization: dict) -> str:
        return fingerprints(config(audio, diarization), {"name": "m"}).speakers

    assert turns_fp({}, {"enhance_mix": 1.0}) == turns_fp({}, {}), "no enhancement: the share changes nothing"
    assert turns_fp({"enhance": "vocals"}, {"enhance_mix": None}) == turns_fp({"enhance": "vocals"}, {})
    assert turns_fp({"enhance": "vocals"}, {"enhance_mix": 1.0}) != turns_fp({"enhance": "vocals"}, {})
    assert fingerprints(own_mix, {"name": "m"}).asr == fingerprints(asr_mix, {"name": "m"}).asr, "ASR untouched"


def test_a_missing_enrolled_clip_is_named_at_start_up(tmp_path):
    from subvox.errors import SubvoxError
    from subvox.speakers.enroll import check_enroll

    clip = tmp_path / "alice.wav"
    clip.write_bytes(b"RIFF")
    check_enroll({"alice": [str(clip)]})
    with pytest.raises(SubvoxError, match=r"bob: .*nobody\.wav: no such readable file"):
        check_enroll({"alice": [str(clip)], "bob": [str(tmp_path / "nobody.wav")]})
