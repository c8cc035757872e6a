"""Survey pages through the real app and HTTP client: formats, languages, rules, limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from cxgap.instruments import builtin_instruments
from cxgap.services.collection import page_items
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Invitation, Response

from .helpers import VALID, answers_for, form_data, hidden

LinkMaker = Callable[..., str]
HEATING = builtin_instruments()["heating-cx"]


class Page(HTMLParser):
    """Collects elements by id and the attributes of every input."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.inputs: list[dict[str, str | None]] = []
        self.root: dict[str, str | None] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.root = a
        if a.get("id"):
            self.by_id[str(a["id"])] = {"tag": tag, **a}
        if tag in ("input", "textarea"):
            self.inputs.append({"tag": tag, **a})


def stored(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Response)) or 0)


@pytest.mark.parametrize("lang", ["en", "zh", "fa"])
def test_every_format_renders_labelled_in_each_language(
    client: TestClient, new_link: LinkMaker, mini_survey: str, lang: str
) -> None:
    page = client.get(f"/s/{new_link()}?lang={lang}")
    assert page.status_code == 200
    html = Page(page.text)
    assert html.root["lang"] == lang
    assert html.root["dir"] == ("rtl" if lang == "fa" else "ltr")
    names = {i["name"] for i in html.inputs}
    assert {c for c in VALID} <= names  # every answer of every format has a field
    for item in ["rel1", "emp1", "dis1", "nps", "kano_app", "importance", "comment"]:
        assert html.by_id[f"item-{item}"]["tag"] == "fieldset"
    for part in ["rel1_adequate", "rel1_desired", "rel1_perceived", "kano_app_dysfunctional"]:
        assert html.by_id[f"part-{part}"]["tag"] == "fieldset"
    # every visible control sits inside a <label> or has one pointing at it
    labelled = set(re.findall(r'<label for="([^"]+)"', page.text))
    for control in html.inputs:
        if control.get("type") in ("hidden", "radio", "checkbox"):
            continue
        assert control["id"] in labelled
    words = {"en": "The lowest level you would accept", "zh": "您能接受的最低水平"}
    words["fa"] = "پایین‌ترین سطحی که می‌پذیرید"
    assert words[lang] in page.text
    assert {"en": "Keeps promises", "zh": "信守承诺", "fa": "به قول‌ها عمل می‌کند"}[lang] in page.text
    if lang == "fa":  # numbers in Persian digits; values stay plain
        assert "<span>۹</span>" in page.text and 'value="9"' in page.text


@pytest.mark.parametrize("instrument", sorted(builtin_instruments()))
def test_every_library_instrument_renders_in_three_languages(
    engine: Engine, client: TestClient, new_link: LinkMaker, instrument: str
) -> None:
    with transaction(engine) as session:
        create_survey(session, f"lib-{instrument}", instrument=instrument)
    link = new_link(f"lib-{instrument}")
    definition = builtin_instruments()[instrument]
    pages = max(len(definition.sections), 1)
    names: set[str] = set()
    for lang in ("en", "zh", "fa"):
        for index in range(pages):
            page = client.get(f"/s/{link}?lang={lang}&page={index}")
            assert page.status_code == 200
            names |= set(re.findall(r'name="([^"_][^"]*)"', page.text))
    assert {c.name for c in definition.answer_columns()} <= names


def test_persian_page_is_right_to_left_with_navigation_in_reading_order(
    engine: Engine, client: TestClient, new_link: LinkMaker
) -> None:
    with transaction(engine) as session:
        create_survey(session, "heat", instrument="heating-cx")
    page = client.get(f"/s/{new_link('heat')}?lang=fa&page=1")
    assert '<html lang="fa" dir="rtl">' in page.text
    # Back comes first in the document: with dir=rtl it sits on the right, Next on the left
    nav = page.text[page.text.index('<div class="nav">') :]
    back, nxt = (nav.index(f'value="{a}"') for a in ("back", "next"))
    assert back < nxt
    assert "بعدی ←" in page.text and "→ قبلی" in page.text


