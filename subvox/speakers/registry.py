"""Which diarization engine a name means, imported only when asked for.

Engines depend on ``subvox.speakers.base``, never the reverse: a job that never diarizes
never imports torch or onnxruntime.
"""

from __future__ import annotations

import importlib

from subvox.speakers.base import Diarizer

# engine name -> (module, class); the class takes keyword arguments only
ENGINES = {
    "resemblyzer": ("subvox.speakers.resemblyzer_engine", "ResemblyzerDiarizer"),
}
DEFAULT_ENGINE = "resemblyzer"


def load_diarizer(engine: str = DEFAULT_ENGINE, **kwargs: object) -> Diarizer:
    """An engine instance; load it once per job (its models stay loaded for every file)."""
    try:
        module, cls = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown diarization engine {engine!r} (known: {', '.join(ENGINES)})") from None
    return getattr(importlib.import_module(module), cls)(**kwargs)
