import pytest

from subvox.config import load_config, load_yaml, merge, validate_config
from subvox.errors import SubvoxError
from tests.helpers import REPO


def minimal(**extra):
    return {"input_dir": "in", "output_dir": "out", **extra}


def test_defaults_are_filled_in_nested_sections():
    config = validate_config(minimal())
    assert config["asr"]["backend"] == "faster-whisper"
    assert config["asr"]["model"] == "tiny.en"
    assert config["asr"]["vad"]["enabled"] is True
    assert config["audio"]["sample_rate"] == 16000
    assert "mp4" in config["discovery"]["extensions"]
    assert config["resources"]["subtitles"]["threads"] >= 1


def test_bundled_config_is_valid():
    config = load_config(REPO / "config" / "config.yaml")
    assert config["asr"]["backend"] in ("faster-whisper", "openai-whisper")


def test_user_values_are_kept():
    config = validate_config(minimal(asr={"backend": "openai-whisper", "beam_size": 2, "vad": {"enabled": False}}))
    assert config["asr"]["backend"] == "openai-whisper"
    assert config["asr"]["beam_size"] == 2
    assert config["asr"]["vad"] == {
        "enabled": False,
        "threshold": 0.5,
        "min_speech_duration_ms": 250,
        "min_silence_duration_ms": 2000,
        "speech_pad_ms": 400,
        "max_piece_s": 30,
    }


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (minimal(asr={"modle": "tiny"}), "unknown key 'asr.modle' (did you mean 'model'?)"),
        (minimal(outptu_dir="x"), "unknown key 'outptu_dir' (did you mean 'output_dir'?)"),
        (minimal(asr={"beam_size": "five"}), "asr.beam_size: 'five' is not of type 'integer'"),
        (minimal(asr={"backend": "whisperx"}), "asr.backend: 'whisperx' is not one of"),
        (minimal(asr={"task": "summarise"}), "asr.task: 'summarise' is not one of"),
        (minimal(asr={"language": "English"}), "asr.language: 'English' does not match"),
        (minimal(asr={"vad": {"treshold": 0.3}}), "unknown key 'asr.vad.treshold' (did you mean 'threshold'?)"),
        (minimal(audio={"sample_rate": 100}), "audio.sample_rate: 100 is less than the minimum"),
        ({"input_dir": "in"}, "'output_dir' is a required property"),
    ],
)
def test_bad_config_names_the_key(config, expected):
    with pytest.raises(SubvoxError) as err:
        validate_config(config)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_temperature_accepts_scalar_or_schedule():
    assert validate_config(minimal(asr={"temperature": 0}))["asr"]["temperature"] == 0
    assert validate_config(minimal(asr={"temperature": [0, 0.5]}))["asr"]["temperature"] == [0, 0.5]
    with pytest.raises(SubvoxError, match=r"asr\.temperature"):
        validate_config(minimal(asr={"temperature": "hot"}))


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("input_dir: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(SubvoxError, match="not valid YAML"):
        load_yaml(evil)
    assert not (tmp_path / "pwned").exists()


def test_merge_is_recursive_like_snakemake_config_overrides():
    base = {"asr": {"backend": "faster-whisper", "model": "tiny.en"}, "input_dir": "a"}
    merge(base, {"asr": {"backend": "openai-whisper"}, "input_dir": "b"})
    assert base == {"asr": {"backend": "openai-whisper", "model": "tiny.en"}, "input_dir": "b"}


def test_nested_command_line_strings_are_read_as_the_schema_types():
    """Snakemake hands nested --config values over as strings ('{enabled: true}' -> 'true')."""
    config = validate_config(
        {
            "input_dir": "i",
            "output_dir": "o",
            "revoice": {"enabled": "true", "max_stretch": "1.5"},
            "asr": {"beam_size": "1"},
        }
    )
    assert config["revoice"]["enabled"] is True and config["revoice"]["max_stretch"] == 1.5
    assert config["asr"]["beam_size"] == 1
    with pytest.raises(SubvoxError, match=r"revoice\.enabled: 'maybe' is not of type 'boolean'"):
        validate_config({"input_dir": "i", "output_dir": "o", "revoice": {"enabled": "maybe"}})
