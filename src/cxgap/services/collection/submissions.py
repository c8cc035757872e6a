"""Submitting forms: checked, idempotent, all-or-nothing, batched through one writer.

A submitted form goes to the database's writer thread. The writer takes what is queued,
looks up all of its links in one query, checks each form's answers, stores the valid
ones in one transaction (group commit, see ``storing``), and only after the commit
answers every request in the batch. A crash before the commit loses the whole batch and
no request in it was told "stored"; the browser's retry with the same submission id then
stores it once. Web requests await the answer on their event loop (no thread is held
while the batch is written); other callers block until it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from cxgap.errors import ConflictError, NotFoundError, ValidationError
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
    _instrument,
    _instruments,
    check_open,
)
from cxgap.services.collection.storing import (
    NewRespondent,
    StoreJob,
    SubmissionResult,
    store_batch,
    stored_submission,
)
from cxgap.services.collection.tokens import respondent_of, verify_link_token
from cxgap.store.database import checkpoint, is_sqlite, own_wal_checkpoints, transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Draft, InstrumentVersion, Invitation, Survey
from cxgap.text import counted
from cxgap.times import as_utc

MAX_SUBMISSION_KEY = 64


class AnswersInvalidError(ValidationError):
    """The form's answers break the instrument's rules; ``checked.errors`` says where."""

    def __init__(self, checked: CheckedAnswers, raw: dict[str, str], state: LinkState) -> None:
        count = len(checked.errors)
        super().__init__(
            f"{counted(count, 'answer')} {'needs' if count == 1 else 'need'} attention"
        )
        self.checked = checked
        self.raw = raw
        self.state = state


@dataclass(frozen=True)
class SubmittedForm:
    """A form sent to a link (signature already verified), still to be checked."""

    token_hash: str
    raw: Mapping[str, str]
    submission_key: str
    page: int | None = None
    shared_id: int | None = None
    """The anonymous link of a respondent's link (whose invitation may not be stored)."""


Outcome = SubmissionResult | None | BaseException
_Waiter = Future[SubmissionResult | None] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]"]

