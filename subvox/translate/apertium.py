"""Apertium: rule-based translation, offline, from Debian packages (``apertium`` + a pair
such as ``apertium-eng-spa``, ``apertium-eng-cat``).

It is the engine that is always there (no weights, no GPU, a few ms per sentence). The
installed directions come from ``apertium -l``; their names mix ISO 639-3 (``eng-spa``)
and 639-1 (``en-gl``), both read as subvox's two-letter codes. Variants (``eng-cat_valencia``)
are not used as defaults.

A file's sentences go through one ``apertium`` process: one paragraph each, separated by a
blank line, which the plain-text deformatter keeps as a "superblank" and never translates,
so the output splits back into exactly as many paragraphs. That is checked on every call;
if it ever fails, the sentences are translated one call each instead.

The pipeline runs without the jobs' jemalloc preload (subvox.workflow.allocator): one of
its tools (eng-cat) dies of ``std::bad_alloc`` under it while ``apertium`` still exits 0
with nothing translated, so an empty translation of a non-empty sentence is an error here.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from subvox.errors import SubvoxError
from subvox.translate.base import Translator, UnsupportedPair, format_pairs, iso639_1

log = logging.getLogger("subvox")

CHUNK = 400  # sentences per apertium call (its pipeline streams; this bounds one call's memory)
TIMEOUT_S = 600
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_SPACE_BEFORE = re.compile(r"\s+([.,;:!?…%)\]}»”])")  # "prueba ." -> "prueba."
_SPACE_AFTER = re.compile(r"([¿¡(\[{«“])\s+")


def tidy(text: str) -> str:
    """One line of normal spacing (Apertium's transfer rules sometimes leave " ." behind)."""
    text = " ".join(text.split())
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", text))


class Apertium(Translator):
    """The ``apertium`` command on PATH (or ``executable``), with its installed pairs."""

    engine = "apertium"

    def __init__(self, executable: str = "apertium") -> None:
        path = shutil.which(executable)
        if path is None:
            raise SubvoxError(
                f"translation engine apertium: {executable!r} not found "
                "(install it: apt-get install apertium apertium-eng-spa apertium-eng-cat)"
            )
        self.executable = path

    def _run(self, args: list[str], text: str = "") -> str:
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        proc = subprocess.run(
            [self.executable, *args],
            input=text,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            env=env,
        )
        if proc.returncode != 0 or (text.strip() and not proc.stdout.strip()):
            reason = " ".join(proc.stderr.split())[:300] or f"exit status {proc.returncode}, no output"
            raise SubvoxError(f"apertium {' '.join(args)}: {reason}")
        return proc.stdout

    @functools.cached_property
    def modes(self) -> dict[tuple[str, str], str]:
        """(source, target) -> Apertium mode name, for every plain installed direction."""
        found: dict[tuple[str, str], str] = {}
        for line in self._run(["-l"]).split():
            parts = line.split("-")
            if len(parts) != 2 or not all(re.fullmatch(r"[a-z]{2,3}", p) for p in parts):
                continue  # a variant (eng-cat_valencia) or a debugging mode
            found.setdefault((iso639_1(parts[0]), iso639_1(parts[1])), line)
        return found

    @functools.cached_property
    def version(self) -> str:
        return " ".join(self._run(["-V"]).split()) or "unknown"

    def available_pairs(self) -> list[tuple[str, str]]:
        return sorted(self.modes)

    def describe(self) -> dict[str, Any]:
        return {"engine": self.engine, "version": self.version}

    def mode(self, source: str, target: str) -> str:
        try:
            return self.modes[(source, target)]
        except KeyError:
            raise UnsupportedPair(
                f"apertium cannot translate {source} -> {target} (installed: {format_pairs(self.available_pairs())}; "
                f"pairs are Debian packages such as apertium-eng-spa)"
            ) from None

    def translate(self, sentences: Sequence[str], source: str, target: str) -> list[str]:
        mode = self.mode(source, target)
        clean = [" ".join(s.split()) for s in sentences]
        todo = [i for i, s in enumerate(clean) if s]
        out = [""] * len(clean)
        for k in range(0, len(todo), CHUNK):
            chunk = todo[k : k + CHUNK]
            for i, text in zip(chunk, self._batch([clean[i] for i in chunk], mode), strict=True):
                out[i] = text
        return out

    def _batch(self, texts: list[str], mode: str) -> list[str]:
        """Many sentences in one call, one paragraph each; one call per sentence if the
        paragraphs do not come back one for one."""
        raw = self._run(["-u", "-f", "txt", mode], "\n\n".join(texts) + "\n")
        paragraphs = [p for p in _PARAGRAPHS.split(raw.strip("\n"))]
        if len(paragraphs) == len(texts) and all(p.strip() for p in paragraphs):
            return [tidy(p) for p in paragraphs]
        log.warning("apertium %s: %d paragraphs back for %d sentences; one call per sentence", mode,
                    len(paragraphs), len(texts))  # fmt: skip
        return [tidy(self._run(["-u", "-f", "txt", mode], t + "\n")) for t in texts]
