"""OuteTTS (outetts 0.4.4, Hugging Face backend): re-voice cues in a built-in or cloned voice.

Interface versions: 1 = OuteTTS-0.1/0.2 models (0.2-500M is the original one), 2 = 0.3 models,
3 = 1.0 models. Versions 1 and 2 use the WavTokenizer codec (75 tokens per second of audio), version 3
uses DAC (75 frames per second, two codebooks: 150 tokens per second). All audio is 24 kHz.

Everything is local: the language model, tokenizer and codec are paths (checked to exist, since
outetts downloads whatever is not), ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set, and a
cloned voice is built from subvox's own Whisper word timings instead of ``Interface.create_speaker``
(which downloads torchaudio's MMS aligner and Whisper turbo).

outetts 0.4.4 quirks handled here:

* ``import outetts`` needs ``llama_cpp`` even for the HF backend; when llama-cpp-python is not
  installed (it compiles for minutes) a placeholder module stands in while outetts imports.
* V2's ``Interface.prepare_prompt`` passes the speaker positionally into ``get_completion_prompt``'s
  *emotion* slot, so the voice is silently lost; subvox builds the prompt itself with ``speaker=``
  and checks that the speaker's audio codes are in it.
* V3's ``get_completion_prompt`` appends a separator to the speaker's last word on every call; it
  gets a copy.
* ``torchaudio.load`` needs torchcodec since torchaudio 2.9; audio is read with soundfile instead.
* 0.4.4 ships a built-in voice only for V3 (``en-female-1-neutral``). The V1 and V2 speakers of
  outetts 0.3.3 (Apache-2.0, OuteAI) are shipped with subvox in ``outetts_voices/`` (origin in its
  NOTICE): V1 ``en_male_1``..``en_male_4``, ``en_female_1``, ``en_female_2`` and ja/ko/zh ones (the
  0.2-500M model's), V2 ``en_male_1``..``en_male_3``, ``en_female_1`` and de/fr/jp/ko/zh ones (the
  0.3 models'). A name without a language prefix is English, as in 0.3.3's default language:
  ``male_1`` = ``en_male_1``. Their profiles carry the speaker itself (self-contained JSON).
* 0.4.4's V1 text normaliser runs MeCab word segmentation on every language (0.3.3: only on
  ja/ko/zh), which splits contractions (``it's``: ``it``, ``s``; 0.3.3's speaker word is ``its``), so
  the prompt's text and audio words would disagree for some 0.3.3 speakers; a V1 speaker whose
  transcript does not normalise to its own words is given its words as transcript.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import os
import re
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError

ENGINE = "outetts"
VERSIONS = (1, 2, 3)
CONTEXT = {1: 4096, 2: 4096, 3: 8192}  # tokens the models were trained with
FRAMES_PER_SECOND = 75  # codec frames per second of audio (WavTokenizer and DAC 24 kHz)
TOKENS_PER_FRAME = {1: 1, 2: 1, 3: 2}  # V3 writes two codebook tokens per frame
MAX_REFERENCE_SECONDS = {3: 20.0}  # outetts refuses longer V3 reference clips
WORD_MARGIN_FRAMES = 20  # context kept before the first / after the last word (as outetts's V3 does)
GENERATION_DEFAULTS = {
    "temperature": 0.1,
    "repetition_penalty": 1.1,
    "max_length": 4096,
    "top_k": 40,
    "top_p": 0.9,
    "min_p": 0.05,
    "seed": 0,
}
INSTALL_HINT = "install it with `pip install --no-deps -r envs/requirements-outetts.txt` (see that file)"

log = logging.getLogger("subvox")


# --- importing outetts ---------------------------------------------------------------------------


def _llama_cpp_placeholder() -> types.ModuleType:
    def unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise SubvoxError("OuteTTS's llama.cpp backend is not installed; subvox uses the Hugging Face backend")

    mod = types.ModuleType("llama_cpp")
    mod.__version__ = "0.0.0"  # type: ignore[attr-defined]
    mod.Llama = unavailable  # type: ignore[attr-defined]
    mod.llama_token_is_eog = unavailable  # type: ignore[attr-defined]
    return mod


def import_outetts() -> Any:
    """``import outetts`` offline, without llama-cpp-python; a clear SubvoxError when it cannot."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if "outetts" in sys.modules:
        return sys.modules["outetts"]
    try:
        from loguru import logger

        logger.disable("outetts")  # one INFO line per generation otherwise; failures raise anyway
    except ImportError:
        pass  # reported below, by the import of outetts itself
    placeholder = None
    if importlib.util.find_spec("llama_cpp") is None:
        placeholder = sys.modules["llama_cpp"] = _llama_cpp_placeholder()
    try:
        import outetts
    except ImportError as exc:
        raise SubvoxError(f"OuteTTS (outetts 0.4.4) does not import: {exc}; {INSTALL_HINT}") from exc
    except OSError as exc:  # typically torchaudio's CUDA-linked extension on a CPU-only torch
        raise SubvoxError(
            f"OuteTTS does not import because a compiled library fails to load ({exc}); with a CPU-only torch, "
            f"torchaudio's CUDA-linked extension must be removed: {INSTALL_HINT}"
        ) from exc
    finally:
        if placeholder is not None and sys.modules.get("llama_cpp") is placeholder:
            del sys.modules["llama_cpp"]
    _share_uroman()
    return outetts


