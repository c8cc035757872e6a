"""Storing submitted forms: idempotent, all-or-nothing, batched through one writer.

A submission is stored as one response with its answers, the submission id, and the
invitation marked completed, all in one transaction. Submissions that arrive together
share that transaction (group commit): one writer thread takes what is queued, stores
it, commits, and only then answers every request in the batch. A crash before the commit
loses the whole batch and no request in it was told "stored"; the browser's retry with
the same submission id then stores it once. The invitation is claimed with a
compare-and-set update, so a double click, a retry racing the original, or a second
server process can never store two responses for one link.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, delete, insert, select, update

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.ingest.importer import fingerprint_answers
from cxgap.instruments import Instrument
from cxgap.services.collection.answers import (
    CheckedAnswers,
    check_answers,
    confirmed_items,
    merge_page,
    page_field_names,
)
from cxgap.services.collection.invitations import (
    LinkCompletedError,
    LinkState,
    _aware,
    _instrument,
    _instruments,
    _now,
    check_open,
)
from cxgap.services.collection.tokens import verify_link_token
from cxgap.services.imports import ANSWER_COLUMNS, answer_rows, insert_responses
from cxgap.store.bulk import bulk_insert
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Draft, InstrumentVersion, Invitation, Submission, Survey

MAX_SUBMISSION_KEY = 64


class AnswersInvalidError(ValidationError):
    """The form's answers break the instrument's rules; ``checked.errors`` says where."""

    def __init__(self, checked: CheckedAnswers, raw: dict[str, str], state: LinkState) -> None:
        super().__init__(f"{len(checked.errors)} answer(s) need attention")
        self.checked = checked
        self.raw = raw
        self.state = state


@dataclass(frozen=True)
class SubmissionResult:
    """The stored response; ``repeated`` when this submission id had been stored before."""

    response_id: int
    repeated: bool


@dataclass(frozen=True)
class _Job:
    survey_id: int
    instrument: Instrument
    values: Mapping[str, float | str | None]
    invitation_id: int | None = None
    submission_key: str | None = None
    customer_id: int | None = None


def _store_batch(engine: Engine, jobs: list[_Job]) -> list[SubmissionResult | None]:
    """Store jobs in one transaction; ``None`` for a job whose link was already used."""
    now = _now()
    claimed: set[int] = set()
    with transaction(engine) as session:
        connection = session.connection()
        first: dict[int, _Job] = {}
        for job in jobs:
            if job.invitation_id is not None:
                first.setdefault(job.invitation_id, job)
        if first:  # claim the links (and the write lock) before anything else
            claimed = set(
                connection.execute(
                    update(Invitation)
                    .where(Invitation.id.in_(list(first)), Invitation.status != "completed")
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
    results: list[SubmissionResult | None] = []
    for job in jobs:
        if id(job) in response_of:
            results.append(SubmissionResult(response_of[id(job)], repeated=False))
        else:
            results.append(_stored_submission(engine, job.invitation_id, job.submission_key))
    return results


def _insert_responses(session: Any, group: list[_Job], now: dt.datetime) -> list[int]:
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
        nan_is_null=connection.dialect.name == "sqlite",
    )
    bulk_insert(connection, "answers", ANSWER_COLUMNS, answers)
    return ids


def _stored_submission(
    engine: Engine, invitation_id: int | None, key: str | None
) -> SubmissionResult | None:
    if invitation_id is None or key is None:
        return None
    with engine.connect() as connection:
        response_id = connection.execute(
            select(Submission.response_id).where(
                Submission.invitation_id == invitation_id, Submission.key == key
            )
        ).scalar()
    return None if response_id is None else SubmissionResult(int(response_id), repeated=True)


class ResponseWriter:
    """One thread that stores queued submissions in batches (group commit)."""

    def __init__(self, engine: Engine, *, max_batch: int = 64) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[_Job, Future[SubmissionResult | None]]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(self, job: _Job) -> SubmissionResult | None:
        """Queue a job and wait until its batch is committed."""
        future: Future[SubmissionResult | None] = Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="cxgap-response-writer", daemon=True
                )
                self._thread.start()
        self._queue.put((job, future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results = _store_batch(self.engine, [job for job, _ in batch])
            except Exception:
                # One bad job must not sink the others: store each on its own.
                for job, future in batch:
                    try:
                        future.set_result(_store_batch(self.engine, [job])[0])
                    except Exception as exc:
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)


_writers: dict[str, ResponseWriter] = {}
_writers_lock = threading.Lock()


def response_writer(engine: Engine) -> ResponseWriter:
    """The process's writer for this database."""
    key = engine.url.render_as_string(hide_password=False)
    with _writers_lock:
        if key not in _writers:
            _writers[key] = ResponseWriter(engine)
        return _writers[key]