def test_submit_stores_answers_and_retry_gets_same_answer(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}?lang=en").text
    data = form_data(page, **VALID)
    first = client.post(f"/s/{link}?lang=en", data=data, follow_redirects=False)
    retry = client.post(f"/s/{link}?lang=en", data=data, follow_redirects=False)
    assert first.status_code == retry.status_code == 303
    assert first.headers["location"] == retry.headers["location"]
    assert stored(engine) == 1
    done = client.get(first.headers["location"])
    assert done.status_code == 200 and "Thank you" in done.text
    other = client.post(
        f"/s/{link}?lang=en", data={**data, "_submission": "another"}, follow_redirects=False
    )
    assert other.status_code == 409 and "Already answered" in other.text
    assert client.get(f"/s/{link}").status_code == 409
    assert stored(engine) == 1
    with transaction(engine) as session:
        answer = session.scalar(select(Answer).where(Answer.item_id == "rel1"))
        assert answer is not None
        assert (answer.adequate, answer.desired, answer.perceived) == (4, 8, 6)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Please choose a whole number from 0 to 10."),
        ("zh", "请选择 0 到 10 之间的整数。"),
        ("fa", "لطفاً یک عدد صحیح از ۰ تا ۱۰ انتخاب کنید."),
    ],
)
def test_errors_are_in_the_respondents_language_next_to_the_field(
    engine: Engine,
    client: TestClient,
    new_link: LinkMaker,
    mini_survey: str,
    lang: str,
    message: str,
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}?lang={lang}").text
    bad = {**VALID, "nps": "11", "importance_reliability": "10"}
    response = client.post(f"/s/{link}?lang={lang}", data=form_data(page, **bad))
    assert response.status_code == 422
    html = Page(response.text)
    assert message in response.text
    assert html.by_id["err-nps"]["tag"] == "p"
    radios = [i for i in html.inputs if i.get("name") == "nps"]
    assert radios and all(r["aria-describedby"] == "err-nps" for r in radios)
    assert all(r.get("aria-invalid") == "true" for r in radios)
    assert "err-importance" in str(html.by_id["item-importance"]["aria-describedby"])
    assert html.by_id["error-summary"]["role"] == "alert"
    # what the respondent typed is still there
    assert 'value="10" data-points="importance"' in response.text
    assert stored(engine) == 0


def test_adequate_above_desired_asks_for_confirmation(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}").text
    data = form_data(page, **{**VALID, "rel1_adequate": "8", "rel1_desired": "3"})
    response = client.post(f"/s/{link}", data=data)
    assert response.status_code == 422
    assert 'name="confirm:rel1"' in response.text
    confirmed = client.post(
        f"/s/{link}", data={**data, "confirm:rel1": "1"}, follow_redirects=False
    )
    assert confirmed.status_code == 303 and stored(engine) == 1


def test_save_and_resume_across_pages(
    engine: Engine, client: TestClient, new_link: LinkMaker
) -> None:
    with transaction(engine) as session:
        create_survey(session, "heat", instrument="heating-cx")
    link = new_link("heat")
    page = client.get(f"/s/{link}?lang=zh").text
    assert 'value="next"' in page and 'value="submit"' not in page
    data = form_data(page, tan1_adequate="3", tan1_desired="8", tan1_perceived="6", _page="0")
    moved = client.post(
        f"/s/{link}?lang=zh", data={**data, "_action": "save"}, follow_redirects=False
    )
    assert moved.status_code == 303 and "saved=1" in moved.headers["location"]
    # a new visit (another device) resumes with the saved answers
    resumed = TestClient(client.app).get(f"/s/{link}?lang=zh").text
    assert 'value="3" checked' in resumed and "您目前的回答已保存" not in resumed
    # "next" checks the page: an incomplete item stays on it with the error
    partial = {**data, "_action": "next", "tan2_adequate": "4"}
    stay = client.post(f"/s/{link}?lang=zh", data=partial)
    assert stay.status_code == 422 and "请把这一部分也填上。" in stay.text
    # the zone-of-tolerance ratings are required: the whole page must be answered
    whole = {**answers_for(HEATING, page_items(HEATING, 0)), **data}
    go = client.post(
        f"/s/{link}?lang=zh", data={**whole, "_action": "next"}, follow_redirects=False
    )
    assert go.status_code == 303 and "page=1" in go.headers["location"]
    assert client.get(f"/s/{link}").text.count('class="progress"') == 1
    assert stored(engine) == 0


