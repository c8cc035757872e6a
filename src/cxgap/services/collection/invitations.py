"""Invitations: issuing survey links, opening them, anonymous links, drafts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.instruments import Instrument
from cxgap.services.accounts import audit
from cxgap.services.collection.answers import draft_answers
from cxgap.services.collection.tokens import (
    new_link_token,
    new_respondent_token,
    respondent_of,
    verify_link_token,
)
from cxgap.services.surveys import instrument_of
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Customer, Draft, Invitation, Response, Survey
from cxgap.text import counted
from cxgap.times import as_utc, now

InvitationKind = Literal["personal", "anonymous"]
MAX_OPEN_RESPONDENTS = 10_000
"""Most respondents of one anonymous link with saved, unsubmitted answers."""
ABANDONED_AFTER = dt.timedelta(days=7)
"""Unsubmitted answers untouched this long are dropped when an anonymous link is full."""


class LinkExpiredError(ConflictError):
    """The invitation's expiry has passed."""


class LinkCompletedError(ConflictError):
    """The invitation was already used for a complete response."""


@dataclass(frozen=True)
class IssuedLink:
    """A new invitation link (the token is shown once; only its hash is stored)."""

    token: str
    kind: str
    customer: str | None
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkState:
    """What a survey link leads to, as its form needs it.

    A respondent of an anonymous link has no stored invitation until their first saved
    draft or submission: then ``invitation_id`` is ``None``, and ``token_hash`` and
    ``parent_id`` say what to store.
    """

    invitation_id: int | None
    kind: str
    status: str
    survey_id: int
    survey_key: str
    survey_name: str
    instrument: Instrument
    language: str | None
    customer_id: int | None
    expires_at: dt.datetime
    draft: dict[str, str]
    page: int
    token_hash: str = ""
    parent_id: int | None = None


_instruments: dict[str, Instrument] = {}


def _instrument(survey: Survey) -> Instrument:
    """Parsed instrument of a survey; stored versions never change, so parse once
    (keyed by the definition's checksum: the same in every database)."""
    checksum = survey.instrument.checksum
    found = _instruments.get(checksum)
    if found is None:
        found = _instruments[checksum] = instrument_of(survey)
    return found


def audience_members(session: Session, survey: Survey) -> list[tuple[int, str]]:
    """(id, external id) of every customer in ``survey``'s audience.

    A customer belongs to an audience through the surveys the customer answered or was
    invited to: a manager who answered a management survey is not sent a customer
    survey. Customers known from no survey (e.g. just imported) count as customers.
    """
    audiences: dict[int, set[str]] = {}
    for source in (Response, Invitation):
        pairs = session.execute(
            select(source.customer_id, Survey.audience)
            .join(Survey, Survey.id == source.survey_id)
            .where(source.customer_id.is_not(None))
            .distinct()
        )
        for customer_id, audience in pairs:
            if customer_id is not None:
                audiences.setdefault(customer_id, set()).add(audience)
    everyone = session.execute(select(Customer.id, Customer.external_id).order_by(Customer.id))
    return [(i, e) for i, e in everyone if survey.audience in audiences.get(i, {"customers"})]


def _refuse_second_links(
    session: Session, survey: Survey, wanted: Sequence[tuple[int, str]]
) -> None:
    """A :class:`ConflictError` when customers in ``wanted`` already have a personal link."""
    ids = [i for i, _ in wanted]
    having: set[int] = set()
    for start in range(0, len(ids), 500):
        having.update(
            session.scalars(
                select(Invitation.customer_id).where(
                    Invitation.survey_id == survey.id,
                    Invitation.kind == "personal",
                    Invitation.customer_id.in_(ids[start : start + 500]),
                )
            )
        )
    if having:
        examples = [e for i, e in wanted if i in having][:5]
        raise ConflictError(
            f"{len(having):,} of the {counted(len(wanted), 'customer')} already have a link to "
            f"survey {survey.key!r} (e.g. {', '.join(examples)}); nothing was issued. Ask for a "
            'second link to each (--again on the command line, "again": true in the API), or '
            "choose the customers who have none"
        )


