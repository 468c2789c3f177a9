"""The OuteTTS engine through the real outetts 0.4.4 ``Interface``, with tiny random models built here.

What this proves: profiles are built offline from a real clip and subvox's word timings, survive
JSON, reach the prompt the language model sees (V2 included, where outetts itself drops the
speaker), and generation and codec decoding give bounded, reproducible 24 kHz audio; the errors a
user can hit are one clear line. What it cannot prove: voice quality (the models are random).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import soundfile as sf

from subvox.errors import SubvoxError
from subvox.revoice.tts import outetts as engine
from subvox.revoice.tts.outetts.voice import v1_transcript_matching_words
from subvox.revoice.tts.registry import build_profile, list_voices, load_voice
from tests.helpers import clip

# What Whisper says about jfk.flac (word timings rounded from faster-whisper tiny.en, punctuation
# attached to words as Whisper does).
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)
JFK_WORDS = [
    ("And", 0.0, 0.74),
    ("so,", 0.74, 1.06),
    ("my", 1.06, 1.46),
    ("fellow", 1.46, 1.76),
    ("Americans,", 1.76, 2.26),
    ("ask", 2.26, 3.88),
    ("not", 3.88, 4.52),
    ("what", 4.52, 5.7),
    ("your", 5.7, 6.04),
    ("country", 6.04, 6.36),
    ("can", 6.36, 6.76),
    ("do", 6.76, 7.02),
    ("for", 7.02, 7.26),
    ("you,", 7.26, 8.02),
    ("ask", 8.02, 8.66),
    ("what", 8.66, 8.94),
    ("you", 8.94, 9.28),
    ("can", 9.28, 9.5),
    ("do", 9.5, 9.72),
    ("for", 9.72, 9.92),
    ("your", 9.92, 10.22),
    ("country.", 10.22, 10.52),
]
JFK_NORMALISED = ["and", "so", "my", "fellow", "americans"]
CUE = "Hello there, this is a test."
# Prompt with the 10.5 s reference: about 1,100 tokens (V1/V2), 2,050 (V3; two tokens per frame).
MAX_LENGTH = {1: 1300, 2: 1300, 3: 2400}


def _speaker(paths: dict, version: int, **extra) -> dict:
    return {
        **paths,
        "default": None,
        "reference": None,
        "transcript": None,
        "generation": {
            # The random model is sampled freely (real models use 0.1-0.4); everything else as configured.
            "temperature": 1.0,
            "repetition_penalty": 1.1,
            "max_length": MAX_LENGTH[version],
            "top_k": 40,
            "top_p": 0.9,
            "min_p": 0.05,
            "seed": 0,
        },
        **extra,
    }


@pytest.fixture(scope="module")
def jfk_wav(tmp_path_factory):
    data, rate = sf.read(clip("jfk").path, dtype="float32")
    path = tmp_path_factory.mktemp("ref") / "jfk.wav"
    sf.write(path, data, rate)
    return path


@pytest.fixture(scope="module")
def reference(jfk_wav):
    words = [{"word": w, "start": s, "end": e} for w, s, e in JFK_WORDS]
    return {"audio": str(jfk_wav), "text": JFK_TEXT, "words": words}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Tiny random OuteTTS models for V1, V2 (sharing one WavTokenizer) and V3, built once."""
    import torch

    from tests.outetts_fixtures import make_tiny_outetts

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: thread hand-offs cost more than they save on 2 cores
    root = tmp_path_factory.mktemp("outetts")
    v1 = make_tiny_outetts(root, 1)
    built = {1: v1, 2: make_tiny_outetts(root, 2, codec=v1["codec_path"]), 3: make_tiny_outetts(root, 3)}
    yield built
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cloned(models, reference):
    """version -> (speaker, JSON text of its profile, loaded voice), made once per version."""
    made: dict[int, tuple] = {}

    def get(version: int):
        if version not in made:
            speaker = _speaker(models[version], version, reference="jfk.wav")
            profile_json = json.dumps(build_profile(speaker, reference))
            made[version] = (speaker, profile_json, load_voice(speaker, json.loads(profile_json)))
        return made[version]

    return get


