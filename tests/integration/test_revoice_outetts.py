"""A cloned OuteTTS speaker through the same rules, with tiny random models of the real architecture.

The models are random, so the dub is noise: this proves the plumbing (profile built once from
subvox's own Whisper word timings of the reference clip, offline; the real outetts Interface
driven per cue; the dub placed, written and checked), not voice quality.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest
import soundfile

from subvox.revoice.profiles import build
from tests.helpers import clip, copy, make_audio, snakemake, write_config
from tests.outetts_fixtures import make_tiny_outetts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cloned_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("outetts")
    models = make_tiny_outetts(work / "tiny", 1)
    reference = make_audio(clip("jfk").path, work / "voices" / "jfk reference.wav")  # 11 s, a space in the name
    media = work / "media"
    copy(clip("coqui_LJ001-0002").path, media / "a.flac")
    make_audio(clip("coqui_LJ001-0002").path, media / "b.wav")  # one short cue each: the tiny model is slow
    speaker = {
        "engine": "outetts",
        "reference": str(reference),
        "model_path": models["model_path"],
        "codec_path": models["codec_path"],
        "interface_version": 1,
        "device": "cpu",
        "generation": {"max_length": 1250},  # the random model never stops: ~130 tokens per cue
    }
    write_config(
        work,
        input_dir=str(media),
        output_dir=str(work / "out"),
        models_dir=str(work / "models"),
        batch_size=1,  # two revoice jobs share one profile
        revoice={"enabled": True, "speaker": "clone"},
        speakers={"clone": speaker},
    )
    proc = snakemake(work, timeout=1200)
    return work, work / "out", reference, speaker, proc


def test_profile_is_built_once_offline_from_whisper_word_timings(cloned_run):
    _, out, reference, _, _ = cloned_run
    profile = json.loads((out / "_subvox" / "speakers" / "clone.json").read_text())
    assert profile["engine"] == "outetts" and profile["interface_version"] == 1 and profile["name"] == "clone"
    assert profile["reference"]["sha256"] == hashlib.sha256(reference.read_bytes()).hexdigest()
    words = profile["reference"]["words"]
    assert "fellow Americans" in profile["reference"]["text"] and len(words) >= 20
    assert all(a["end"] <= b["start"] + 1e-3 for a, b in itertools.pairwise(words)), "word times in order"
    logs = list((out / "_subvox" / "logs" / "speaker_profile").glob("*.log"))
    assert [p.name for p in logs] == ["clone.log"]
    assert len(list((out / "_subvox" / "logs" / "revoice").glob("*.log"))) == 2


def test_cloned_dubs_are_written_with_the_sources_length_and_checked(cloned_run):
    _, out, _, _, _ = cloned_run
    for stem, src in (("a", clip("coqui_LJ001-0002").path), ("b", clip("coqui_LJ001-0002").path)):
        info, source = soundfile.info(str(out / f"{stem}.revoiced.wav")), soundfile.info(str(src))
        assert info.samplerate == source.samplerate and info.frames == source.frames
        qa = json.loads((out / "_subvox" / "qa" / f"{stem}.revoice.json").read_text())
        assert qa["engine"] == "outetts" and qa["cues"] >= 1
        assert "roundtrip_wer" in qa and "similarity_to_reference" in qa


def test_a_profile_ships_as_json_without_the_reference_clip(cloned_run, tmp_path):
    _, out, _, speaker, _ = cloned_run
    shipped = tmp_path / "clone.json"
    shipped.write_bytes((out / "_subvox" / "speakers" / "clone.json").read_bytes())
    elsewhere = {**speaker, "reference": None, "profile": str(shipped)}
    profile = build("clone", elsewhere, model=None)
    assert profile["name"] == "clone" and profile["reference"]["words"]
