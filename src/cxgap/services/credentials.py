"""What a sign-in email and a password may be.

Emails
    Trimmed, NFKC-normalised (full-width ``ａ`` becomes ``a``, ``。`` a dot) and lower-cased,
    at creation and at sign-in alike, so one person has one spelling. Refused: control and
    invisible formatting characters, a local part or domain label that mixes scripts
    (``pаypal`` with a Cyrillic ``а``), and a label written entirely in Cyrillic or Greek
    letters that look like Latin ones (``раура1``): such addresses pass for another.

Passwords
    12 to 1024 characters, no control characters, and hard to guess: the ``zxcvbn``
    estimator (common passwords, names, words, keyboard patterns, sequences, repeats and
    dates, plus the account's own email and name) must rate the first 72 characters at
    least :data:`MIN_PASSWORD_SCORE` of 4 (more than 10^10 guesses). ``123456789012``,
    twelve spaces, ``abcabcabcabc``, ``password1234`` and the email's local part are
    refused; a few unrelated words are accepted.
"""

from __future__ import annotations

import re
import unicodedata

from zxcvbn import zxcvbn

from cxgap.errors import ValidationError
from cxgap.text import check_text

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_SCORE = 3
"""zxcvbn's score: 3 is "safely unguessable" (about 10^10 guesses or more)."""
_ESTIMATED_LENGTH = 72
"""zxcvbn refuses longer input; the rest of a longer password only adds strength."""

_DOTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\uff0e": "."})
_EAST_ASIAN = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC")
_LOOK_LATIN = frozenset("аеорсухіјѕһԁԛԝӏүкοανριυκχ")
"""Cyrillic and Greek small letters that read as Latin ones."""


def _script(char: str) -> str:
    name = unicodedata.name(char, "UNKNOWN")
    if name.startswith(_EAST_ASIAN):
        return "EAST ASIAN"  # Japanese and Korean mix these scripts by design
    return name.split(" ", 1)[0]


def _check_label(label: str, email: str) -> None:
    letters = [c for c in label if unicodedata.category(c).startswith("L")]
    scripts = {_script(c) for c in letters}
    if len(scripts) > 1:
        raise ValidationError(
            f"email {email!r} mixes scripts ({', '.join(sorted(scripts))}) in {label!r}; "
            "write each part of an address in one script"
        )
    if scripts & {"CYRILLIC", "GREEK"} and all(c in _LOOK_LATIN for c in letters):
        raise ValidationError(
            f"email {email!r}: {label!r} is written in {scripts.pop().title()} letters that "
            "look like Latin ones; use the address as it is really spelled"
        )


def normalize_email(email: str) -> str:
    """The one spelling of ``email`` (see the module's description), or ValidationError."""
    text = unicodedata.normalize("NFKC", email.strip()).translate(_DOTS).lower()
    check_text(text, where="email", multiline=False)
    hidden = [c for c in text if unicodedata.category(c) in ("Cf", "Co", "Cn", "Zs", "Zl")]
    if hidden:
        raise ValidationError(
            f"email {text!r} holds an invisible character U+{ord(hidden[0]):04X}; an "
            "address may hold visible characters only"
        )
    local, _, domain = text.rpartition("@")
    for label in [local, *domain.split(".")]:
        _check_label(label, text)
    return text


def check_password(password: str, *, email: str | None = None, name: str | None = None) -> None:
    """Raise :class:`ValidationError` (never repeating the password) if it is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password too short: {len(password)} characters, at least "
            f"{MIN_PASSWORD_LENGTH} are required"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password longer than {MAX_PASSWORD_LENGTH} characters")
    check_text(password, where="password", multiline=False)
    own: list[str] = ["cxgap"]
    if email:
        local, _, domain = email.partition("@")
        own += [email, local, domain, *domain.split("."), *local.replace("_", ".").split(".")]
    if name:
        own += [name, *name.split()]
    own = [w for w in own if len(w) >= 3]
    rest = password  # it must be strong even without the account's own name and email
    for word in sorted(own, key=len, reverse=True):
        rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
    verdicts = [zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=own)]
    if rest != password:
        verdicts.append(
            zxcvbn(rest[:_ESTIMATED_LENGTH], user_inputs=own)
            if rest.strip(" ._-")
            else {"score": 0, "feedback": {"warning": "it is made of your own name or email"}}
        )
    verdict = min(verdicts, key=lambda v: int(v["score"]))
    if verdict["score"] < MIN_PASSWORD_SCORE:
        feedback = verdict.get("feedback") or {}
        why = feedback.get("warning") or "it follows a common pattern"
        raise ValidationError(
            f"password too easy to guess: {why.rstrip('.').lower()}; use a longer phrase of "
            "unrelated words, not a common password, sequence, repetition or your own "
            "name or email"
        )