def _capture_prompts(voice) -> list[str]:
    """Decoded input of every call to the Hugging Face model's generate (what the model really sees)."""
    hf = voice.interface.model.model
    seen: list[str] = []
    original = hf.generate

    def generate(input_ids, *args, **kwargs):
        seen.append(voice.interface.prompt_processor.tokenizer.decode(input_ids[0]))
        return original(input_ids, *args, **kwargs)

    hf.generate = generate
    return seen


def _check_audio(voice, audio: np.ndarray, tmp_path) -> float:
    assert voice.sample_rate == 24000
    assert audio.dtype == np.float32 and audio.ndim == 1 and audio.size > 0
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0
    seconds = audio.size / voice.sample_rate
    # The tiny model writes only audio codes, so the cue runs until max_length: bounded by it.
    assert voice.last_truncated
    assert 0.5 < seconds <= voice.max_seconds(voice.last_prompt_tokens) + 0.02
    wav = tmp_path / "cue.wav"
    sf.write(wav, audio, voice.sample_rate)
    info = sf.info(wav)
    assert (info.samplerate, info.channels, info.frames) == (24000, 1, audio.size)
    return seconds


# --- fast: no model is loaded ---------------------------------------------------------------------


# outetts 0.3.3's speakers, shipped with subvox (outetts 0.4.4 has none for V1/V2); `male_1` = `en_male_1`
V1_VOICES = [
    *("en_female_1", "en_female_2", "en_male_1", "en_male_2", "en_male_3", "en_male_4"),
    *("ja_female_1", "ja_female_2", "ja_female_3", "ja_male_1"),
    *("ko_female_1", "ko_female_2", "ko_male_1", "ko_male_2", "zh_female_1", "zh_male_1"),
    *("female_1", "female_2", "male_1", "male_2", "male_3", "male_4"),
]
V2_VOICES = [
    *("de_male_1", "de_male_2", "en_female_1", "en_male_1", "en_male_2", "en_male_3"),
    *("fr_female_1", "fr_female_2", "fr_male_1", "fr_male_2", "jp_female_1", "jp_female_2", "jp_male_1"),
    *("ko_female_1", "zh_female_1", "zh_female_2", "zh_male_1", "zh_male_2"),
    *("female_1", "male_1", "male_2", "male_3"),
]
V1_FILES, V2_FILES = ([v for v in voices if not v.startswith(("male", "female"))] for voices in (V1_VOICES, V2_VOICES))


def test_builtin_voices_are_listed_without_loading_any_model():
    nowhere = {"model_path": "/nonexistent/llm", "codec_path": "/nonexistent/codec"}
    assert list_voices("outetts", {**nowhere, "interface_version": 3}) == ["en-female-1-neutral"]
    assert list_voices("outetts", {**nowhere, "interface_version": 1}) == sorted(V1_VOICES)
    assert list_voices("outetts", {**nowhere, "interface_version": 2}) == sorted(V2_VOICES)
    assert list_voices("outetts") == sorted({*V1_VOICES, *V2_VOICES, "en-female-1-neutral"})


def test_shipped_voices_carry_their_licence_and_origin():
    folder = engine.VOICES_DIR
    assert "Apache License" in (folder / "LICENSE").read_text() and "Version 2.0" in (folder / "LICENSE").read_text()
    notice = (folder / "NOTICE").read_text()
    assert "outetts-0.3.3-py3-none-any.whl" in notice and "OuteAI" in notice
    for version, files in ((1, V1_FILES), (2, V2_FILES)):
        assert sorted(p.stem for p in (folder / f"v{version}").iterdir()) == files
        for name in files:
            assert name in notice
            data = json.loads((folder / f"v{version}" / f"{name}.json").read_text(encoding="utf-8"))
            assert data["text"].strip() and data["words"]
            assert all(set(w) == {"word", "duration", "codes"} and w["codes"] for w in data["words"])
            assert all(0 <= c < 4096 for c in engine.speaker_codes(data, version))  # WavTokenizer codes


@pytest.mark.parametrize("version", [1, 2, 3])
def test_unknown_builtin_voice_is_one_line_naming_the_choices(version):
    speaker = {"engine": "outetts", "interface_version": version, "default": "male_9", "codec_path": "/nonexistent"}
    with pytest.raises(SubvoxError, match="unknown OuteTTS voice 'male_9'") as err:
        build_profile(speaker, None)
    message = str(err.value)
    assert "\n" not in message
    if version == 3:
        assert "available: en-female-1-neutral" in message
    else:
        available = message.split("available: ")[1].split(", ")
        assert available == sorted(V1_VOICES if version == 1 else V2_VOICES)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("name", ["male_1", "EN_MALE_1"])
