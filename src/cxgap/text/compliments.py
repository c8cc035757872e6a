"""Is a feedback message a compliment? A documented keyword rule in en, zh and fa.

A message is a **compliment** when it holds at least one praise word of its language and
none of that language's complaint markers (a negation, a complaint word, "again",
"still"): "the staff were friendly, thank you" is one, "not helpful" and "thanks, but
nobody called back" are not. English and Persian words are matched as whole words
(case-insensitively; Arabic ``ي``/``ك`` are read as Persian ``ی``/``ک``), Chinese phrases as
substrings. A language other than en, zh and fa (``en-GB`` counts as ``en``) is read with
the words of all three. The lists are :data:`PRAISE` and :data:`COMPLAINT`
(``docs/cases.md``, *Delight credit*).
"""

from __future__ import annotations

import re

PRAISE: dict[str, frozenset[str]] = {
    "en": frozenset(
        {
            "thank",
            "thanks",
            "grateful",
            "appreciate",
            "appreciated",
            "friendly",
            "helpful",
            "kind",
            "polite",
            "patient",
            "professional",
            "excellent",
            "great",
            "wonderful",
            "fantastic",
            "brilliant",
            "amazing",
            "perfect",
            "perfectly",
            "quick",
            "easy",
            "outstanding",
            "courteous",
            "superb",
        }
    ),
    "zh": frozenset(
        {
            "谢谢",
            "感谢",
            "多谢",
            "表扬",
            "满意",
            "很好",
            "热情",
            "耐心",
            "专业",
            "周到",
            "很快",
            "方便",
            "优秀",
            "点赞",
            "给力",
            "贴心",
        }
    ),
    "fa": frozenset(
        {
            "ممنون",
            "متشکرم",
            "مرسی",
            "سپاس",
            "سپاسگزارم",
            "تشکر",
            "عالی",
            "مهربان",
            "مودب",
            "صبور",
            "حرفه‌ای",
            "خوب",
            "سریع",
            "آسان",
            "خوش‌برخورد",
        }
    ),
}
"""Words (en, fa) and phrases (zh) that praise."""

COMPLAINT: dict[str, frozenset[str]] = {
    "en": frozenset(
        {
            "not",
            "never",
            "nobody",
            "no",
            "didn't",
            "don't",
            "doesn't",
            "wasn't",
            "again",
            "still",
            "complain",
            "complaint",
            "terrible",
            "awful",
            "bad",
            "poor",
            "rude",
            "slow",
            "worst",
            "disappointed",
            "confusing",
            "but",
        }
    ),
    "zh": frozenset(
        {
            "没有",
            "没人",
            "不满",
            "投诉",
            "太差",
            "很差",
            "糟糕",
            "失望",
            "太慢",
            "打不通",
            "看不懂",
            "又",
            "还是",
            "但是",
            "不好",
        }
    ),
    "fa": frozenset(
        {
            "شکایت",
            "بد",
            "افتضاح",
            "ناراضی",
            "هنوز",
            "متاسفانه",
            "متأسفانه",
            "نگرفت",
            "نیامد",
            "نکرد",
            "نشد",
            "نبود",
            "اما",
            "ولی",
            "کند",
        }
    ),
}
"""Markers that make a message with praise words no compliment."""

_WORD = re.compile(r"[\w\u200c'’-]+")
_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "’": "'"})


def _base(language: str) -> list[str]:
    base = language.split("-")[0].lower()
    return [base] if base in PRAISE else list(PRAISE)


def _hits(text: str, lang: str, words: frozenset[str]) -> bool:
    if lang == "zh":
        return any(phrase in text for phrase in words)
    tokens = {t.strip("\u200c'-") for t in _WORD.findall(text.lower())}
    return not tokens.isdisjoint(words)


def is_compliment(text: str, language: str) -> bool:
    """Whether ``text`` (written in ``language``) is a compliment by the module's rule.

    >>> is_compliment("The staff were friendly, thank you.", "en")
    True
    >>> is_compliment("Thanks, but nobody called back.", "en")
    False
    >>> is_compliment("停暖后修得很快，谢谢。", "zh")
    True
    >>> is_compliment("暖气停了，没有人回电话。", "zh")
    False
    >>> is_compliment("کارکنان مهربان بودند، ممنون.", "fa")
    True
    """
    normalised = text.translate(_PERSIAN)
    langs = _base(language)
    praised = any(_hits(normalised, lang, PRAISE[lang]) for lang in langs)
    return praised and not any(_hits(normalised, lang, COMPLAINT[lang]) for lang in langs)
