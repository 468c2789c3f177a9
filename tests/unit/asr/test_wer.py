import pytest

from subvox.asr.wer import edit_distance, wer


def test_identical_after_normalisation_is_zero():
    assert wer("And so, my fellow Americans!", "and so my fellow americans") == 0.0


def test_counts_substitution_insertion_deletion():
    assert edit_distance(list("abc"), list("axc")) == 1
    assert edit_distance(list("abc"), list("abxc")) == 1
    assert edit_distance(list("abc"), list("ac")) == 1
    assert wer("the cat sat down", "the bat sat") == pytest.approx(0.5)


def test_english_numbers_and_spellings_are_normalised():
    assert wer("I have ten dollars", "I have $10") == 0.0


def test_empty_reference():
    assert wer("", "") == 0.0
    assert wer("", "hallucinated words") == 1.0