def create_invitations(
    engine: Engine,
    secret: bytes,
    survey: str,
    *,
    customers: Sequence[str] | None = None,
    all_customers: bool = False,
    anonymous: int = 0,
    unassigned: int = 0,
    expires_days: float = 30,
    language: str | None = None,
    max_responses: int | None = None,
    again: bool = False,
    actor: User | str | None = None,
) -> list[IssuedLink]:
    """Issue links to ``survey``.

    Single-use links go to the given customers (external ids), to every customer of the
    survey's audience (``all_customers``, see :func:`audience_members`), or to no one in
    particular (``unassigned``: e.g. printed codes); ``anonymous`` shared links can be
    opened by anyone, each browser answering once (up to ``max_responses`` respondents per
    link).

    A customer who already has a personal link to the survey gets a second one only with
    ``again``; otherwise a :class:`ConflictError` says how many have one. With an
    ``actor``, the links are recorded in the audit log in the same transaction.
    """
    if expires_days <= 0:
        raise ValidationError(f"expires_days must be positive, got {expires_days}")
    expires_at = now() + dt.timedelta(days=expires_days)
    with transaction(engine) as session:
        row = get_survey(session, survey)
        instrument = _instrument(row)
        if language is not None and language not in instrument.languages:
            raise ValidationError(
                f"language {language!r} is not one of the languages of survey {survey!r}: "
                f"{', '.join(instrument.languages)}"
            )
        wanted: list[tuple[int, str]] = []
        if all_customers:
            wanted = audience_members(session, row)
        elif customers:
            found = dict(
                session.execute(
                    select(Customer.external_id, Customer.id).where(
                        Customer.external_id.in_(list(customers))
                    )
                ).all()
            )
            unknown = [c for c in customers if c not in found]
            if unknown:
                raise NotFoundError(
                    f"{counted(len(unknown), 'customer')} not found, "
                    f"e.g. {', '.join(unknown[:5])}; "
                    "import the customers first or check the ids"
                )
            wanted = [(found[c], c) for c in dict.fromkeys(customers)]
        if not wanted and not anonymous and not unassigned:
            raise ValidationError(
                "no one to invite: give customer ids, all customers, or a number of "
                "unassigned or anonymous links"
            )
        if wanted and not again:
            _refuse_second_links(session, row, wanted)
        issued: list[IssuedLink] = []
        rows: list[dict[str, Any]] = []
        targets: list[tuple[int | None, str | None, str]] = [
            *((c, e, "personal") for c, e in wanted),
            *[(None, None, "personal")] * unassigned,
            *[(None, None, "anonymous")] * anonymous,
        ]
        for customer_id, external, kind in targets:
            token, hashed = new_link_token(secret)
            rows.append(
                {
                    "survey_id": row.id,
                    "customer_id": customer_id,
                    "token_hash": hashed,
                    "kind": kind,
                    "language": language,
                    "status": "pending",
                    "max_responses": max_responses if kind == "anonymous" else None,
                    "expires_at": expires_at,
                    "reminders_sent": 0,
                    "created_at": now(),
                }
            )
            issued.append(IssuedLink(token, kind, external, expires_at))
        session.execute(insert(Invitation), rows)
        if actor is not None:
            audit(
                session,
                actor,
                "invitations.create",
                target_type="survey",
                target_id=survey,
                details={"count": len(issued), "kinds": sorted({i.kind for i in issued})},
            )
    return issued


def open_link(engine: Engine, secret: bytes, token: str, *, mark_opened: bool = True) -> LinkState:
    """The state behind a link; raises ``NotFoundError``, ``LinkExpiredError`` or
    ``LinkCompletedError`` (the last carries nothing the respondent did not send)."""
    hashed = verify_link_token(secret, token)
    with transaction(engine) as session:
        invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hashed))
        if invitation is None:
            return _new_respondent(session, respondent_of(token), hashed)
        survey = session.get_one(Survey, invitation.survey_id)
        state = link_state(invitation, survey, session.get(Draft, invitation.id))
        if invitation.parent_id is not None:
            _check_room(session, session.get_one(Invitation, invitation.parent_id))
        if mark_opened and invitation.opened_at is None and invitation.status != "completed":
            invitation.opened_at = now()
    return state


def _new_respondent(session: Session, shared_id: int | None, hashed: str) -> LinkState:
    """The state of a respondent's link that has nothing stored yet."""
    parent = None if shared_id is None else session.get(Invitation, shared_id)
    if parent is None or parent.kind != "anonymous":
        raise NotFoundError("this survey link is not valid; check that it was copied whole")
    shared = link_state(parent, session.get_one(Survey, parent.survey_id), None)
    _check_room(session, parent)
    return dataclasses.replace(
        shared,
        invitation_id=None,
        kind="respondent",
        token_hash=hashed,
        parent_id=parent.id,
    )


def _check_room(session: Session, shared: Invitation) -> None:
    """Raise when an anonymous link has as many submitted responses as it allows."""
    if shared.max_responses is None:
        return
    done = session.scalar(
        select(func.count()).where(
            Invitation.parent_id == shared.id, Invitation.status == "completed"
        )
    )
    if (done or 0) >= shared.max_responses:
        raise LinkCompletedError(LIMIT_REACHED)


