"""Importing outetts 0.4.4 as installed here: without llama-cpp-python, with one uroman."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import types
from typing import Any

from subvox.errors import SubvoxError

log = logging.getLogger("subvox")

INSTALL_HINT = "install it with `pip install --no-deps -r envs/requirements-outetts.txt` (see that file)"


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
