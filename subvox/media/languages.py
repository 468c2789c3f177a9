"""Language tags for audio tracks: Whisper's ISO 639-1 codes to the ISO 639-2 codes containers use."""

from __future__ import annotations

# ISO 639-1 -> ISO 639-2/B (what Matroska wants; mp4 accepts it too) for Whisper's common languages.
ISO639_2 = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "cze", "cy": "wel", "da": "dan",
    "de": "ger", "el": "gre", "en": "eng", "es": "spa", "et": "est", "eu": "baq", "fa": "per", "fi": "fin",
    "fr": "fre", "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "hy": "arm",
    "id": "ind", "is": "ice", "it": "ita", "ja": "jpn", "ka": "geo", "kk": "kaz", "ko": "kor", "lt": "lit",
    "lv": "lav", "mk": "mac", "ms": "may", "nl": "dut", "no": "nor", "pl": "pol", "pt": "por", "ro": "rum",
    "ru": "rus", "sk": "slo", "sl": "slv", "sr": "srp", "sv": "swe", "sw": "swa", "ta": "tam", "th": "tha",
    "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "chi",
}  # fmt: skip


def iso639_2(code: str | None) -> str:
    """A three-letter tag for ``code`` (two or three letters); ``und`` when unknown."""
    code = (code or "").lower()
    if len(code) == 3 and code.isalpha():
        return code
    return ISO639_2.get(code, "und")