_LINK_QUERY = (
    select(
        Invitation.token_hash,
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
)


def _check_forms(
    engine: Engine, connection: Connection, forms: list[SubmittedForm]
) -> list[StoreJob | Outcome]:
    """Each form as a job to store, the earlier result of its submission id, or the
    error to answer with; all links are read in one query."""
    hashes = list(dict.fromkeys(form.token_hash for form in forms))
    outcomes: list[StoreJob | Outcome] = []
    rows = {
        row[0]: row
        for row in connection.execute(_LINK_QUERY.where(Invitation.token_hash.in_(hashes)))
    }
    shared = {f.shared_id for f in forms if f.token_hash not in rows and f.shared_id is not None}
    parents = {
        row[1]: row
        for row in (
            connection.execute(_LINK_QUERY.where(Invitation.id.in_(shared))) if shared else ()
        )
        if row[3] == "anonymous"
    }
    for form in forms:
        row: Any = rows.get(form.token_hash)
        if row is None and form.shared_id in parents:
            row = _new_respondent_row(form, parents[form.shared_id])
        try:
            outcomes.append(_check_form(engine, connection, form, row))
        except Exception as exc:  # the request's own answer; the batch goes on
            outcomes.append(exc)
    connection.rollback()  # end the read: storing begins its own transaction
    return outcomes


def _new_respondent_row(form: SubmittedForm, parent: Any) -> tuple[Any, ...]:
    """A link row for a respondent with nothing stored yet, from their shared link's row
    (no id, no draft)."""
    return (form.token_hash, None, "pending", "respondent", *parent[4:11], None, None)


def _check_form(
    engine: Engine, connection: Connection, form: SubmittedForm, row: Any
) -> StoreJob | SubmissionResult:
    if row is None:
        raise NotFoundError("this survey link is not valid; check that it was copied whole")
    (invitation_id, status, kind, expires_at, customer_id, language) = row[1:7]
    survey_id, survey_key, survey_name, checksum, draft, page = row[7:]
    respondent = None
    if invitation_id is None and form.shared_id is not None:
        respondent = NewRespondent(form.shared_id, form.token_hash, language, as_utc(expires_at))
    if status == "completed":
        earlier = stored_submission(connection, invitation_id, form.submission_key)
        if earlier is not None:
            return earlier
    if kind == "anonymous":
        raise ConflictError("answers are submitted on a respondent's own link")
    check_open(status, expires_at)
    instrument = _instruments.get(checksum)
    if instrument is None:
        with transaction(engine) as session:
            instrument = _instrument(session.get_one(Survey, survey_id))
    drafted = {str(k): str(v) for k, v in (draft or {}).items()}
    raw = form.raw
    if form.page is not None:
        raw = merge_page(drafted, page_field_names(instrument, form.page), raw)
    checked = check_answers(instrument, raw, confirmed=confirmed_items(raw))
    if not checked.ok:
        state = LinkState(
            invitation_id=invitation_id,
            kind=kind,
            status=status,
            survey_id=survey_id,
            survey_key=survey_key,
            survey_name=survey_name,
            instrument=instrument,
            language=language,
            customer_id=customer_id,
            expires_at=as_utc(expires_at),
            draft=drafted,
            page=page or 0,
            token_hash=form.token_hash,
            parent_id=form.shared_id if invitation_id is None else None,
        )
        raise AnswersInvalidError(checked, dict(raw), state)
    return StoreJob(
        survey_id=survey_id,
        instrument=instrument,
        values=checked.values,
        invitation_id=invitation_id,
        submission_key=form.submission_key,
        customer_id=customer_id,
        respondent=respondent,
    )


class ResponseWriter:
    """One thread that checks and stores queued submissions in batches (group commit).

    The thread keeps one connection. On SQLite it does not checkpoint the write-ahead
    log itself (a checkpoint copies and syncs the pages of many batches: done inline it
    would stall every request waiting on the writer); a second thread checkpoints after
    commits, at most every ``checkpoint_every`` seconds, without blocking the writer.
    """

    def __init__(
        self, engine: Engine, *, max_batch: int = 128, checkpoint_every: float = 0.25
    ) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.checkpoint_every = checkpoint_every
        self._connection: Connection | None = None
        self._committed = threading.Event()
        self._queue: queue.SimpleQueue[tuple[SubmittedForm | StoreJob, _Waiter]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def store(self, item: SubmittedForm | StoreJob) -> SubmissionResult | None:
        """Queue a form or job and wait until its batch is committed."""
        future: Future[SubmissionResult | None] = Future()
        self._put(item, future)
        return future.result()

    async def store_async(self, item: SubmittedForm | StoreJob) -> SubmissionResult | None:
        """Queue a form or job; the result arrives once its batch is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[SubmissionResult | None] = loop.create_future()
        self._put(item, (loop, future))
        return await future

    def _put(self, item: SubmittedForm | StoreJob, waiter: _Waiter) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="cxgap-response-writer", daemon=True
                    )
                    self._thread.start()
                    if is_sqlite(self.engine.url):
                        threading.Thread(
                            target=self._checkpoint, name="cxgap-wal-checkpoint", daemon=True
                        ).start()
        self._queue.put((item, waiter))

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                outcomes = self._process([item for item, _ in batch])
            except Exception as exc:  # the connection failed: answer, then reconnect
                outcomes = [exc] * len(batch)
                self._disconnect()
            _settle([waiter for _, waiter in batch], outcomes)
            self._committed.set()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self.engine.connect()
            own_wal_checkpoints(connection)
            self._connection = connection
        return self._connection

    def _disconnect(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()  # never back to the pool with our pragma
                self._connection.close()
            self._connection = None

    def _checkpoint(self) -> None:
        while True:
            self._committed.wait()
            self._committed.clear()
            try:
                with self.engine.connect() as connection:
                    checkpoint(connection)
            except Exception:  # pragma: no cover - a later checkpoint catches up
                pass
            time.sleep(self.checkpoint_every)

    def _process(self, items: list[SubmittedForm | StoreJob]) -> list[Outcome]:
        outcomes: list[Outcome] = [None] * len(items)
        forms = [(n, item) for n, item in enumerate(items) if isinstance(item, SubmittedForm)]
        jobs = [(n, item) for n, item in enumerate(items) if isinstance(item, StoreJob)]
        connection = self._connect()
        if forms:
            checked = _check_forms(self.engine, connection, [form for _, form in forms])
            for (n, _), outcome in zip(forms, checked, strict=True):
                if isinstance(outcome, StoreJob):
                    jobs.append((n, outcome))
                else:
                    outcomes[n] = outcome
        if not jobs:
            return outcomes
        stored: list[Outcome]
        try:
            stored = list(store_batch(connection, [job for _, job in jobs]))
        except Exception:
            # One bad job must not sink the others: store each on its own.
            stored = []
            for _, job in jobs:
                try:
                    stored.append(store_batch(connection, [job])[0])
                except Exception as exc:
                    stored.append(exc)
        for (n, job), outcome in zip(jobs, stored, strict=True):
            if outcome is None and job.invitation_id is not None:
                outcome = LinkCompletedError(
                    "this survey link has already been used to submit answers"
                )
            outcomes[n] = outcome
        return outcomes


def _settle(waiters: list[_Waiter], outcomes: list[Outcome]) -> None:
    """Hand each waiter its outcome; one wake-up per event loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Outcome]]] = {}
    for waiter, outcome in zip(waiters, outcomes, strict=True):
        if isinstance(waiter, Future):
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        else:
            by_loop.setdefault(waiter[0], []).append((waiter[1], outcome))
    for loop, done in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_resolve, done)


