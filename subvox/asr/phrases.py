"""The phrases Whisper writes over non-speech, in the languages it writes them in.

Whisper learnt them from subtitle files of videos: the credits and sign-offs that sat
over music, applause and silence ("Thank you.", "Thanks for watching!", "Subtitles by
the Amara.org community", ZDF's "Untertitel im Auftrag des ZDF"). A segment that is only
such a phrase is suspicious, not wrong: people do say "thank you", so
subvox.asr.hallucination drops one only where the audio evidence says non-speech.
"""

from __future__ import annotations

import re
import unicodedata

# whole-segment texts after normalise(); a trailing "*" allows any continuation ("subtitles by *")
KNOWN_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "thank you",
        "thank you very much",
        "thank you so much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "you",
        "bye",
        "bye bye",
        "okay",
        "oh",
        "so",
        "please subscribe",
        "please subscribe to my channel",
        "like and subscribe",
        "see you next time",
        "see you in the next video",
        "subtitles by *",
        "subtitles made by *",
        "transcription by *",
        "transcribed by *",
        "captions by *",
        "translated by *",
        "woohoo",
        "wow",
        "hmm",
    ),
    "de": (
        "danke",
        "vielen dank",
        "danke schön",
        "danke fürs zuschauen",
        "tschüss",
        "bis zum nächsten mal",
        "untertitel im auftrag des zdf *",
        "untertitelung im auftrag des zdf *",
        "untertitel von *",
        "untertitelung des zdf *",
        "untertitel der amara org community",
    ),
    "fr": (
        "merci",
        "merci beaucoup",
        "merci d avoir regardé",
        "merci à tous",
        "au revoir",
        "sous titres réalisés par la communauté d amara org",
        "sous titres par *",
        "sous titrage *",
    ),
    "es": (
        "gracias",
        "muchas gracias",
        "gracias por ver",
        "gracias por ver el video",
        "adiós",
        "subtítulos realizados por la comunidad de amara org",
        "subtítulos por *",
    ),
    "it": (
        "grazie",
        "grazie a tutti",
        "grazie per la visione",
        "sottotitoli creati dalla comunità amara org",
        "sottotitoli *",
    ),
    "pt": ("obrigado", "obrigada", "muito obrigado", "legendas pela comunidade amara org", "legendas por *"),
    "nl": (
        "dank je wel",
        "bedankt",
        "bedankt voor het kijken",
        "ondertiteld door de amara org gemeenschap",
        "ondertiteling *",
    ),
    "pl": ("dziękuję", "dziękuję bardzo", "napisy stworzone przez społeczność amara org", "napisy wykonane przez *"),
    "ru": ("спасибо", "спасибо за просмотр", "продолжение следует", "субтитры сделал *", "редактор субтитров *"),
    "uk": ("дякую", "дякую за перегляд", "субтитри *"),
    "ja": ("ご視聴ありがとうございました", "ありがとうございました", "ありがとうございます", "おやすみなさい"),
    "zh": ("谢谢", "谢谢观看", "谢谢大家", "字幕由amara org社区提供", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目"),
    "ko": ("감사합니다", "시청해주셔서 감사합니다", "구독과 좋아요 부탁드립니다"),
    "ar": ("شكرا", "شكرا لكم", "شكرا للمشاهدة"),
    "tr": ("teşekkürler", "teşekkür ederim", "izlediğiniz için teşekkürler", "altyazı *"),
}


def normalise(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces: "Thank you." -> "thank you"."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _pattern() -> re.Pattern[str]:
    alternatives = []
    for phrases in KNOWN_PHRASES.values():
        for p in phrases:
            body = re.escape(normalise(p.rstrip("*")))
            alternatives.append(body + (r"(?: .*)?" if p.endswith("*") else ""))
    # a phrase said twice ("thank you thank you") is the same phrase
    one = "(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + ")"
    return re.compile(rf"^{one}(?: {one})?$")


_KNOWN = _pattern()


def known_phrase(text: str) -> bool:
    """Whether a segment's whole text is one of Whisper's non-speech phrases."""
    norm = normalise(text)
    return bool(norm) and _KNOWN.match(norm) is not None
