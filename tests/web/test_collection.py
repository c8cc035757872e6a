"""The collection service: links, answer checks, drafts and exactly-once submission."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text, update

from cxgap.errors import ConfigurationError, NotFoundError, ValidationError
from cxgap.instruments import Instrument
from cxgap.services.collection import (
    AnswersInvalidError,
    LinkCompletedError,
    LinkExpiredError,
    SubmissionResult,
    check_answers,
    create_invitations,
    open_link,
    save_draft,
    signing_secret,
    start_respondent,
    submit_answers,
    submit_answers_async,
)
from cxgap.services.collection.tokens import NONCE_BYTES, SIGNATURE_CHARS, _secret_for
from cxgap.services.customers import upsert_customers
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Invitation, Response, Submission

from .helpers import VALID

SECRET = b"s" * 64


@pytest.fixture
def link(engine: Engine, mini_survey: str) -> str:
    return create_invitations(engine, SECRET, mini_survey, unassigned=1)[0].token


@pytest.fixture
def links(engine: Engine, mini_survey: str) -> list[str]:
    with transaction(engine) as session:
        upsert_customers(session, {"C1": {"gender": "female"}, "C2": {}})
    return [i.token for i in create_invitations(engine, SECRET, mini_survey, all_customers=True)]


def codes(instrument: Instrument, raw: dict[str, str], **kw: object) -> set[tuple[str, str]]:
    return {(e.field or e.item, e.code) for e in check_answers(instrument, raw, **kw).errors}  # type: ignore[arg-type]


def test_valid_answers_of_every_format(mini: Instrument) -> None:
    checked = check_answers(mini, VALID)
    assert checked.ok
    assert checked.values["rel1_adequate"] == 4.0
    assert checked.values["importance_empathy"] == 30.0
    assert checked.values["comment"] == "Quick and friendly"
    # nothing answered: the formats required by default are named, rating and text are not
    missing = {(e.item, e.code) for e in check_answers(mini, {}).errors}
    assert missing == {(i, "required") for i in ("rel1", "emp1", "dis1", "kano_app", "importance")}


def test_scale_ranges_whole_numbers_and_digits(mini: Instrument) -> None:
    assert codes(mini, {**VALID, "nps": "11"}) == {("nps", "out_of_range")}
    assert codes(mini, {**VALID, "dis1": "0"}) == {("dis1", "out_of_range")}
    assert codes(mini, {**VALID, "kano_app_functional": "2.5"}) == {
        ("kano_app_functional", "out_of_range")
    }
    assert codes(mini, {**VALID, "emp1_expected": "abc"}) == {("emp1_expected", "not_a_number")}
    # Persian digits are the same numbers
    checked = check_answers(mini, {**VALID, "nps": "۱۰", "importance_reliability": "٧٠"})
    assert checked.ok and checked.values["nps"] == 10.0


def test_points_must_reach_total(mini: Instrument) -> None:
    errors = check_answers(
        mini, {**VALID, "importance_reliability": "60", "importance_empathy": "30"}
    ).errors
    assert [(e.item, e.field, e.code, dict(e.params)) for e in errors] == [
        ("importance", None, "points_sum", {"total": 100, "given": 90})
    ]
    # one option left blank counts as zero
    assert check_answers(
        mini, {**VALID, "importance_reliability": "100", "importance_empathy": ""}
    ).ok


def test_adequate_above_desired_needs_confirmation(mini: Instrument) -> None:
    raw = {**VALID, "rel1_adequate": "8", "rel1_desired": "5"}
    assert codes(mini, raw) == {("rel1_adequate", "adequate_above_desired")}
    assert check_answers(mini, raw, confirmed={"rel1"}).ok


def test_incomplete_items_required_items_and_long_text(mini: Instrument) -> None:
    raw = {k: v for k, v in VALID.items() if k != "rel1_desired"}
    assert codes(mini, raw) == {("rel1_desired", "incomplete")}
    required = mini.model_copy(
        update={"items": tuple(i.model_copy(update={"required": True}) for i in mini.items)}
    )
    found = codes(required, {})
    assert {code for _, code in found} == {"required"}
    assert len(found) == len(mini.items)
    assert codes(mini, {**VALID, "comment": "x" * 4001}) == {("comment", "too_long")}


def test_submit_stores_once_with_every_field(engine: Engine, link: str) -> None:
    first = submit_answers(engine, SECRET, link, VALID, submission_key="sub-1")
    again = submit_answers(engine, SECRET, link, VALID, submission_key="sub-1")
    assert again.response_id == first.response_id and again.repeated and not first.repeated
    with pytest.raises(LinkCompletedError):
        submit_answers(engine, SECRET, link, VALID, submission_key="sub-2")
    with pytest.raises(LinkCompletedError):
        open_link(engine, SECRET, link)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        response = session.get_one(Response, first.response_id)
        assert response.source == "web" and response.status == "complete"
        answers = {
            a.item_id + (":" + a.option if a.option else ""): a
            for a in session.scalars(select(Answer))
        }
        assert answers["rel1"].adequate == 4 and answers["rel1"].desired == 8
        assert answers["rel1"].perceived == 6
        assert answers["emp1"].expected == 6 and answers["emp1"].perceived == 5
        assert answers["kano_app"].functional == 1 and answers["kano_app"].dysfunctional == 5
        assert answers["importance:reliability"].score == 70
        assert answers["comment"].text == "Quick and friendly"
        assert answers["nps"].score == 9 and answers["dis1"].score == 3
        invitation = session.scalar(select(Invitation))
        assert invitation is not None and invitation.status == "completed"
        assert invitation.response_id == first.response_id


def test_concurrent_double_submit_stores_one(engine: Engine, links: list[str]) -> None:
    results: list[object] = []

    def go(key: str) -> None:
        try:
            results.append(submit_answers(engine, SECRET, links[0], VALID, submission_key=key))
        except LinkCompletedError as exc:
            results.append(exc)

    threads = [threading.Thread(target=go, args=(k,)) for k in ["a", "a", "a", "b", "b"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
        winner = session.scalar(select(Submission.key))
        customer = session.scalar(select(Response.customer_id))
    assert customer is not None
    ids = {r.response_id for r in results if not isinstance(r, Exception)}  # type: ignore[attr-defined]
    assert len(ids) == 1
    loser = "b" if winner == "a" else "a"
    assert sum(isinstance(r, Exception) for r in results) == (2 if loser == "b" else 3)


def test_async_submissions_of_one_batch_get_their_own_answers(
    engine: Engine, mini_survey: str
) -> None:
    links = [i.token for i in create_invitations(engine, SECRET, mini_survey, unassigned=3)]

    async def submit(link: str, key: str, raw: dict[str, str]) -> object:
        try:
            return await submit_answers_async(engine, SECRET, link, raw, submission_key=key)
        except (LinkCompletedError, AnswersInvalidError, NotFoundError) as exc:
            return exc

    async def together() -> tuple[object, ...]:
        return await asyncio.gather(
            submit(links[0], "a", VALID),
            submit(links[0], "a", VALID),  # a double click: same answer, stored once
            submit(links[0], "b", VALID),  # another submission on a used link
            submit(links[1], "c", {**VALID, "nps": "12"}),  # answers to fix
            submit(_changed_last(links[1]), "d", VALID),  # a tampered link
            submit(links[2], "e", VALID),
        )

    first, double, other, invalid, tampered, last = asyncio.run(together())
    assert isinstance(first, SubmissionResult) and isinstance(double, SubmissionResult)
    assert first.response_id == double.response_id and first.repeated != double.repeated
    assert isinstance(other, LinkCompletedError)
    assert isinstance(invalid, AnswersInvalidError)
    assert [e.field for e in invalid.checked.errors] == ["nps"]
    assert isinstance(tampered, NotFoundError)
    assert isinstance(last, SubmissionResult) and not last.repeated
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 2
        assert session.scalar(select(func.count()).select_from(Submission)) == 2


def test_invalid_answers_store_nothing(engine: Engine, link: str) -> None:
    with pytest.raises(AnswersInvalidError) as info:
        submit_answers(engine, SECRET, link, {**VALID, "nps": "12"}, submission_key="k")
    assert [e.field for e in info.value.checked.errors] == ["nps"]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_drafts_resume_and_are_dropped_on_submit(engine: Engine, link: str) -> None:
    state = open_link(engine, SECRET, link)
    assert state.draft == {} and state.status == "pending"
    save_draft(engine, state, {"nps": "7", "comment": ""}, page=1)
    resumed = open_link(engine, SECRET, link)
    assert resumed.draft == {"nps": "7"} and resumed.page == 1 and resumed.status == "started"
    submit_answers(engine, SECRET, link, VALID, submission_key="x")
    with pytest.raises(LinkCompletedError):
        save_draft(engine, resumed, {"nps": "1"}, page=0)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from drafts")).scalar() == 0


def _changed_last(text: str) -> str:
    """``text`` with a different last character, whatever it was."""
    return text[:-1] + ("B" if text.endswith("A") else "A")


def test_tampered_expired_and_unknown_links(engine: Engine, link: str) -> None:
    nonce, _, signature = link.partition(".")
    tampered = [f"{nonce}.{_changed_last(signature)}", f"{_changed_last(nonce)}.{signature}"]
    for bad in [*tampered, "", "garbage"]:
        with pytest.raises(NotFoundError):
            open_link(engine, SECRET, bad)
    with pytest.raises(NotFoundError):  # right shape, other secret
        open_link(engine, b"t" * 64, link)
    with transaction(engine) as session:
        session.execute(
            update(Invitation).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        )
    with pytest.raises(LinkExpiredError):
        open_link(engine, SECRET, link)
    with pytest.raises(LinkExpiredError):
        submit_answers(engine, SECRET, link, VALID, submission_key="late")


def test_links_carry_no_personal_data(engine: Engine, links: list[str]) -> None:
    assert len(links) == 2 and len(set(links)) == 2
    for token in links:  # a random nonce and its signature, the same size for everyone
        nonce, _, signature = token.partition(".")
        assert len(base64.urlsafe_b64decode(nonce + "==")) == NONCE_BYTES
        assert len(signature) == SIGNATURE_CHARS
    with engine.connect() as conn:
        stored = conn.execute(text("select token_hash from invitations")).scalars().all()
    assert all(token.split(".")[0] not in stored for token in links)


def test_anonymous_link_gives_each_respondent_a_link(engine: Engine, mini_survey: str) -> None:
    shared = create_invitations(engine, SECRET, mini_survey, anonymous=1, max_responses=2)[0]
    state = open_link(engine, SECRET, shared.token)
    assert state.kind == "anonymous"
    first, second, third = (start_respondent(engine, SECRET, state) for _ in range(3))
    submit_answers(engine, SECRET, first, VALID, submission_key="1")
    submit_answers(engine, SECRET, second, VALID, submission_key="1")
    with pytest.raises(LinkCompletedError, match="number of responses"):  # counted when stored
        submit_answers(engine, SECRET, third, VALID, submission_key="1")
    with pytest.raises(LinkCompletedError):
        start_respondent(engine, SECRET, state)
    again = submit_answers(engine, SECRET, first, VALID, submission_key="1")
    assert again.repeated  # a retry of a stored submission gets its result
    with pytest.raises(Exception, match="own link"):
        submit_answers(engine, SECRET, shared.token, VALID, submission_key="2")
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 2


def test_invitation_arguments_are_checked(engine: Engine, mini_survey: str) -> None:
    with pytest.raises(NotFoundError, match="C9"):
        create_invitations(engine, SECRET, mini_survey, customers=["C9"])
    with pytest.raises(ValidationError, match="language"):
        create_invitations(engine, SECRET, mini_survey, anonymous=1, language="de")
    with pytest.raises(ValidationError, match="no one"):
        create_invitations(engine, SECRET, mini_survey)


def test_generated_secret_is_kept_next_to_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    secret = signing_secret(url)
    path = tmp_path / "x.db.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _secret_for.cache_clear()  # as a restarted server would
    assert signing_secret(url) == secret and len(secret) == 64
    assert _secret_for(url, "configured-secret") == b"configured-secret"
    with pytest.raises(ConfigurationError, match="CXGAP_SECRET_KEY"):
        _secret_for("postgresql+psycopg://u@h/db", None)
