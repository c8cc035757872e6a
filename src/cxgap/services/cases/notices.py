"""The texts of case notifications, in the recipient's language.

The texts live in the catalogue file ``locale/*/LC_MESSAGES/notify.po`` (context
``dashboard``, keys ``notify_*``) in English, Chinese and Persian. Services do not read the
catalogue; the command line, the API and the dashboard pass a :data:`Wording` (see
:func:`cxgap.web.notices.catalogue_wording`) that fills a key in a language. A user's
``language`` picks the language. Without a wording (the demo, scripts) the English texts
of :data:`ENGLISH` are used; a test keeps them equal to the catalogue's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cxgap.store.cases import Case
from cxgap.times import as_utc

Wording = Callable[[str, str, Mapping[str, object]], str]
"""``(language, key, values) -> text``: the catalogue text ``key`` in ``language`` (English
when the catalogue lacks the language) with its placeholders filled from ``values``."""

ENGLISH: dict[str, str] = {
    "notify_assigned_subject": "Case {case} is yours: {cause} ({priority})",
    "notify_assigned_body": "Case {case} ({cause}, priority {priority}) was assigned to you.",
    "notify_first_response_due": "First response due: {due}",
    "notify_near_subject": "Case {case} is near its due time",
    "notify_past_subject": "Case {case} is past its due time",
    "notify_near_body": (
        "Case {case} ({cause}, priority {priority}, team {team}) is near its due time: due {due}."
    ),
    "notify_past_body": (
        "Case {case} ({cause}, priority {priority}, team {team}) is past its due time: due {due}."
    ),
    "notify_priority_high": "high",
    "notify_priority_normal": "normal",
    "notify_priority_low": "low",
}
"""The English texts of ``notify.po``, used when no wording is given."""


def english(lang: str, key: str, values: Mapping[str, object]) -> str:
    """The :data:`Wording` without the catalogue: English, whatever ``lang``."""
    return ENGLISH[key].format(**values)


@dataclass(frozen=True)
class Notice:
    """A notification's subject and body."""

    subject: str
    body: str


def _common(case: Case, lang: str, wording: Wording) -> dict[str, object]:
    # the case number as text: a number would get a thousands separator
    return {
        "case": str(case.id),
        "cause": case.cause,
        "priority": wording(lang, f"notify_priority_{case.priority}", {}),
    }


def assigned_notice(case: Case, lang: str, wording: Wording | None = None) -> Notice:
    """The notice to a case's new owner."""
    say = wording or english
    values = _common(case, lang, say)
    due = as_utc(case.first_response_due_at)
    body = say(lang, "notify_assigned_body", values)
    if due is not None:
        body += "\n" + say(lang, "notify_first_response_due", {"due": due.isoformat()})
    return Notice(say(lang, "notify_assigned_subject", values), body)


def escalation_notice(
    case: Case, level: int, due: dt.datetime, lang: str, wording: Wording | None = None
) -> Notice:
    """The notice to the team lead (``level`` 1, near due) or manager (2, past due)."""
    say = wording or english
    word = "near" if level == 1 else "past"
    values = {**_common(case, lang, say), "team": case.team or "-"}
    return Notice(
        say(lang, f"notify_{word}_subject", values),
        say(lang, f"notify_{word}_body", {**values, "due": as_utc(due).isoformat()}),
    )
