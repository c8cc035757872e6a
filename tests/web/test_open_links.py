"""Anonymous links, drafts and link addresses under abuse: real app, real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from cxgap.services.collection import create_invitations
from cxgap.settings import get_settings
from cxgap.store.database import transaction
from cxgap.store.models import Draft, Invitation, Response
from cxgap.web.main import create_app

from .helpers import VALID, hidden

LinkMaker = Callable[..., str]
BASE = "https://surveys.example.org"


def count(engine: Engine, model: type[Invitation] | type[Response]) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def submit(client: TestClient, path: str) -> int:
    """Open a form at ``path`` (following redirects) and submit valid answers."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    form = str(page.url).split("://", 1)[1].split("/", 1)[1].split("?")[0]
    data = {
        "_csrf": hidden(page.text, "_csrf"),
        "_submission": hidden(page.text, "_submission"),
        **VALID,
    }
    return client.post(f"/{form}", data=data, follow_redirects=False).status_code


@pytest.fixture
def configured_base(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CXGAP_BASE_URL", BASE + "/")
    get_settings.cache_clear()
    yield BASE
    get_settings.cache_clear()


def test_opening_an_anonymous_link_uses_up_no_response(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    shared = new_link(anonymous=1, max_responses=5)
    for _ in range(5):  # five visits without cookies (crawlers, link previews, an attacker)
        visit = TestClient(client.app).get(f"/s/{shared}", follow_redirects=False)
        assert visit.status_code == 303
    assert count(engine, Invitation) == 1  # opening a link stores nothing
    respondent = TestClient(client.app)
    assert submit(respondent, f"/s/{shared}") == 303
    assert count(engine, Response) == 1
    # the limit counts submitted responses: four more can answer, the sixth cannot
    for _ in range(4):
        assert submit(TestClient(client.app), f"/s/{shared}") == 303
    late = TestClient(client.app)
    own = late.get(f"/s/{shared}", follow_redirects=False)
    assert own.status_code == 409
    assert count(engine, Response) == 5


def test_respondents_started_before_the_limit_cannot_exceed_it(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    shared = new_link(anonymous=1, max_responses=2)
    browsers = [TestClient(client.app) for _ in range(3)]
    pages = [b.get(f"/s/{shared}") for b in browsers]  # all three open the form first
    assert all(p.status_code == 200 for p in pages)
    codes = []
    for browser, page in zip(browsers, pages, strict=True):
        form = str(page.url).split("testserver", 1)[1].split("?")[0]
        data = {
            "_csrf": hidden(page.text, "_csrf"),
            "_submission": hidden(page.text, "_submission"),
            **VALID,
        }
        codes.append(browser.post(form, data=data, follow_redirects=False).status_code)
    assert codes == [303, 303, 409]
    assert count(engine, Response) == 2


def test_cookieless_visits_create_no_rows_and_are_rate_limited(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    shared = new_link(anonymous=1)
    codes = []
    for _ in range(1000):
        client.cookies.clear()
        codes.append(client.get(f"/s/{shared}", follow_redirects=False).status_code)
    redirected = codes.count(303)
    assert 0 < redirected < 1000 and codes.count(429) == 1000 - redirected
    assert codes.index(429) == redirected  # once refused, refused for the rest of the minute
    assert count(engine, Invitation) == 1  # only the shared link itself
    refused = client.get(f"/s/{shared}", follow_redirects=False)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"


def test_a_respondent_row_appears_with_the_first_saved_draft(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    shared = new_link(anonymous=1)
    page = client.get(f"/s/{shared}")
    form = str(page.url).split("testserver", 1)[1].split("?")[0]
    assert count(engine, Invitation) == 1
    saved = client.post(
        f"{form}/draft", data={"_csrf": hidden(page.text, "_csrf"), "_page": "0", "nps": "4"}
    )
    assert saved.status_code == 204 and count(engine, Invitation) == 2
    assert 'value="4" checked' in client.get(f"/s/{shared}").text  # the same browser resumes
    data = {"_csrf": hidden(page.text, "_csrf"), "_submission": "s1", **VALID}
    assert client.post(form, data=data, follow_redirects=False).status_code == 303
    assert count(engine, Invitation) == 2 and count(engine, Response) == 1


def test_unsubmitted_respondents_of_a_link_are_bounded(
    engine: Engine,
    client: TestClient,
    new_link: LinkMaker,
    mini_survey: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cxgap.services.collection import invitations

    monkeypatch.setattr(invitations, "MAX_OPEN_RESPONDENTS", 3)
    shared = new_link(anonymous=1)

    def save(browser: TestClient) -> tuple[int, str, str]:
        page = browser.get(f"/s/{shared}")
        form = str(page.url).split("testserver", 1)[1].split("?")[0]
        csrf = hidden(page.text, "_csrf")
        data = {"_csrf": csrf, "_page": "0", "nps": "4"}
        return browser.post(f"{form}/draft", data=data).status_code, form, csrf

    browsers = [TestClient(client.app) for _ in range(5)]
    codes = [save(b)[0] for b in browsers[:3]]
    refused, form, csrf = save(browsers[3])
    assert codes == [204, 204, 204] and refused == 409
    assert count(engine, Invitation) == 4  # the shared link and three respondents
    # past the bound the fourth respondent can still send their answers in one go
    data = {"_csrf": csrf, "_submission": "s1", **VALID}
    assert browsers[3].post(form, data=data, follow_redirects=False).status_code == 303
    with transaction(engine) as session:  # one draft was abandoned a week ago
        oldest = session.scalars(select(Draft).order_by(Draft.invitation_id)).first()
        assert oldest is not None
        oldest.updated_at = oldest.updated_at - invitations.ABANDONED_AFTER * 2
    assert save(browsers[4])[0] == 204  # the abandoned draft made room
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 3
    assert count(engine, Invitation) == 5 and count(engine, Response) == 1


def test_autosaves_keep_a_bounded_draft(
    engine: Engine, client: TestClient, new_link: LinkMaker, mini_survey: str
) -> None:
    link = new_link()
    csrf = hidden(client.get(f"/s/{link}").text, "_csrf")
    codes = []
    for n in range(40):  # 40 autosaves of about 250 KB each
        junk = {f"x{n}_{i}": "y" * 5000 for i in range(49)}
        body = {"_csrf": csrf, "_page": "0", "nps": "4", "comment": "z" * 100, **junk}
        codes.append(client.post(f"/s/{link}/draft", data=body).status_code)
    assert set(codes) == {204}
    with transaction(engine) as session:
        draft = session.scalars(select(Draft)).one()
        kept = dict(draft.answers)
    assert kept == {"nps": "4", "comment": "z" * 100}  # fields of the survey only
    from cxgap.services.collection import MAX_DRAFT_CHARS, MAX_TEXT_CHARS

    too_long = {"_csrf": csrf, "_page": "0", "comment": "z" * (MAX_TEXT_CHARS + 1)}
    refused = client.post(f"/s/{link}/draft", data=too_long)
    assert refused.status_code == 413
    with transaction(engine) as session:
        stored = dict(session.scalars(select(Draft)).one().answers)
    assert stored == kept  # nothing over the bound is stored
    assert len(json.dumps(stored, ensure_ascii=False)) <= MAX_DRAFT_CHARS


def test_api_invitation_links_use_the_configured_address(
    tmp_path: Path, engine: Engine, mini_survey: str, configured_base: str
) -> None:
    from cxgap.services import accounts

    with transaction(engine) as session:
        user = accounts.create_user(session, "a@example.org", "a long pass phrase 42", role="admin")
        key = accounts.create_api_key(session, user, "k", actor="test").key
    client = TestClient(create_app(engine))
    answer = client.post(
        f"/api/v1/surveys/{mini_survey}/invitations",
        headers={"authorization": f"Bearer {key}", "host": "evil.example"},
        json={"unassigned": 1, "anonymous": 1},
    )
    assert answer.status_code == 201, answer.text
    urls = [link["url"] for link in answer.json()["links"]]
    assert len(urls) == 2 and all(u.startswith(f"{configured_base}/s/") for u in urls)
    # the anonymous link sends each browser on to its own link at the same address
    shared = urls[1].removeprefix(configured_base)
    moved = client.get(shared, headers={"host": "evil.example"}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"].startswith(f"{configured_base}/s/")


def test_cli_links_use_the_configured_address(
    cli: Callable[..., tuple[int, str, str]], engine: Engine, mini_survey: str, configured_base: str
) -> None:
    code, stdout, _ = cli(
        "--db", str(engine.url.database), "invitations", "create", "--survey", mini_survey,
        "--unassigned", "1",
    )  # fmt: skip
    assert code == 0 and f"personal  {configured_base}/s/" in stdout


def test_links_to_a_full_anonymous_link_cannot_be_minted_by_hand(
    engine: Engine, client: TestClient, mini_survey: str
) -> None:
    secret = client.app.state.secret  # type: ignore[attr-defined]
    shared = create_invitations(engine, secret, mini_survey, anonymous=1)[0].token
    own = client.get(f"/s/{shared}", follow_redirects=False).headers["location"]
    token = own.split("/s/", 1)[1].split("?")[0]
    nonce, _, signature = token.partition(".")
    forged = f"{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{signature}"
    assert client.get(f"/s/{forged}").status_code == 404
