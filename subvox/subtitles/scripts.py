"""Writing systems: where a space goes between two words, and where a line may break.

Whisper's word tokens carry their own leading space in languages written with spaces
(" And", " so,") and none in Japanese, Chinese or Thai, where its words are pieces of one
unspaced run ("客観", "的"). Cue text rebuilt with ``" ".join`` puts a space between every
such piece ("客 観 的"). Here a space is kept between two words unless the raw token has
none *and* the boundary touches a script written without spaces, so a Latin word inside
Japanese keeps the spaces Whisper gave it and English never glues two words together.

Lines of unspaced scripts break between characters, never before closing punctuation or
after opening punctuation (the Japanese kinsoku rule, which Chinese subtitles follow too), and
rather where a phrase ends than inside a word: ``inside_word`` tells the two apart without a
dictionary, from the scripts on either side of the break (Japanese phrases end in kana particles
and endings, and the next begins with a kanji or katakana word: 知識が|成立する, not 知|識).
"""

from __future__ import annotations

# Unicode blocks of scripts written without spaces between words.
_SPACELESS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」)
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms (！？，：)
    (0x20000, 0x2FA1F),  # CJK extensions B-F
)
# never at the start of a line / never at the end of one
NO_LINE_START = set("、。，．・：；？！）」』】〕〉》”’ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ!),.:;?…")
NO_LINE_END = set("（「『【〔〈《“‘(")
_HIRAGANA = ((0x3040, 0x309F),)
_WORD_START = ((0x30A0, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def spaceless(ch: str) -> bool:
    """A character of a script written without spaces between words."""
    return _within(ch, _SPACELESS)


def _within(ch: str, blocks: tuple[tuple[int, int], ...]) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in blocks)


def inside_word(left: str, right: str) -> bool:
    """A line break between the characters ``left`` and ``right`` would likely split a word: both
    are of a script written without spaces, ``left`` is no punctuation, and it is not the end of a
    Japanese phrase (hiragana, then a kanji or katakana word)."""
    if not (spaceless(left) and spaceless(right)) or not left.isalpha() or right in NO_LINE_END:
        return False
    return not (_within(left, _HIRAGANA) and _within(right, _WORD_START))


def separator(previous: str, raw_word: str) -> str:
    """What goes between the text so far and the next Whisper word token (raw, unstripped)."""
    word = raw_word.strip()
    if not previous or not word:
        return ""
    if raw_word[:1].isspace():
        return " "
    return "" if spaceless(previous[-1]) or spaceless(word[0]) else " "


def join_words(raw_words: list[str]) -> str:
    """Whisper word tokens joined as their language writes them."""
    text = ""
    for raw in raw_words:
        text += separator(text, raw) + raw.strip()
    return text


def is_spaceless(text: str) -> bool:
    """Mostly written without spaces (decides character-wise line breaking and limits)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(spaceless(c) for c in letters) * 2 > len(letters)


def line_units(text: str) -> list[tuple[str, str]]:
    """``text`` as (separator, unit) pairs a line may break between: words, and inside an
    unspaced run, characters (punctuation kept with the character it must stay beside)."""
    units: list[tuple[str, str]] = []
    for word in text.split():
        sep = " "
        for ch in word:
            breakable = units and sep == "" and spaceless(ch) and spaceless(units[-1][1][-1])
            glued = ch in NO_LINE_START or (units and units[-1][1][-1] in NO_LINE_END)
            if not units or sep == " " or (breakable and not glued):
                units.append((sep if units else "", ch))
            else:
                units[-1] = (units[-1][0], units[-1][1] + ch)
            sep = ""
    return units


def join_units(units: list[tuple[str, str]]) -> str:
    return "".join(sep + unit for sep, unit in units).lstrip()


def join_lines(lines: list[str]) -> str:
    """A cue's lines as one run of text (no space where the script has none)."""
    text = ""
    for line in lines:
        if text and line:
            text += "" if spaceless(text[-1]) and spaceless(line[0]) else " "
        text += line
    return text


def space_inside_spaceless(text: str) -> bool:
    """A space between two characters of an unspaced script (what a cue must never show)."""
    return any(spaceless(a) and b == " " and spaceless(c) for a, b, c in zip(text, text[1:], text[2:], strict=False))
