"""Storing checked answers: one transaction for a batch of responses, links claimed once.

A batch's responses, answers, submission ids and completed invitations are written in
one transaction (group commit), so a crash loses a whole batch or nothing. Each link is
claimed with a compare-and-set update, so a double click, a retry racing the original,
or a second server process can never store two responses for one link. A respondent of
an anonymous link is counted against the link's ``max_responses`` in the same
transaction, when the response is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from cxgap.ingest.importer import fingerprint_answers
from cxgap.instruments import Instrument
from cxgap.services.collection.invitations import LIMIT_REACHED, LinkCompletedError
from cxgap.services.imports import ANSWER_COLUMNS, answer_rows, insert_responses
from cxgap.store.bulk import binds_nan_as_null, bulk_insert
from cxgap.store.models import Draft, Invitation, Submission


@dataclass(frozen=True)
class SubmissionResult:
    """The stored response; ``repeated`` when this submission id had been stored before."""

    response_id: int
    repeated: bool


@dataclass(frozen=True)
class NewRespondent:
    """A respondent of an anonymous link whose invitation is not stored yet."""

    parent_id: int
    token_hash: str
    language: str | None
    expires_at: dt.datetime


@dataclass(frozen=True)
class StoreJob:
    """Checked answer values to store as one response (through a link, or without one)."""

    survey_id: int
    instrument: Instrument
    values: Mapping[str, float | str | None]
    invitation_id: int | None = None
    submission_key: str | None = None
    customer_id: int | None = None
    respondent: NewRespondent | None = None


Stored = SubmissionResult | LinkCompletedError | None


def store_batch(connection: Connection, jobs: list[StoreJob]) -> list[Stored]:
    """Store jobs in one transaction on ``connection`` (which must not be in one); ``None``
    for a job whose link was already used, ``LinkCompletedError`` for one whose anonymous
    link has as many responses as it allows."""
    now = dt.datetime.now(dt.UTC)
    claimed: set[int] = set()
    full: set[int] = set()
    with connection.begin():
        session = Session(bind=connection)  # joins the transaction (the import code's API)
        jobs, created = _with_invitations(connection, jobs, now)
        first: dict[int, StoreJob] = {}
        for job in jobs:
            if job.invitation_id is not None:
                first.setdefault(job.invitation_id, job)
        if first:  # claim the links (and the write lock) before anything else
            full = _over_limit(connection, list(first))
            if full & created:  # no row for a respondent who could not answer
                connection.execute(delete(Invitation).where(Invitation.id.in_(full & created)))
            claimed = set(
                connection.execute(
                    update(Invitation)
                    .where(
                        Invitation.id.in_([i for i in first if i not in full]),
                        Invitation.status != "completed",
                    )
                    .values(status="completed", completed_at=now)
                    .returning(Invitation.id)
                ).scalars()
            )
        else:  # a write first, so the ids reserved below are safe (see reserve_ids)
            connection.execute(delete(Draft).where(Draft.invitation_id == -1))
        storing = [
            job
            for job in jobs
            if job.invitation_id is None
            or (job.invitation_id in claimed and first[job.invitation_id] is job)
        ]
        response_of: dict[int, int] = {}
        for survey_id in dict.fromkeys(job.survey_id for job in storing):
            group = [job for job in storing if job.survey_id == survey_id]
            ids = _insert_responses(session, group, now)
            response_of.update({id(job): rid for job, rid in zip(group, ids, strict=True)})
        links = [job for job in storing if job.invitation_id is not None]
        if links:
            connection.execute(
                insert(Submission),
                [
                    {
                        "invitation_id": job.invitation_id,
                        "key": job.submission_key,
                        "response_id": response_of[id(job)],
                        "created_at": now,
                    }
                    for job in links
                ],
            )
            connection.execute(
                update(Invitation)
                .where(Invitation.id == bindparam("iid"))
                .values(response_id=bindparam("rid")),
                [{"iid": job.invitation_id, "rid": response_of[id(job)]} for job in links],
            )
            connection.execute(
                delete(Draft).where(Draft.invitation_id.in_([job.invitation_id for job in links]))
            )
        session.close()
    results: list[Stored] = []
    earlier = {
        id(job): stored_submission(connection, job.invitation_id, job.submission_key)
        for job in jobs
        if id(job) not in response_of
    }
    if earlier:
        connection.rollback()  # end the read
    for job in jobs:
        if id(job) in response_of:
            results.append(SubmissionResult(response_of[id(job)], repeated=False))
        elif earlier[id(job)] is None and job.invitation_id in full:
            results.append(LinkCompletedError(LIMIT_REACHED))
        else:
            results.append(earlier[id(job)])
    return results


def _with_invitations(
    connection: Connection, jobs: list[StoreJob], now: dt.datetime
) -> tuple[list[StoreJob], set[int]]:
    """The jobs, each respondent of an anonymous link with their invitation (stored now
    for those that had none: the first write of the transaction takes the write lock),
    and the ids of the invitations stored here."""
    new = {job.respondent.token_hash: job for job in jobs if job.respondent is not None}
    if not new:
        return jobs, set()
    connection.execute(delete(Draft).where(Draft.invitation_id == -1))  # the write lock
    ids = dict(
        connection.execute(
            select(Invitation.token_hash, Invitation.id).where(Invitation.token_hash.in_(new))
        ).all()
    )
    created: set[int] = set()
    for hashed, job in new.items():
        if hashed not in ids and job.respondent is not None:
            ids[hashed] = connection.execute(
                insert(Invitation)
                .values(
                    survey_id=job.survey_id,
                    parent_id=job.respondent.parent_id,
                    token_hash=hashed,
                    kind="respondent",
                    language=job.respondent.language,
                    status="pending",
                    expires_at=job.respondent.expires_at,
                    opened_at=now,
                    reminders_sent=0,
                    created_at=now,
                )
                .returning(Invitation.id)
            ).scalar_one()
            created.add(ids[hashed])
    return [
        job
        if job.respondent is None
        else dataclasses.replace(job, invitation_id=ids[job.respondent.token_hash])
        for job in jobs
    ], created


def _over_limit(connection: Connection, invitation_ids: list[int]) -> set[int]:
    """The unclaimed respondents in ``invitation_ids`` whose anonymous link already has
    (or with the ones before them here, would have) as many responses as it allows."""
    rows = connection.execute(
        select(Invitation.id, Invitation.parent_id).where(
            Invitation.id.in_(invitation_ids),
            Invitation.parent_id.is_not(None),
            Invitation.status != "completed",
        )
    ).all()
    if not rows:
        return set()
    parents = {parent for _, parent in rows}
    # Lock the shared links' rows (PostgreSQL) so that concurrent writers count in turn.
    connection.execute(
        update(Invitation)
        .where(Invitation.id.in_(parents))
        .values(max_responses=Invitation.max_responses)
    )
    limits = {
        shared: int(most)
        for shared, most in connection.execute(
            select(Invitation.id, Invitation.max_responses).where(Invitation.id.in_(parents))
        )
        if most is not None
    }
    if not limits:
        return set()
    done = {
        int(shared or 0): int(n)
        for shared, n in connection.execute(
            select(Invitation.parent_id, func.count())
            .where(Invitation.parent_id.in_(list(limits)), Invitation.status == "completed")
            .group_by(Invitation.parent_id)
        )
    }
    full: set[int] = set()
    order = {iid: n for n, iid in enumerate(invitation_ids)}
    for iid, parent in sorted(rows, key=lambda row: order[row[0]]):
        if parent not in limits:
            continue
        if done.get(parent, 0) >= limits[parent]:
            full.add(iid)
        else:
            done[parent] = done.get(parent, 0) + 1
    return full


def _insert_responses(session: Session, group: list[StoreJob], now: dt.datetime) -> list[int]:
    """Responses and answers of one survey's jobs, the way an import stores them."""
    instrument = group[0].instrument
    columns = instrument.answer_columns()
    values: dict[str, pd.Series] = {}
    for column in columns:
        raw = [job.values.get(column.name) for job in group]
        if column.field == "text":
            values[column.name] = pd.Series(raw, dtype=object)
        else:
            values[column.name] = pd.Series(
                np.array([np.nan if v is None else v for v in raw], dtype=np.float64)
            )
    fingerprints = fingerprint_answers(values, pd.RangeIndex(len(group))).tolist()
    rows = [
        {
            "survey_id": job.survey_id,
            "customer_id": job.customer_id,
            "respondent_key": (
                f"web-{job.invitation_id}"
                if job.invitation_id is not None
                else f"baseline-{uuid.uuid4().hex}"
            ),
            "fingerprint": fingerprints[n],
            "source": "web" if job.invitation_id is not None else "baseline",
            "status": "complete",
            "submitted_at": now,
        }
        for n, job in enumerate(group)
    ]
    ids = insert_responses(session, rows)
    connection = session.connection()
    answers = answer_rows(
        values,
        columns,
        np.arange(len(group)),
        ids,
        nan_is_null=binds_nan_as_null(connection),
    )
    bulk_insert(connection, "answers", ANSWER_COLUMNS, answers)
    return ids


def stored_submission(
    connection: Connection, invitation_id: int | None, key: str | None
) -> SubmissionResult | None:
    """The response stored earlier under this link and submission id, if any."""
    if invitation_id is None or key is None:
        return None
    response_id = connection.execute(
        select(Submission.response_id).where(
            Submission.invitation_id == invitation_id, Submission.key == key
        )
    ).scalar()
    return None if response_id is None else SubmissionResult(int(response_id), repeated=True)