LIMIT_REACHED = "this survey link has reached its number of responses"


def check_open(status: str, expires_at: dt.datetime) -> None:
    """Raise unless a link with this status and expiry can still be answered."""
    if status == "completed":
        raise LinkCompletedError("this survey link has already been used to submit answers")
    if as_utc(expires_at) <= now():
        raise LinkExpiredError(f"this survey link expired on {expires_at:%Y-%m-%d}")


def link_state(invitation: Invitation, survey: Survey, draft: Draft | None) -> LinkState:
    """The state of an open link; raises if it was used or has expired."""
    check_open(invitation.status, invitation.expires_at)
    return LinkState(
        invitation_id=invitation.id,
        kind=invitation.kind,
        status=invitation.status,
        survey_id=survey.id,
        survey_key=survey.key,
        survey_name=survey.name,
        instrument=_instrument(survey),
        language=invitation.language,
        customer_id=invitation.customer_id,
        expires_at=as_utc(invitation.expires_at),
        draft={str(k): str(v) for k, v in (draft.answers if draft else {}).items()},
        page=draft.page if draft else 0,
    )


def start_respondent(engine: Engine, secret: bytes, shared: LinkState) -> str:
    """A single-use link of one respondent of an anonymous (shared) link.

    Nothing is stored until the respondent saves or submits answers, and only submitted
    responses count towards the shared link's ``max_responses``.
    """
    if shared.kind != "anonymous" or shared.invitation_id is None:
        raise ValidationError("only an anonymous link starts new respondents")
    with transaction(engine) as session:
        _check_room(session, session.get_one(Invitation, shared.invitation_id))
    return new_respondent_token(secret, shared.invitation_id)[0]


def save_draft(engine: Engine, state: LinkState, answers: Mapping[str, str], page: int) -> None:
    """Keep the answers given so far (raw form values) so the respondent can resume.

    Only the instrument's answer fields are kept, each within its length; a draft over
    its bounds raises ``DraftTooLargeError`` and nothing is saved. A respondent of an
    anonymous link gets their invitation stored with their first draft.
    """
    if state.kind == "anonymous":
        raise ValidationError("answers are saved on a respondent's own link")
    kept = draft_answers(state.instrument, answers)
    with transaction(engine) as session:
        invitation_id = state.invitation_id
        if invitation_id is None:
            invitation_id = _store_respondent(session, state)
        started = session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.status != "completed")
            .values(status="started")
        )
        if started.rowcount == 0:  # type: ignore[attr-defined]
            raise LinkCompletedError("this survey link has already been used to submit answers")
        draft = session.get(Draft, invitation_id)
        if draft is None:
            session.add(Draft(invitation_id=invitation_id, answers=kept, page=page))
        else:
            draft.answers = kept
            draft.page = page


def _store_respondent(session: Session, state: LinkState) -> int:
    """The invitation of a respondent of an anonymous link, stored now if it was not.

    At most ``MAX_OPEN_RESPONDENTS`` respondents of one link have unsubmitted answers;
    when that many do, those untouched for ``ABANDONED_AFTER`` are dropped first.
    """
    found = session.scalar(select(Invitation.id).where(Invitation.token_hash == state.token_hash))
    if found is not None:
        return found
    open_ones = (
        select(Invitation.id)
        .outerjoin(Draft, Draft.invitation_id == Invitation.id)
        .where(Invitation.parent_id == state.parent_id, Invitation.status != "completed")
    )
    if _count(session, open_ones) >= MAX_OPEN_RESPONDENTS:
        stale = open_ones.where(
            or_(Draft.updated_at.is_(None), Draft.updated_at < now() - ABANDONED_AFTER)
        )
        ids = list(session.scalars(stale.limit(MAX_OPEN_RESPONDENTS)))
        session.execute(delete(Draft).where(Draft.invitation_id.in_(ids)))
        session.execute(delete(Invitation).where(Invitation.id.in_(ids)))
        if _count(session, open_ones) >= MAX_OPEN_RESPONDENTS:
            raise ConflictError(
                f"{MAX_OPEN_RESPONDENTS:,} people are answering this survey link already; "
                "your answers can be submitted but not saved for later"
            )
    invitation = Invitation(
        survey_id=state.survey_id,
        parent_id=state.parent_id,
        token_hash=state.token_hash,
        kind="respondent",
        language=state.language,
        status="pending",
        expires_at=state.expires_at,
        opened_at=now(),
        reminders_sent=0,
    )
    session.add(invitation)
    session.flush()
    return invitation.id


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