def submit_answers(
    engine: Engine,
    secret: bytes,
    token: str,
    raw: Mapping[str, str],
    *,
    submission_key: str,
    page: int | None = None,
) -> SubmissionResult:
    """Check and store a submitted form, exactly once per link.

    With ``page``, ``raw`` holds that page's fields and the other answers come from the
    saved draft.

    The same ``submission_key`` sent again (a retry, a double click) gets the result of
    the first. Raises ``AnswersInvalidError`` (answers to fix), ``NotFoundError`` (bad
    link), ``LinkExpiredError`` or ``LinkCompletedError`` (the link was used by another
    submission).
    """
    if not submission_key or len(submission_key) > MAX_SUBMISSION_KEY:
        raise ValidationError(
            f"submission id must be 1-{MAX_SUBMISSION_KEY} characters, got {len(submission_key)}"
        )
    state = _link_for_submission(engine, secret, token, submission_key)
    if isinstance(state, SubmissionResult):
        return state
    if page is not None:
        raw = merge_page(state.draft, page_field_names(state.instrument, page), raw)
    checked = check_answers(state.instrument, raw, confirmed=confirmed_items(raw))
    if not checked.ok:
        raise AnswersInvalidError(checked, dict(raw), state)
    job = _Job(
        survey_id=state.survey_id,
        instrument=state.instrument,
        values=checked.values,
        invitation_id=state.invitation_id,
        submission_key=submission_key,
        customer_id=state.customer_id,
    )
    result = response_writer(engine).store(job)
    if result is None:
        raise LinkCompletedError("this survey link has already been used to submit answers")
    return result


def _link_for_submission(
    engine: Engine, secret: bytes, token: str, key: str
) -> LinkState | SubmissionResult:
    """The open link, or the earlier result of this submission id (one query: this is
    the hot path of every submission)."""
    hashed = verify_link_token(secret, token)
    query = (
        select(
            Invitation.id,
            Invitation.status,
            Invitation.kind,
            Invitation.expires_at,
            Invitation.customer_id,
            Invitation.language,
            Survey.id,
            Survey.key,
            Survey.name,
            InstrumentVersion.checksum,
            Draft.answers,
            Draft.page,
        )
        .join(Survey, Survey.id == Invitation.survey_id)
        .join(InstrumentVersion, InstrumentVersion.id == Survey.instrument_id)
        .outerjoin(Draft, Draft.invitation_id == Invitation.id)
        .where(Invitation.token_hash == hashed)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise NotFoundError("this survey link is not valid; check that it was copied whole")
    (invitation_id, status, kind, expires_at, customer_id, language) = row[:6]
    survey_id, survey_key, survey_name, checksum, draft, page = row[6:]
    if status == "completed":
        earlier = _stored_submission(engine, invitation_id, key)
        if earlier is not None:
            return earlier
    if kind == "anonymous":
        raise ConflictError("answers are submitted on a respondent's own link")
    check_open(status, expires_at)
    instrument = _instruments.get(checksum)
    if instrument is None:
        with transaction(engine) as session:
            instrument = _instrument(session.get_one(Survey, survey_id))
    return LinkState(
        invitation_id=invitation_id,
        kind=kind,
        status=status,
        survey_id=survey_id,
        survey_key=survey_key,
        survey_name=survey_name,
        instrument=instrument,
        language=language,
        customer_id=customer_id,
        expires_at=_aware(expires_at),
        draft={str(k): str(v) for k, v in (draft or {}).items()},
        page=page or 0,
    )


_survey_ids: dict[str, tuple[int, Instrument]] = {}


def store_unchecked(engine: Engine, survey: str, raw: Mapping[str, str]) -> int:
    """Store form values as a response without any check (benchmark baseline only)."""
    if survey not in _survey_ids:
        with transaction(engine) as session:
            row = get_survey(session, survey)
            _survey_ids[survey] = (row.id, _instrument(row))
    survey_id, instrument = _survey_ids[survey]
    values: dict[str, float | str | None] = {}
    for column in instrument.answer_columns():
        value = raw.get(column.name)
        if column.field == "text":
            values[column.name] = value or None
        else:
            values[column.name] = float(value) if value else None
    result = response_writer(engine).store(_Job(survey_id, instrument, values))
    if result is None:  # pragma: no cover - jobs without a link are always stored
        raise ConflictError("baseline response not stored")
    return result.response_id