def test_builtin_v1_v2_profile_is_built_offline_and_carries_the_speaker(version, name):
    """No model is needed (nonexistent paths): the profile holds 0.3.3's en_male_1 itself."""
    speaker = {"engine": "outetts", "interface_version": version, "default": name, "codec_path": "/nonexistent"}
    profile = json.loads(json.dumps(build_profile(speaker, None)))
    assert profile["engine"] == "outetts" and profile["interface_version"] == version
    assert profile["default"] == "en_male_1"
    shipped = json.loads((engine.VOICES_DIR / f"v{version}" / "en_male_1.json").read_text(encoding="utf-8"))
    assert profile["speaker"]["text"] == shipped["text"] and profile["speaker"]["words"] == shipped["words"]
    assert profile["speaker"]["interface_version"] == version


def test_v2_builtin_voices_fit_outetts_044_prompt_format():
    """Every shipped V2 speaker passes 0.4.4's word check (it raises on a mismatch); its codes reach the prompt."""
    engine.import_outetts()
    from outetts.version.v2.prompt_processor import PromptProcessor

    processor = PromptProcessor(None)  # no tokenizer needed to build the prompt text
    for name in V2_FILES:
        spk = build_profile({"engine": "outetts", "interface_version": 2, "default": name}, None)["speaker"]
        prompt = processor.get_completion_prompt(CUE, speaker=copy.deepcopy(spk))
        assert engine.prompt_codes(prompt, 2) == engine.speaker_codes(spk, 2) != [], name


def test_v3_refuses_a_reference_over_20_seconds(jfk_wav, reference, tmp_path):
    data, rate = sf.read(jfk_wav, dtype="float32")
    long = tmp_path / "jfk-twice.wav"
    sf.write(long, np.concatenate([data, data]), rate)  # 22 s
    speaker = {"engine": "outetts", "interface_version": 3, "codec_path": "/nonexistent", "model_path": "/nonexistent"}
    with pytest.raises(SubvoxError, match=r"22\.0 s; interface V3 takes at most 20 s"):
        build_profile(speaker, {**reference, "audio": str(long)})


def test_profile_of_another_interface_version_is_refused():
    speaker = {"engine": "outetts", "interface_version": 2, "model_path": "/nonexistent"}
    with pytest.raises(SubvoxError, match=r"built for interface_version 1.*rebuild"):
        load_voice(speaker, {"engine": "outetts", "interface_version": 1, "speaker": {"text": "", "words": []}})


def test_generation_longer_than_the_models_context_is_refused():
    speaker = {"engine": "outetts", "interface_version": 1, "generation": {"max_length": 8192}}
    with pytest.raises(SubvoxError, match="exceeds the interface V1 models' context of 4096"):
        load_voice(speaker, {"engine": "outetts", "interface_version": 1, "default": "x"})


# --- slow: the real outetts Interface with tiny random models -------------------------------------


@pytest.mark.slow
def test_local_paths_are_required_so_nothing_is_downloaded(models, reference):
    speaker = _speaker({**models[1], "codec_path": "OuteAI/wavtokenizer-large-75token-interface"}, 1)
    with pytest.raises(SubvoxError, match=r"codec_path.*not an existing folder"):
        build_profile(speaker, reference)


