"""Speaker profiles: the built-in V1/V2/V3 voices, and voices cloned from a reference clip offline."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from subvox.errors import SubvoxError
from subvox.revoice.tts.outetts.install import INSTALL_HINT, import_outetts
from subvox.revoice.tts.outetts.settings import (
    ENGINE,
    FRAMES_PER_SECOND,
    MAX_REFERENCE_SECONDS,
    VERSIONS,
    WORD_MARGIN_FRAMES,
    interface_version,
    model_config,
    torch_device,
)

log = logging.getLogger("subvox")


VOICES_DIR = Path(__file__).parent.parent / "outetts_voices"  # V1/V2 speakers of outetts 0.3.3 (see its NOTICE)
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


def builtin_speaker(version: int, name: str) -> dict[str, Any]:
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
    versions = [interface_version(speaker)] if speaker.get("interface_version") is not None else list(VERSIONS)
    return sorted({name for version in versions for name in _default_speakers(version)})


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
    version = interface_version(speaker)
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
            "speaker": builtin_speaker(version, canonical),
        }

    ref = _check_reference(reference, version)
    outetts = import_outetts()
    import torch

    cfg = model_config(outetts, speaker, version, torch_device(device), with_llm=False)
    with torch.inference_mode():
        made = _speaker_v3(cfg, ref) if version == 3 else _speaker_v12(cfg, version, ref)
    return {"engine": ENGINE, "interface_version": version, "speaker": json.loads(json.dumps(made))}