def _share_uroman() -> None:
    """One ``uroman.Uroman()`` per process: each V1/V2 prompt or text processor builds one, 10 s of file loading."""
    import uroman

    if getattr(uroman.Uroman, "_subvox_shared", False):
        return
    original = uroman.Uroman
    shared: list[Any] = []

    def uroman_once(*args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(*args, **kwargs)
        if not shared:
            shared.append(original())
        return shared[0]

    uroman_once._subvox_shared = True  # type: ignore[attr-defined]
    uroman.Uroman = uroman_once


# --- speaker settings ----------------------------------------------------------------------------


def _version(speaker: dict[str, Any]) -> int:
    version = speaker.get("interface_version", 1)
    if version not in VERSIONS:
        raise SubvoxError(f"OuteTTS interface_version must be one of 1, 2, 3, not {version!r}")
    return int(version)


def _local_path(speaker: dict[str, Any], key: str, what: str, *, file: bool = False) -> str:
    value = speaker.get(key)
    if not value:
        raise SubvoxError(f"OuteTTS speaker needs `{key}`: the local {what} (nothing is downloaded)")
    path = Path(str(value)).expanduser()
    if not (path.is_file() if file else path.is_dir()):
        kind = "file" if file else "folder"
        raise SubvoxError(f"OuteTTS `{key}` {value} is not an existing {kind}: it must be the local {what}")
    return str(path)


def _codec_path(speaker: dict[str, Any], version: int) -> str:
    if version == 3:
        return _local_path(speaker, "codec_path", "DAC weights file (e.g. weights_24khz_1.5kbps_v1.0.pth)", file=True)
    path = _local_path(speaker, "codec_path", "WavTokenizer folder (with encoder/ and decoder/)")
    missing = [sub for sub in ("encoder", "decoder") if not (Path(path) / sub).is_dir()]
    if missing:
        raise SubvoxError(f"OuteTTS codec_path {path} lacks {' and '.join(missing)}/: not a WavTokenizer folder")
    return path


def _tokenizer_path(speaker: dict[str, Any]) -> str:
    key = "tokenizer_path" if speaker.get("tokenizer_path") else "model_path"
    return _local_path(speaker, key, "tokenizer folder")


def _device(device: str | None) -> str:
    import torch

    want = (device or "cpu").lower()
    if want in ("auto", "gpu") or want.startswith("cuda"):
        if torch.cuda.is_available():
            return "cuda" if want in ("auto", "gpu") else want
        if want != "auto":
            log.warning("OuteTTS: device %s requested but CUDA is not available; using the CPU", device)
    return "cpu"


def _dtype(name: str | None, device: str) -> Any:
    import torch

    name = name or "float32"
    dtypes = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if name not in dtypes:
        raise SubvoxError(f"OuteTTS dtype must be one of {', '.join(dtypes)}, not {name!r}")
    if device == "cpu" and name == "float16":
        log.warning("OuteTTS: float16 on the CPU is slow or unsupported; using float32")
        name = "float32"
    return dtypes[name]


def _generation(speaker: dict[str, Any], version: int) -> dict[str, Any]:
    gen = {**GENERATION_DEFAULTS, **(speaker.get("generation") or {})}
    if int(gen["max_length"]) > CONTEXT[version]:
        raise SubvoxError(
            f"OuteTTS generation.max_length {gen['max_length']} exceeds the interface V{version} models' "
            f"context of {CONTEXT[version]} tokens"
        )
    return gen


def _model_config(outetts: Any, speaker: dict[str, Any], version: int, device: str, *, with_llm: bool) -> Any:
    tokenizer = _tokenizer_path(speaker) if with_llm or version == 1 else None
    return outetts.ModelConfig(
        model_path=_local_path(speaker, "model_path", "language model folder") if with_llm else None,
        tokenizer_path=tokenizer,
        interface_version=outetts.InterfaceVersion(version),
        backend=outetts.Backend.HF,
        audio_codec_path=_codec_path(speaker, version),
        device=device,
        dtype=_dtype(speaker.get("dtype"), device),
        max_seq_length=CONTEXT[version],
    )


# --- built-in voices -----------------------------------------------------------------------------


VOICES_DIR = Path(__file__).with_name("outetts_voices")  # V1/V2 speakers of outetts 0.3.3 (see its NOTICE)
ALIAS_LANGUAGE = "en"  # `male_1` = `en_male_1`, as with outetts 0.3.3's default language


def _builtin_files(version: int) -> dict[str, Path]:
    """Built-in voice name (0.3.3's, plus the English short alias) -> speaker JSON, for V1/V2."""
    files = {p.stem: p for p in sorted((VOICES_DIR / f"v{version}").glob("*.json"))}
    prefix = f"{ALIAS_LANGUAGE}_"
    aliases = {name[len(prefix) :]: path for name, path in files.items() if name.startswith(prefix)}
    return {**aliases, **files}


def _default_speakers(version: int) -> list[str]:
    """Built-in voices for ``version``: subvox's copies of outetts 0.3.3's (V1/V2), outetts 0.4.4's own (V3)."""
    if version != 3:
        return sorted(_builtin_files(version))
    spec = importlib.util.find_spec("outetts")
    if spec is None or not spec.submodule_search_locations:
        raise SubvoxError(f"OuteTTS (outetts 0.4.4) is not installed; {INSTALL_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "version" / "v3" / "default_speakers" / "json"
    return sorted(p.stem for p in folder.glob("*.json"))


def _builtin_speaker(version: int, name: str) -> dict[str, Any]:
    """The speaker (text, words with durations and codes) of a shipped V1/V2 built-in voice."""
    path = _builtin_files(version).get(name)
    if path is None:
        raise SubvoxError(f"unknown OuteTTS voice {name!r} for interface_version {version}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SubvoxError(f"OuteTTS built-in voice {name!r}: cannot read {path} ({exc})") from exc
    return {**data, "interface_version": version}


def list_voices(speaker: dict[str, Any]) -> list[str]:
    """Built-in voices of the speaker's interface version (all versions when none is given)."""
    versions = [_version(speaker)] if speaker.get("interface_version") is not None else list(VERSIONS)
    return sorted({name for version in versions for name in _default_speakers(version)})


# --- cloned voices -------------------------------------------------------------------------------


def _read_audio(path: str) -> tuple[Any, int]:
    """(channels x samples float32 tensor, sample rate) read with soundfile."""
    import soundfile as sf
    import torch

    try:
        data, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise SubvoxError(f"OuteTTS reference clip {path}: cannot read it ({exc})") from exc
    if data.shape[0] == 0:
        raise SubvoxError(f"OuteTTS reference clip {path} is empty")
    return torch.from_numpy(np.ascontiguousarray(data.T)), int(sr)


def _check_reference(reference: dict[str, Any], version: int) -> dict[str, Any]:
    audio = str(reference.get("audio") or "")
    if not Path(audio).is_file():
        raise SubvoxError(f"OuteTTS reference clip {audio or '(none)'} does not exist")
    words = []
    for w in reference.get("words") or []:
        text = str(w.get("word", "")).strip()
        if text:
            start, end = float(w["start"]), float(w["end"])
            words.append({"word": text, "start": start, "end": max(start, end)})
    if not words:
        raise SubvoxError(f"OuteTTS reference clip {audio}: no word timings (is it speech?)")
    import soundfile as sf

    try:
        seconds = sf.info(audio).duration
    except Exception as exc:
        raise SubvoxError(f"OuteTTS reference clip {audio}: cannot read it ({exc})") from exc
    limit = MAX_REFERENCE_SECONDS.get(version)
    if limit is not None and seconds > limit:
        raise SubvoxError(
            f"OuteTTS reference clip {audio} is {seconds:.1f} s; interface V{version} takes at most {limit:.0f} s"
            " (10-15 s is best): use a shorter clip"
        )
    text = str(reference.get("text") or "").strip() or " ".join(w["word"] for w in words)
    return {"audio": audio, "text": text, "words": words, "seconds": seconds}


def _split_words(words: list[dict[str, Any]], normalise: Any) -> list[tuple[str, float, float]]:
    """Whisper words -> the model's normalised words, splitting a word's time span by letters."""
    out = []
    for w in words:
        parts = normalise(w["word"])
        total = sum(len(p) for p in parts) or 1
        t = w["start"]
        for p in parts:
            end = t + (w["end"] - w["start"]) * len(p) / total
            out.append((p, t, end))
            t = end
    return out


def _word_frames(spans: list[tuple[float, float]], n_frames: int) -> list[tuple[int, int]]:
    """Contiguous [start, end) codec frames per word (at least one each), with margins at both ends."""
    fps = FRAMES_PER_SECOND
    start = min(max(0, int(spans[0][0] * fps) - WORD_MARGIN_FRAMES), max(n_frames - 1, 0))
    frames = []
    for i, (_, end_s) in enumerate(spans):
        if i == len(spans) - 1:
            end = min(n_frames, int(end_s * fps) + WORD_MARGIN_FRAMES)
        else:
            end = min(n_frames, int(end_s * fps))
        if end <= start:
            start = min(start, n_frames - 1)
            end = start + 1
        frames.append((start, end))
        start = end
    return frames


def _speaker_v12(cfg: Any, version: int, ref: dict[str, Any]) -> dict[str, Any]:
    """A V1/V2 speaker, as outetts's ``create_speaker`` makes it, from subvox's word timings."""
    import torch

    if version == 1:
        processor = cfg.prompt_processor(cfg.tokenizer_path)

        def normalise(text: str) -> list[str]:
            return processor.process_text(text)

    else:
        from outetts.version.v2.text_processor import TextProcessor

        processor = TextProcessor()

        def normalise(text: str) -> list[str]:
            return [w["word"] for w in processor.process_text(text)]

    words = _split_words(ref["words"], normalise)
    if not words:
        raise SubvoxError(f"OuteTTS reference clip {ref['audio']}: no speakable words in its transcript")
    # The transcript keeps its punctuation where it normalises to exactly these words (V2 checks that).
    text = " ".join(w["word"] for w in ref["words"])
    if normalise(text) != [w for w, _, _ in words]:
        text = " ".join(w for w, _, _ in words)

    codec = cfg.audio_codec(cfg.device, cfg.audio_codec_path, load_decoder=False)
    wav, sr = _read_audio(ref["audio"])
    with torch.inference_mode():
        audio = codec.convert_audio_tensor(wav, sr).to(codec.device)
        codes = codec.encode(audio)[0][0].tolist()
    if not codes:
        raise SubvoxError(f"OuteTTS reference clip {ref['audio']} is too short to encode")
    frames = _word_frames([(s, e) for _, s, e in words], len(codes))
    out_words = [
        {"word": word, "duration": round((end - start) / FRAMES_PER_SECOND, 2), "codes": codes[start:end]}
        for (word, _, _), (start, end) in zip(words, frames, strict=True)
    ]
    return {"text": text, "words": out_words, "interface_version": version}


def _soundfile_loader(codec: Any) -> Any:
    def load_audio(src: Any) -> Any:
        wav, sr = _read_audio(src)
        return codec.convert_audio_tensor(wav, sr).unsqueeze(0)

    return load_audio


def _speaker_v3(cfg: Any, ref: dict[str, Any]) -> dict[str, Any]:
    """A V3 speaker from ``audio_processor.create_speaker_from_dict`` with subvox's word timings."""
    from outetts.utils.preprocessing import text_normalizations

    processor = cfg.audio_processor(cfg)  # what Interface builds for V3, without loading the LLM
    processor.audio_codec.load_audio = _soundfile_loader(processor.audio_codec)  # torchaudio.load needs torchcodec
    data = {
        "audio": {"bytes": Path(ref["audio"]).read_bytes()},
        "text": text_normalizations(ref["text"]),
        "words": [{"word": w["word"], "start": w["start"], "end": w["end"]} for w in ref["words"]],
    }
    speaker = processor.create_speaker_from_dict(data)
    speaker["interface_version"] = 3
    return speaker


def build_profile(speaker: dict[str, Any], reference: dict[str, Any] | None, device: str = "cpu") -> dict[str, Any]:
    """The JSON profile: the OuteTTS speaker (codes + words) of a cloned or V1/V2 built-in voice, a V3 voice's name."""
    version = _version(speaker)
    if reference is None:
        name = str(speaker.get("default") or "").strip()
        if not name:
            raise SubvoxError("OuteTTS speaker needs `default` (a built-in voice) or `reference` (a clip to clone)")
        names = _default_speakers(version)
        if name.lower() not in names:
            available = ", ".join(names) or (
                f"none (no built-in voices found for interface_version {version}); clone a voice with `reference`"
            )
            raise SubvoxError(f"unknown OuteTTS voice {name!r} for interface_version {version}; available: {available}")
        if version == 3:
            return {"engine": ENGINE, "interface_version": version, "default": name.lower()}
        canonical = _builtin_files(version)[name.lower()].stem
        return {
            "engine": ENGINE,
            "interface_version": version,
            "default": canonical,
            "speaker": _builtin_speaker(version, canonical),
        }

    ref = _check_reference(reference, version)
    outetts = import_outetts()
    import torch

    cfg = _model_config(outetts, speaker, version, _device(device), with_llm=False)
    with torch.inference_mode():
        made = _speaker_v3(cfg, ref) if version == 3 else _speaker_v12(cfg, version, ref)
    return {"engine": ENGINE, "interface_version": version, "speaker": json.loads(json.dumps(made))}


# --- synthesis -----------------------------------------------------------------------------------


def prompt_codes(prompt: str, version: int) -> list[int]:
    """The audio codes written in a prompt (V3: the first codebook's)."""
    pattern = r"<\|c1_(\d+)\|>" if version == 3 else r"<\|(\d+)\|>"
    return [int(c) for c in re.findall(pattern, prompt)]


def speaker_codes(speaker: dict[str, Any], version: int) -> list[int]:
    """The audio codes of an OuteTTS speaker (V3: the first codebook's), in order."""
    key = "c1" if version == 3 else "codes"
    return [int(c) for w in speaker.get("words", []) for c in w[key]]


class OuteTTSVoice:
    """A loaded OuteTTS interface and speaker; ``synthesize`` makes one generation call per cue."""

    engine = ENGINE

    def __init__(self, interface: Any, speaker: dict[str, Any], generation: dict[str, Any], version: int) -> None:
        self.interface = interface
        self.speaker = speaker
        self.generation = generation
        self.version = version
        self.sample_rate = int(interface.audio_codec.sr)
        self.tokens_per_second = FRAMES_PER_SECOND * TOKENS_PER_FRAME[version]
        self.last_prompt_tokens = 0
        self.last_new_tokens = 0
        self.last_truncated = False
        self._banned = self._undecodable_tokens()

    def _undecodable_tokens(self) -> list[list[int]]:
        """Audio tokens the prompt processor maps but the codec cannot decode (banned from generation)."""
        pp = self.interface.prompt_processor
        codec = self.interface.audio_codec
        if self.version == 3:
            size = int(codec.model.codebook_size)
            mapping = {**pp.c1, **pp.c2}
        else:
            size = int(codec.decoder.codebook_weights.shape[0])
            mapping = pp.map_audio_tokens
        return [[token] for token, code in mapping.items() if code >= size]

    def prompt(self, text: str) -> str:
        """The completion prompt for ``text`` with this voice's speaker (passed by keyword)."""
        speaker = copy.deepcopy(self.speaker)  # V3 edits the speaker's last word in place
        prompt = self.interface.prompt_processor.get_completion_prompt(text, speaker=speaker)
        if speaker and prompt_codes(prompt, self.version) != speaker_codes(self.speaker, self.version):
            raise SubvoxError("OuteTTS left the speaker's audio codes out of the prompt (outetts version mismatch?)")
        return prompt

    def synthesize(self, text: str) -> np.ndarray:
        """Speak one cue: float32 mono at ``sample_rate`` (24 kHz), at most max_length tokens in all."""
        import torch

        text = " ".join(str(text).split())
        if not text:
            return np.zeros(0, dtype=np.float32)
        outetts = import_outetts()
        gen = self.generation
        max_length = int(gen["max_length"])
        input_ids = self.interface._prepare_prompt(self.prompt(text))
        n_prompt = int(input_ids.shape[-1])
        self.last_prompt_tokens = n_prompt
        if n_prompt >= max_length:
            raise SubvoxError(
                f"OuteTTS prompt for {text[:40]!r} is {n_prompt} tokens (reference clip + text), at or over "
                f"generation.max_length {max_length}: use a shorter reference clip or shorter cues"
            )
        config = outetts.GenerationConfig(
            text=text,
            generation_type=outetts.GenerationType.REGULAR,
            max_length=max_length,
            sampler_config=outetts.SamplerConfig(
                temperature=float(gen["temperature"]),
                repetition_penalty=float(gen["repetition_penalty"]),
                top_k=int(gen["top_k"]),
                top_p=float(gen["top_p"]),
                min_p=float(gen["min_p"]),
            ),
            additional_gen_config={"bad_words_ids": self._banned} if self._banned else {},
        )
        self.interface.check_generation_max_length(max_length)
        cuda = [torch.cuda.current_device()] if self.interface.model.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda), torch.inference_mode():
            torch.manual_seed(int(gen["seed"]))
            tokens = self.interface._generate(input_ids, config)
            self.last_new_tokens = len(tokens)
            self.last_truncated = n_prompt + len(tokens) >= max_length
            if self.last_truncated:
                log.warning(
                    "OuteTTS: %r reached generation.max_length %d (%d prompt tokens): its audio is cut at %.1f s",
                    text[:40],
                    max_length,
                    n_prompt,
                    (max_length - n_prompt) / self.tokens_per_second,
                )
            codes = self.interface.prompt_processor.extract_audio_from_tokens(tokens)
            if not (codes[0] if self.version == 3 else codes):
                raise SubvoxError(f"OuteTTS produced no audio for {text[:40]!r}")
            audio = self.interface.get_audio(tokens)
        samples = audio.detach().float().cpu().numpy().reshape(-1)
        return np.clip(np.nan_to_num(samples), -1.0, 1.0).astype(np.float32)

    def max_seconds(self, prompt_tokens: int) -> float:
        """Longest audio one cue can get after a prompt of ``prompt_tokens`` tokens."""
        return max(0, int(self.generation["max_length"]) - prompt_tokens) / self.tokens_per_second


def load_voice(speaker: dict[str, Any], profile: dict[str, Any], device: str = "cpu") -> OuteTTSVoice:
    """Load the OuteTTS interface (LLM + codec) once for ``speaker`` with its built ``profile``."""
    version = _version(speaker)
    if profile.get("engine") != ENGINE:
        raise SubvoxError(f"speaker profile is for engine {profile.get('engine')!r}, not {ENGINE}")
    if int(profile.get("interface_version", version)) != version:
        raise SubvoxError(
            f"OuteTTS profile was built for interface_version {profile.get('interface_version')}, the speaker uses "
            f"{version}: rebuild the profile"
        )
    gen = _generation(speaker, version)
    outetts = import_outetts()
    cfg = _model_config(outetts, speaker, version, _device(device), with_llm=True)
    try:
        interface = outetts.Interface(cfg)
    except (OSError, ValueError, RuntimeError) as exc:
        raise SubvoxError(f"OuteTTS could not load {speaker.get('model_path')}: {exc}") from exc
    if isinstance(profile.get("speaker"), dict):
        voice = profile["speaker"]
    elif profile.get("default") and version != 3:
        voice = _builtin_speaker(version, str(profile["default"]).lower())
    elif profile.get("default"):
        try:
            voice = interface.load_default_speaker(profile["default"])
        except (ValueError, OSError) as exc:
            raise SubvoxError(f"OuteTTS built-in voice {profile['default']!r}: {exc}") from exc
    else:
        raise SubvoxError("OuteTTS profile has neither `default` nor `speaker`: rebuild it")
    if not voice.get("words"):
        raise SubvoxError("OuteTTS speaker has no words: rebuild the profile")
    if version == 1:
        voice = _v1_transcript_matching_words(interface.prompt_processor, voice)
    return OuteTTSVoice(interface, voice, gen, version)


def _v1_transcript_matching_words(processor: Any, speaker: dict[str, Any]) -> dict[str, Any]:
    """The V1 speaker with a transcript that outetts 0.4.4 normalises to exactly the speaker's words.

    The V1 prompt lists the normalised transcript, then each word's audio codes; 0.4.4 splits
    contractions that 0.3.3, which made the built-in speakers, kept whole (``it's`` -> ``its``), so
    without this the prompt's text would have more words than its audio.
    """
    words = [str(w["word"]) for w in speaker["words"]]
    if processor.process_text(str(speaker.get("text", ""))) == words:
        return speaker
    log.debug("OuteTTS: V1 speaker transcript does not normalise to its words; using the words")
    return {**speaker, "text": " ".join(words)}
