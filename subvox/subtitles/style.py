"""Per-language cue limits: characters per line and reading speed, from a public style guide.

English limits (42 characters a line, 20 characters a second) read badly in Japanese or
Chinese, whose characters carry more each and are wider on screen. The defaults below are
those of the Netflix Timed Text Style Guides (partnerhelp.netflixstudios.com, "Timed Text
Style Guide" per language; adult programmes). A language not listed keeps the top-level
``subtitles`` limits; ``subtitles.languages.<code>`` overrides either, key by key.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from subvox.subtitles.condense import LANGUAGES as CONDENSE_LANGUAGES
from subvox.subtitles.segment import CueLimits

STYLE_GUIDE: dict[str, dict[str, float]] = {
    "ja": {"max_line_chars": 13, "max_cps": 4.0},  # Japanese: 13 full-width characters, 4 cps
    "zh": {"max_line_chars": 16, "max_cps": 9.0},  # Chinese (Simplified and Traditional): 16, 9 cps
    "yue": {"max_line_chars": 16, "max_cps": 9.0},  # Cantonese: as Traditional Chinese
    "ko": {"max_line_chars": 16, "max_cps": 12.0},  # Korean: 16 characters, 12 cps
}


def limits_for(conf: dict[str, Any], language: str | None) -> CueLimits:
    """The cue limits for a file in ``language`` (the ``subtitles`` config section)."""
    base = CueLimits.from_config(conf)
    code = (language or "").lower()
    overrides = {**STYLE_GUIDE.get(code, {}), **(conf.get("languages") or {}).get(code, {})}
    if code not in CONDENSE_LANGUAGES:  # the disfluency rules are those of these languages
        overrides["condense"] = False
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if k in CueLimits.__dataclass_fields__})
