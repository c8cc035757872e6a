"""Counts in English messages: ``1 respondent``, ``2,000 respondents``."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` with thousands separators and the noun in the number it takes.

    >>> counted(1, "respondent"), counted(2000, "respondent"), counted(0, "reply", "replies")
    ('1 respondent', '2,000 respondents', '0 replies')
    """
    noun = singular if n == 1 else (plural or singular + "s")
    return f"{n:,} {noun}"