@pytest.mark.slow
@pytest.mark.parametrize("version", [1, 2, 3])
def test_cloned_voice_profile_round_trips_reaches_the_prompt_and_speaks(cloned, version, tmp_path):
    _, profile_json, voice = cloned(version)
    profile = json.loads(profile_json)
    assert profile["engine"] == "outetts" and profile["interface_version"] == version
    spk = profile["speaker"]
    words = [w["word"] for w in spk["words"]]
    # V1/V2 words are the model's normalised words; V3 keeps Whisper's (outetts normalises them itself)
    assert words[:5] == (["And", "so,", "my", "fellow", "Americans,"] if version == 3 else JFK_NORMALISED)
    codes = engine.speaker_codes(spk, version)
    # 75 codec frames per second: the clip's speech (0-10.5 s plus the margin kept after the last word)
    assert 10.4 * 75 <= len(codes) <= 11.0 * 75
    assert all(0 <= c < (1024 if version == 3 else 4096) for c in codes)
    if version == 3:
        assert [len(w["c1"]) for w in spk["words"]] == [len(w["c2"]) for w in spk["words"]]
        assert set(spk["global_features"]) == {"energy", "spectral_centroid", "pitch"}
    else:
        assert all(w["codes"] and w["duration"] == round(len(w["codes"]) / 75, 2) for w in spk["words"])

    prompts = _capture_prompts(voice)
    audio = voice.synthesize(CUE)
    [seen] = prompts
    assert engine.prompt_codes(seen, version) == codes  # every code of the clone, in order
    assert "americans" in seen.lower() and "test" in seen.lower()
    _check_audio(voice, audio, tmp_path)

    # Reproducible: the RNG is seeded from generation.seed on every call.
    assert np.array_equal(voice.synthesize(CUE), audio)


@pytest.mark.slow
def test_v2_speaker_reaches_the_prompt_although_outetts_drops_it(cloned):
    """outetts 0.4.4's own prepare_prompt puts a V2 speaker into the emotion slot: no audio codes."""
    _, profile_json, voice = cloned(2)
    codes = engine.speaker_codes(json.loads(profile_json)["speaker"], 2)
    tokenizer = voice.interface.prompt_processor.tokenizer
    upstream = tokenizer.decode(voice.interface.prepare_prompt(CUE, voice.speaker)[0])
    assert engine.prompt_codes(upstream, 2) == [] and "voice_characteristic_start" in upstream
    assert engine.prompt_codes(voice.prompt(CUE), 2) == codes


@pytest.mark.slow
@pytest.mark.parametrize("version", [1, 3])
def test_codes_the_codec_cannot_decode_are_banned(cloned, version):
    voice = cloned(version)[2]
    banned = sorted(voice.interface.prompt_processor.tokenizer.decode(ids) for ids in voice._banned)
    if version == 3:
        assert banned == ["<|c1_1024|>", "<|c2_1024|>"]
    else:
        assert banned == ["<|4096|>", "<|4097|>", "<|4098|>", "<|4099|>"]


@pytest.mark.slow
def test_prompt_over_max_length_fails_clearly(cloned):
    voice = cloned(1)[2]
    prompt_tokens = voice.interface._prepare_prompt(voice.prompt(CUE)).shape[-1]
    saved = voice.generation
    voice.generation = {**saved, "max_length": prompt_tokens}
    try:
        with pytest.raises(SubvoxError, match=rf"is {prompt_tokens} tokens .* at or over generation.max_length"):
            voice.synthesize(CUE)
    finally:
        voice.generation = saved


@pytest.mark.slow
def test_v3_builtin_voice_speaks(models, tmp_path):
    speaker = _speaker(models[3], 3, default="en-female-1-neutral")
    profile = build_profile(speaker, None)
    assert profile == {"engine": "outetts", "interface_version": 3, "default": "en-female-1-neutral"}
    voice = load_voice(speaker, json.loads(json.dumps(profile)))
    prompt_tokens = voice.interface._prepare_prompt(voice.prompt(CUE)).shape[-1]
    voice.generation["max_length"] = prompt_tokens + 300  # 2 s of audio
    prompts = _capture_prompts(voice)
    audio = voice.synthesize(CUE)
    builtin = voice.interface.load_default_speaker("en-female-1-neutral")
    assert engine.prompt_codes(prompts[0], 3) == engine.speaker_codes(builtin, 3) != []
    _check_audio(voice, audio, tmp_path)