def test_autosave_keeps_a_draft(client: TestClient, new_link: LinkMaker, mini_survey: str) -> None:
    link = new_link()
    page = client.get(f"/s/{link}").text
    saved = client.post(
        f"/s/{link}/draft", data={"_csrf": hidden(page, "_csrf"), "_page": "0", "nps": "4"}
    )
    assert saved.status_code == 204
    assert 'value="4" checked' in client.get(f"/s/{link}").text


def test_expired_invalid_and_anonymous_links(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    link = new_link()
    assert client.get(f"/s/{link[:-2]}xx").status_code == 404
    assert client.get("/s/nonsense?lang=fa").text.count("پیوند شناخته نشد") == 2
    with transaction(engine) as session:
        session.execute(
            update(Invitation).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    assert client.get(f"/s/{link}").status_code == 410
    shared = new_link(anonymous=1, expires_days=5)
    first = client.get(f"/s/{shared}", follow_redirects=False)
    assert first.status_code == 303
    again = client.get(f"/s/{shared}", follow_redirects=False)  # same browser, same link
    assert again.headers["location"] == first.headers["location"]
    other = TestClient(client.app).get(f"/s/{shared}", follow_redirects=False)
    assert other.headers["location"] != first.headers["location"]


def test_csrf_is_required(client: TestClient, new_link: LinkMaker, mini_survey: str) -> None:
    link = new_link()
    page = client.get(f"/s/{link}").text
    data = form_data(page, **VALID)
    assert client.post(f"/s/{link}", data={**data, "_csrf": "forged"}).status_code == 403
    stranger = TestClient(client.app)  # no cookie: the token is bound to this browser
    assert stranger.post(f"/s/{link}", data=data).status_code == 403
    foreign = client.post(f"/s/{link}", data=data, headers={"origin": "https://evil.example"})
    assert foreign.status_code == 403


def test_limits(engine: Engine, make_client: Callable[..., TestClient], mini_survey: str) -> None:
    from cxgap.services.collection import create_invitations

    client = make_client(max_body_bytes=4000, max_answers=20, link_posts_per_minute=4)
    secret = client.app.state.secret  # type: ignore[attr-defined]
    link, other = (i.token for i in create_invitations(engine, secret, mini_survey, unassigned=2))
    page = client.get(f"/s/{link}").text
    data = form_data(page)
    assert client.post(f"/s/{link}", data={**data, "comment": "x" * 5000}).status_code == 413
    many = {f"q{n}": "1" for n in range(25)}
    assert client.post(f"/s/{link}", data={**data, **many}).status_code == 413
    for _ in range(3):
        assert client.post(f"/s/{link}", data={**data, "nps": "99"}).status_code == 422
    limited = client.post(f"/s/{link}", data={**data, "nps": "99"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert client.post(f"/s/{other}", data={**data, "nps": "99"}).status_code == 422
    per_address = make_client(address_posts_per_minute=2)
    page = per_address.get(f"/s/{other}").text
    codes = [
        per_address.post(f"/s/{other}", data=form_data(page, nps="99")).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]


def test_multipart_form_is_read_like_an_urlencoded_one(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    link = new_link()
    data = form_data(client.get(f"/s/{link}").text, **{**VALID, "nps": "99"})
    boundary = "cxgap-test-boundary"
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in data.items()
        )
        + f"--{boundary}--\r\n"
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    refused = client.post(f"/s/{link}?lang=en", content=body.encode(), headers=headers)
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    accepted = client.post(
        f"/s/{link}?lang=en",
        content=body.replace(">99<", ">9<").replace("\r\n99\r\n", "\r\n9\r\n").encode(),
        headers=headers,
        follow_redirects=False,
    )
    assert accepted.status_code == 303 and stored(engine) == 1


def test_baseline_endpoint_only_when_enabled(
    engine: Engine, make_client: Callable[..., TestClient], mini_survey: str
) -> None:
    assert make_client().post(f"/baseline/{mini_survey}", data=VALID).status_code == 404
    bench = make_client(baseline=True)
    response = bench.post(f"/baseline/{mini_survey}", data=VALID)
    assert response.status_code == 201 and stored(engine) == 1


def test_security_headers_and_health(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/static/form.css").status_code == 200
