"""Accuracy against the human references: Whisper's normaliser, word-level edit distance."""

from __future__ import annotations

from collections.abc import Iterable


def track_wer(reference: str, hypothesis: str) -> float:
    """WER of a whole track's hypothesis against its concatenated reference (4 decimals)."""
    from subvox.asr.wer import wer

    return round(wer(reference, hypothesis), 4)


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Corpus WER of (reference, hypothesis) pairs: all errors over all reference words."""
    from subvox.asr.wer import edit_distance, normalize

    errors = words = 0
    for ref, hyp in pairs:
        ref_words = normalize(ref)
        errors += edit_distance(ref_words, normalize(hyp))
        words += len(ref_words)
    return errors / words if words else 0.0


def word_count(text: str) -> int:
    """Words of ``text`` after normalisation (to see that a whole file was decoded)."""
    from subvox.asr.wer import normalize

    return len(normalize(text))
