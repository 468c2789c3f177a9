"""Scripts written without spaces: cue text joined as written, lines broken between characters."""

from subvox.asr.wer import wer
from subvox.subtitles.scripts import (
    inside_word,
    is_spaceless,
    join_lines,
    join_words,
    line_units,
    space_inside_spaceless,
)
from subvox.subtitles.segment import segment_words, wrap_lines
from subvox.subtitles.style import limits_for

JAPANESE = ["客観", "的", "実在", "の", "判断", "的", "知識", "が", "成立", "する", "の", "で", "ある", "。"]


def timed(tokens, step=0.3):
    words = [{"word": w, "start": round(i * step, 3), "end": round(i * step + 0.25, 3)} for i, w in enumerate(tokens)]
    return [{"text": "".join(tokens), "start": 0.0, "end": words[-1]["end"], "words": words}]


def test_japanese_tokens_join_without_spaces():
    assert join_words(JAPANESE) == "客観的実在の判断的知識が成立するのである。"


def test_latin_words_inside_japanese_keep_their_spaces_and_english_never_glues():
    assert join_words(["日本", "語", "の", " English", " words", "を", "話す"]) == "日本語の English wordsを話す"
    assert join_words([" And", " so,", " my"]) == "And so, my"
    assert join_words(["you.", "And"]) == "you. And"  # a token without its space never glues Latin words


def test_japanese_cues_equal_the_text_apart_from_line_breaks_and_respect_japanese_limits():
    limits = limits_for({}, "ja")
    assert (limits.max_line_chars, limits.max_cps) == (13, 4.0)
    cues = segment_words(timed(JAPANESE * 3), limits, 20.0)
    assert "".join(line for c in cues for line in c.lines) == join_words(JAPANESE * 3)
    for c in cues:
        assert all(len(line) <= 13 for line in c.lines), c.lines
        assert not space_inside_spaceless(c.text.replace("\n", ""))
        assert c.chars == len("".join(c.lines))  # no space counted between two Japanese lines
        assert not any(line[0] in "、。" for line in c.lines)  # kinsoku: no line starts with closing punctuation


def test_wrap_breaks_between_characters_but_keeps_brackets_and_punctuation_attached():
    lines = wrap_lines("「こんにちは」と彼は言った。そして、彼は帰った。", 13, 2)
    assert lines is not None and all(len(x) <= 13 for x in lines)
    assert "".join(lines) == "「こんにちは」と彼は言った。そして、彼は帰った。"
    assert all(line[0] not in "。、」" and line[-1] != "「" for line in lines)
    assert [u for _, u in line_units("「あ」。")] == ["「あ」。"]


def test_lines_of_unspaced_scripts_break_where_a_phrase_ends_rather_than_inside_a_word():
    # the balanced break (10 / 11 characters) splits 知識 ("knowledge"); after the particle が it
    # is 12 / 9, and a Japanese subtitler breaks there
    assert wrap_lines(join_words(JAPANESE), 13, 2) == ["客観的実在の判断的知識が", "成立するのである。"]
    assert wrap_lines("我们今天要讨论的问题是，如何提高生产效率和质量。", 16, 2)[0].endswith("，")
    assert wrap_lines("東京では今日の天気予報によると雨が降る", 13, 2) == ["東京では今日の", "天気予報によると雨が降る"]
    # a phrase end far from the middle does not win: the lines stay balanced
    text = "今日は天気予報雨量観測結果発表開始予定です"
    assert max(len(line) for line in wrap_lines(text, 13, 2)) == (len(text) + 1) // 2
    assert inside_word("知", "識") and inside_word("識", "が") and inside_word("テ", "ス")
    assert not inside_word("が", "成") and not inside_word("を", "テ") and not inside_word("、", "彼")
    assert not inside_word("a", "b") and not inside_word("語", "E")


def reference_wrap(text, max_chars, max_lines):
    """The word-only wrapping subvox had before scripts were handled (English must not change)."""
    words = text.split()
    if len(" ".join(words)) <= max_chars or len(words) == 1:
        return [" ".join(words)]
    if max_lines == 1:
        return None
    best, best_key = None, None
    for i in range(1, len(words)):
        head = " ".join(words[:i])
        if len(head) > max_chars:
            break
        rest = reference_wrap(" ".join(words[i:]), max_chars, max_lines - 1)
        if rest is None or any(len(x) > max_chars for x in rest):
            continue
        lines = [head, *rest]
        key = (max(len(x) for x in lines), 0 if head.endswith((".", ",", "?", "!", ";", ":")) else 1, len(head))
        if best_key is None or key < best_key:
            best, best_key = lines, key
    return best


def test_english_wrapping_is_unchanged():
    texts = [
        "And so, my fellow Americans, ask not what your country can do for you",
        "Printing, in the only sense with which we are at present concerned, differs from most",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z and then some more words here",
    ]
    for text in texts:
        for width in (20, 32, 42):
            assert wrap_lines(text, width, 2) == reference_wrap(text, width, 2), (text, width)


def test_languages_limits_are_overridable_per_language():
    conf = {"max_line_chars": 37, "languages": {"ja": {"max_cps": 6}, "es": {"max_cps": 17}}}
    assert (limits_for(conf, "ja").max_line_chars, limits_for(conf, "ja").max_cps) == (13, 6)
    assert (limits_for(conf, "es").max_line_chars, limits_for(conf, "es").max_cps) == (37, 17)
    assert limits_for(conf, "en").max_line_chars == 37


def test_helpers_for_mixed_text():
    assert is_spaceless("客観的実在") and not is_spaceless("Hello 世界 again")
    assert join_lines(["客観的実在の", "判断"]) == "客観的実在の判断"
    assert join_lines(["ask not", "what"]) == "ask not what"


def test_japanese_error_rate_counts_characters():
    assert wer("客観的実在", "客観的実存") == 1.0  # as one word
    assert abs(wer("客観的実在", "客観的実存", "ja") - 0.2) < 1e-9
