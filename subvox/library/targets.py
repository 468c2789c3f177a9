"""What shapes a dub in a translation target, per language: its fingerprint inputs.

A dub in ``es`` depends on the source subtitles (timing, speakers), on what translates into
``es`` (its engine, its local model, the CTranslate2 options), on the fitting and mixing
options and on the ``es`` voice; nothing else. Each target therefore gets a fingerprint of
its own (``subvox.library.layout``): changing the Catalan voice, adding a target or changing
the source dub's speaker leaves the Spanish dub alone. This module imports nothing from
``layout`` (which imports it); layout passes in how it identifies a local model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from subvox.models.store import sha256_file

# revoice options that shape only the source-language dub or the muxed video's tags
SOURCE_ONLY = ("enabled", "speaker", "voices", "default_voices", "source", "language", "title", "audio_codec")
CT2_OPTIONS = ("device", "compute_type", "beam_size", "context")  # what else shapes a local model's output


def digest(data: Any) -> str:
    """A short, stable hash of JSON-able ``data``: the fingerprints' building block."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]


def dubbed_targets(config: dict[str, Any]) -> list[str]:
    """The translation targets that get a dub: with re-voicing on and ``revoice.targets.enabled``."""
    revoice = config.get("revoice") or {}
    if not revoice.get("enabled") or not (revoice.get("targets") or {}).get("enabled", True):
        return []
    return list((config.get("translation") or {}).get("targets", []))


def voice_key(config: dict[str, Any], lang: str) -> str | None:
    """The ``speakers`` key configured for ``lang`` (``revoice.targets.voices``), or None for the
    default (an espeak-ng voice that speaks it)."""
    return ((config["revoice"].get("targets") or {}).get("voices") or {}).get(lang)


def _translation_inputs(conf: dict[str, Any], lang: str, identity: Callable[[str], Any]) -> dict[str, Any]:
    """What translates into ``lang``: its configured engine and the local models that reach it."""
    models = {k: identity(v) for k, v in sorted(conf.get("models", {}).items()) if k == lang or k.endswith(f"-{lang}")}
    inputs: dict[str, Any] = {"engine": conf.get("engines", {}).get(lang), "models": models}
    if models:
        inputs["options"] = {k: conf.get(k) for k in CT2_OPTIONS}
    return inputs


def _voice(config: dict[str, Any], lang: str) -> dict[str, Any]:
    key = voice_key(config, lang)
    if key is None:
        return {"default": "espeak-ng", "language": lang}
    speaker = dict(config["speakers"].get(key, {}))
    if speaker.get("reference"):  # a re-recorded clip redoes the dub, a touched one does not
        with contextlib.suppress(OSError):
            speaker["reference"] = sha256_file(speaker["reference"])[:12]
    return speaker


def dub_fingerprints(config: dict[str, Any], cues: str, identity: Callable[[str], Any]) -> tuple[tuple[str, str], ...]:
    """(language, fingerprint) of each dubbed translation target, in config order; ``cues`` is
    the fingerprint of the source cues (not of how they are written), ``identity`` how a local
    model is identified."""
    langs = dubbed_targets(config)
    if not langs:
        return ()
    revoice = {k: v for k, v in config["revoice"].items() if k not in (*SOURCE_ONLY, "targets")}
    targets = {k: v for k, v in config["revoice"].get("targets", {}).items() if k != "voices"}
    extra = {"separation": config.get("separation")} if revoice.get("mix") == "background" else {}
    out = []
    for lang in langs:
        inputs = {
            "cues": cues,
            "language": lang,
            "translation": _translation_inputs(config.get("translation") or {}, lang, identity),
            "revoice": revoice,
            "targets": targets,
            "voice": _voice(config, lang),
            **extra,
        }
        out.append((lang, digest(inputs)))
    return tuple(out)