def _resolve(done: list[tuple[asyncio.Future[Any], Outcome]]) -> None:
    for future, outcome in done:
        if future.done():  # cancelled: the client went away (the result stands)
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


_writers: dict[str, ResponseWriter] = {}
_writers_lock = threading.Lock()


def response_writer(engine: Engine) -> ResponseWriter:
    """The process's writer for this database."""
    key = engine.url.render_as_string(hide_password=False)
    with _writers_lock:
        if key not in _writers:
            _writers[key] = ResponseWriter(engine)
        return _writers[key]


def _submitted_form(
    secret: bytes, token: str, raw: Mapping[str, str], submission_key: str, page: int | None
) -> SubmittedForm:
    if not submission_key or len(submission_key) > MAX_SUBMISSION_KEY:
        raise ValidationError(
            f"submission id must be 1-{MAX_SUBMISSION_KEY} characters, got {len(submission_key)}"
        )
    hashed = verify_link_token(secret, token)
    return SubmittedForm(hashed, raw, submission_key, page, respondent_of(token))


def _stored(result: SubmissionResult | None) -> SubmissionResult:
    if result is None:  # pragma: no cover - the writer answers a form with a result or error
        raise LinkCompletedError("this survey link has already been used to submit answers")
    return result


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
    form = _submitted_form(secret, token, raw, submission_key, page)
    return _stored(response_writer(engine).store(form))


async def submit_answers_async(
    engine: Engine,
    secret: bytes,
    token: str,
    raw: Mapping[str, str],
    *,
    submission_key: str,
    page: int | None = None,
) -> SubmissionResult:
    """``submit_answers`` for an event loop: awaits the writer's commit without
    holding a thread."""
    form = _submitted_form(secret, token, raw, submission_key, page)
    return _stored(await response_writer(engine).store_async(form))


_baseline_surveys: dict[tuple[str, str], tuple[int, Any]] = {}


def _unchecked_job(engine: Engine, survey: str, raw: Mapping[str, str]) -> StoreJob:
    key = (engine.url.render_as_string(hide_password=False), survey)
    if key not in _baseline_surveys:
        with transaction(engine) as session:
            row = get_survey(session, survey)
            _baseline_surveys[key] = (row.id, _instrument(row))
    survey_id, instrument = _baseline_surveys[key]
    values: dict[str, float | str | None] = {}
    for column in instrument.answer_columns():
        value = raw.get(column.name)
        if column.field == "text":
            values[column.name] = value or None
        else:
            values[column.name] = float(value) if value else None
    return StoreJob(survey_id, instrument, values)


def store_unchecked(engine: Engine, survey: str, raw: Mapping[str, str]) -> int:
    """Store form values as a response without any check (benchmark baseline only)."""
    return _stored(response_writer(engine).store(_unchecked_job(engine, survey, raw))).response_id


async def store_unchecked_async(engine: Engine, survey: str, raw: Mapping[str, str]) -> int:
    """``store_unchecked`` for an event loop."""
    job = _unchecked_job(engine, survey, raw)
    return _stored(await response_writer(engine).store_async(job)).response_id