@pytest.mark.slow
def test_v1_builtin_male_1_profile_round_trips_reaches_the_prompt_and_speaks(models, tmp_path):
    """The seed-era `default: male_1` with an OuteTTS-0.2-style (V1) model, offline."""
    speaker = _speaker(models[1], 1, default="male_1")
    profile_json = json.dumps(build_profile(speaker, None))
    profile = json.loads(profile_json)
    assert profile["default"] == "en_male_1" and profile["interface_version"] == 1
    codes = engine.speaker_codes(profile["speaker"], 1)
    assert len(codes) == 658  # en_male_1: 8.8 s of WavTokenizer codes
    voice = load_voice(speaker, json.loads(profile_json))
    prompt_tokens = voice.interface._prepare_prompt(voice.prompt(CUE)).shape[-1]
    voice.generation["max_length"] = prompt_tokens + 150  # 2 s of audio
    prompts = _capture_prompts(voice)
    audio = voice.synthesize(CUE)
    [seen] = prompts
    assert engine.prompt_codes(seen, 1) == codes  # every code of the built-in voice, in order
    # The prompt's text words are the speaker's words then the cue's (0.4.4 alone would split
    # en_male_1's "it's" into "it", "s" against the speaker's word "its").
    processor = voice.interface.prompt_processor
    text_words = seen.split("<|text_start|>")[1].split("<|text_end|>")[0].split("<|text_sep|>")
    words = [w["word"] for w in profile["speaker"]["words"]]
    assert "its" in words and text_words == words + processor.process_text(CUE)
    _check_audio(voice, audio, tmp_path)
    # Every shipped V1 voice gets a transcript that normalises to its own words.
    for name in V1_FILES:
        spk = build_profile({**speaker, "default": name}, None)["speaker"]
        aligned = v1_transcript_matching_words(processor, spk)
        assert processor.process_text(aligned["text"]) == [w["word"] for w in spk["words"]], name


# --- self-clones: each speaker of a file cloned from their own cleanest speech ---------------------


def _labelled_jfk_words(switch: float = 5.6) -> tuple[list[dict], list[dict]]:
    words = [
        {"word": " " + w, "start": s, "end": e, "probability": 0.9, "speaker": "S1" if e <= switch else "S2"}
        for w, s, e in JFK_WORDS
    ]
    turns = [{"start": 0.0, "end": switch, "speaker": "S1"}, {"start": switch, "end": 11.0, "speaker": "S2"}]
    return words, turns


def test_cleanest_span_keeps_to_one_speaker_alone_and_prefers_confident_words():
    from subvox.revoice.selfclone import cleanest_span

    words, turns = _labelled_jfk_words()
    s1, s2 = cleanest_span(words, "S1", turns), cleanest_span(words, "S2", turns)
    assert {w["speaker"] for w in s1} == {"S1"} and {w["speaker"] for w in s2} == {"S2"}
    assert s1[0]["word"] == " And" and s2[-1]["word"] == " country."
    overlapped = [*turns, {"start": 6.0, "end": 8.5, "speaker": "S1"}]  # S1 talks over S2's middle
    assert all(w["end"] <= 6.0 or w["start"] >= 8.5 for w in cleanest_span(words, "S2", overlapped))
    undiarized = [{k: v for k, v in w.items() if k != "speaker"} for w in words]
    assert cleanest_span(undiarized, None, [])[0]["start"] == 0.0, "10.5 s fit in 15: the whole file"
    twice = undiarized + [{**w, "start": w["start"] + 11.0, "end": w["end"] + 11.0} for w in undiarized]
    for w in twice[:8]:
        w["probability"] = 0.2  # an unsure start: among the 10-15 s stretches, a later one is cleaner
    span = cleanest_span(twice, None, [])
    assert span[0]["start"] >= twice[8]["start"] and 10.0 <= span[-1]["end"] - span[0]["start"] <= 15.0
    assert cleanest_span(words[:3], "S1", turns) == [], "under 3 s of clean speech: no clone"


@pytest.mark.slow
def test_self_clones_of_two_speakers_share_one_interface_and_differ(models, jfk_wav, tmp_path):
    from subvox.revoice.selfclone import SelfClones

    audio, rate = sf.read(jfk_wav, dtype="float32")
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    words, turns = _labelled_jfk_words()
    clones = SelfClones(_speaker(models[1], 1, self_clone=True), "cpu")
    first = clones.voice(words, "S1", turns, mono, rate, str(tmp_path))
    second = clones.voice(words, "S2", turns, mono, rate, str(tmp_path))
    assert second.interface is first.interface, "the model loads once per job"
    assert engine.speaker_codes(first.speaker, 1) != engine.speaker_codes(second.speaker, 1)
    assert [w["word"] for w in first.speaker["words"]][:2] == ["and", "so"]
    _check_audio(second, second.synthesize(CUE), tmp_path)
