"""Word error rate with Whisper's text normalisers, for QA and tests.

Japanese, Chinese and Thai are written without spaces between words: their error rate is
counted over characters (CER), as their ASR benchmarks do; Korean, spaced, over words.
"""

from __future__ import annotations

from functools import cache


@cache
def _normalizer(english: bool):
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer() if english else BasicTextNormalizer()


CHARACTER_LANGUAGES = {"ja", "zh", "yue", "th", "lo", "my", "km"}


def normalize(text: str, language: str = "en") -> list[str]:
    """Lower-case, spell out punctuation/number variants (English), split into words
    (into characters for the languages of ``CHARACTER_LANGUAGES``)."""
    words = _normalizer(language == "en")(text).split()
    return [c for w in words for c in w] if language in CHARACTER_LANGUAGES else words


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists (one-row dynamic programme)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def wer(reference: str, hypothesis: str, language: str = "en") -> float:
    """Word error rate of ``hypothesis`` against ``reference`` after normalisation."""
    ref = normalize(reference, language)
    hyp = normalize(hypothesis, language)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
