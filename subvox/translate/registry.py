"""Engines by name, imported only when used, and the start-up check of ``translation``.

The interface (subvox.translate.base) never imports a backend: a node without ctranslate2
still runs Apertium, and a config is checked against what is actually installed before
any work, in one line per problem.
"""

from __future__ import annotations

import importlib
from typing import Any

from subvox.errors import SubvoxError
from subvox.models.store import english_only
from subvox.translate.base import Translator, format_pairs

ENGINES = {
    "apertium": ("subvox.translate.apertium", "Apertium"),
    "ctranslate2": ("subvox.translate.ctranslate2_engine", "CTranslate2"),
}


def engine_name(conf: dict[str, Any], target: str) -> str:
    """The engine that translates into ``target``: as configured, else a local model when one
    is configured for it, else Apertium."""
    if target in conf.get("engines", {}):
        return conf["engines"][target]
    models = conf.get("models", {})
    if any(key == target or key.endswith(f"-{target}") for key in models):
        return "ctranslate2"
    return "apertium"


def load(name: str, conf: dict[str, Any], threads: int = 1) -> Translator:
    """An engine by name, configured from the ``translation`` section ``conf``."""
    if name not in ENGINES:
        raise SubvoxError(f"unknown translation engine {name!r} (known: {', '.join(sorted(ENGINES))})")
    module, cls = ENGINES[name]
    engine = getattr(importlib.import_module(module), cls)
    if name == "ctranslate2":
        return engine(
            conf.get("models", {}), conf.get("device", "cpu"), conf.get("compute_type", "default"),
            conf.get("beam_size", 4), threads, conf.get("context", 1),
        )  # fmt: skip
    return engine()


class Engines:
    """The engines of one job, each loaded on first use."""

    def __init__(self, conf: dict[str, Any], threads: int = 1) -> None:
        self.conf, self.threads = conf, threads
        self._loaded: dict[str, Translator] = {}

    def for_target(self, target: str) -> Translator:
        name = engine_name(self.conf, target)
        if name not in self._loaded:
            self._loaded[name] = load(name, self.conf, self.threads)
        return self._loaded[name]


def known_sources(config: dict[str, Any]) -> list[str]:
    """Source languages certain before transcription: a configured language, or English for an
    English-only model (``*.en``) whose other languages are not routed (``asr.routing.mode``
    off or flag); empty when Whisper decides per file."""
    asr = config.get("asr", {})
    if asr.get("task") == "translate":
        return ["en"]
    language = asr.get("language", "auto")
    if language not in (None, "auto"):
        return [language]
    routed = asr.get("routing", {}).get("mode", "route") == "route"
    return ["en"] if english_only(str(asr.get("model", ""))) and not routed else []


def check_config(config: dict[str, Any]) -> None:
    """Start-up: every target has an installed engine that offers it (from the known source
    language, when there is one), every local model folder exists, nothing collides with
    Whisper's own English translation. Raises SubvoxError with one line."""
    conf = config.get("translation", {})
    targets = conf.get("targets", [])
    if not targets:
        return
    if config.get("asr", {}).get("task") == "translate" and "en" in targets:
        raise SubvoxError("translation.targets: en is already written by asr.task translate (clip.en.srt)")
    engines = Engines(conf)
    sources = known_sources(config)
    for target in targets:
        engine = engines.for_target(target)
        pairs = engine.available_pairs()
        froms = [s for s, t in pairs if t == target]
        if not froms:
            raise SubvoxError(
                f"translation.targets: {engine.engine} offers no translation into {target!r} "
                f"(installed: {format_pairs(pairs)})"
            )
        for source in sources:
            if source != target and source not in froms and "*" not in froms:
                raise SubvoxError(
                    f"translation.targets: {engine.engine} cannot translate from {source!r} (the source language) "
                    f"into {target!r} (installed: {format_pairs(pairs)})"
                )
