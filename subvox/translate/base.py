"""The translation interface every engine implements, and the language codes they share.

subvox speaks ISO 639-1 codes (``en``, ``es``, ``ca``: what Whisper detects and what
subtitle file names carry); engines name languages their own way (Apertium mostly
ISO 639-3: ``eng-spa``; NLLB FLORES codes: ``spa_Latn``). Each engine maps them at its
edge, so the rest of subvox never sees an engine's spelling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from subvox.errors import SubvoxError

# ISO 639-1 -> ISO 639-3 for the languages rule-based and neural engines commonly offer.
ISO639_3 = {
    "af": "afr", "an": "arg", "ar": "ara", "be": "bel", "bg": "bul", "br": "bre", "bs": "bos", "ca": "cat",
    "cs": "ces", "cy": "cym", "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo", "es": "spa",
    "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fr": "fra", "ga": "gle", "gl": "glg", "he": "heb",
    "hi": "hin", "hr": "hrv", "hu": "hun", "hy": "hye", "id": "ind", "is": "isl", "it": "ita", "ja": "jpn",
    "kk": "kaz", "ko": "kor", "lt": "lit", "lv": "lav", "mk": "mkd", "ms": "msa", "mt": "mlt", "nb": "nob",
    "nl": "nld", "nn": "nno", "no": "nor", "oc": "oci", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus",
    "sh": "hbs", "sk": "slk", "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe", "sw": "swa", "tr": "tur",
    "tt": "tat", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "zho",
}  # fmt: skip
ISO639_1 = {v: k for k, v in ISO639_3.items()}


def iso639_1(code: str) -> str:
    """An engine's two- or three-letter code as subvox writes it (``eng`` -> ``en``); a code
    without a two-letter form (``ast``) is kept as it is."""
    code = code.lower()
    return ISO639_1.get(code, code)


class UnsupportedPair(SubvoxError):
    """The engine has no way from the source language to the target."""


class Translator(ABC):
    """A translation engine: whole sentences from one language into another.

    ``translate`` receives every sentence of a file (or of one language region) at once, so
    an engine can batch them (one Apertium process, one CTranslate2 batch) and give each
    the sentences around it as context where it can. Output order matches input order;
    an empty sentence gives an empty translation. Same inputs give the same outputs.
    """

    engine: ClassVar[str]

    @abstractmethod
    def available_pairs(self) -> list[tuple[str, str]]:
        """(source, target) pairs this installation can translate, ISO 639-1, sorted.
        ``("*", target)`` means any source language the model knows."""

    @abstractmethod
    def translate(self, sentences: Sequence[str], source: str, target: str) -> list[str]:
        """``sentences`` (plain text) from ``source`` into ``target``."""

    def describe(self) -> dict[str, Any]:
        """What made a translation (engine, version, model), for the output JSON."""
        return {"engine": self.engine}

    def can(self, source: str, target: str) -> bool:
        """True when ``source`` -> ``target`` is offered."""
        return any(s in (source, "*") and t == target for s, t in self.available_pairs())

    def check(self, source: str, target: str) -> None:
        """Raise UnsupportedPair (one line, listing the installed pairs) unless offered."""
        if not self.can(source, target):
            raise UnsupportedPair(
                f"{self.engine} cannot translate {source} -> {target} "
                f"(installed: {format_pairs(self.available_pairs())})"
            )


def format_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    """``en->es, en->ca`` (or ``none``) for messages."""
    return ", ".join(f"{s}->{t}" for s, t in pairs) or "none"
