"""The dashboard pages over the real app and a real SQLite file with the demo data:
sign-in, permissions, the figures shown, languages, escaping and filters."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.databases import load_demo_copy

from cxgap.engine.frames import load_survey
from cxgap.instruments import parse_instrument
from cxgap.services.accounts import ROLES, allowed, create_user
from cxgap.services.actions import create_plan, list_plans
from cxgap.services.customers import upsert_customers
from cxgap.store.database import get_engine, transaction, upgrade
from cxgap.store.models import FeedbackMessage, Survey
from cxgap.web.auth import SESSION_COOKIE, issue_session
from cxgap.web.dashboard import PAGES
from cxgap.web.limits import WebOptions
from cxgap.web.main import create_app

from .helpers import hidden

PASSWORD = "a long enough password"
SURVEY = "heating-2026q4"
XSS_REGION = "<img src=x onerror=alert(1)>"
XSS_AGE = '"><script>alert(2)</script>'
XSS_FEEDBACK = "<script>alert('stored')</script> & <b>bold</b>"
SQL_VALUES = [
    "' OR '1'='1",
    "x'; DROP TABLE responses; --",
    '" OR ""="',
    "1 UNION SELECT 1",
    "%",
    "_",
]


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo organisation, one account per role, and stored attack strings."""
    engine = get_engine(str(tmp_path_factory.mktemp("dashboard") / "demo.db"))
    upgrade(engine)
    load_demo_copy(engine, seed=3, customers=300)
    customers = [str(c) for c in load_survey(engine, SURVEY).frame["customer_id"].dropna()]
    with transaction(engine) as session:
        for role in ROLES:
            create_user(session, f"{role}@example.org", PASSWORD, role=role)
        # enough respondents in each attacking segment for the segment comparison
        upsert_customers(session, {c: {"region": XSS_REGION} for c in customers[:5]})
    # an action plan (after the demo's own), its title and task an attack string
    create_plan(engine, title=XSS_FEEDBACK, survey=SURVEY, gap="dimension:responsiveness",
                owner="manager@example.org", starts_on=dt.date(2026, 1, 1), actor="test",
                unit_attribute="region", targeted_units=["north"],
                tasks=[{"title": XSS_AGE}])  # fmt: skip
    with transaction(engine) as session:
        upsert_customers(session, {c: {"age_band": XSS_AGE} for c in customers[5:10]})
        session.add(
            FeedbackMessage(
                channel="web",
                language="en",
                text=XSS_FEEDBACK,
                received_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            )
        )
    return engine


@pytest.fixture(scope="module")
def app_client(demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_engine)) as client:
        yield client


def signed_in(client: TestClient, engine: Engine, role: str) -> TestClient:
    """``client`` carrying a session of the ``role`` account (no sign-in form, so the
    sign-in rate limit is not involved)."""
    from cxgap.services.accounts import get_user

    with transaction(engine) as session:
        user = get_user(session, f"{role}@example.org")
        value = issue_session(engine, client.app.state.secret, user)  # type: ignore[attr-defined]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)
    return client


def concrete(path: str) -> str:
    return path.replace("{dimension}", "reliability").replace("{plan_id}", "1")


# --- sign-in ---------------------------------------------------------------------------


def _login(client: TestClient, email: str, password: str, next_path: str = "/dashboard"):  # type: ignore[no-untyped-def]
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "_csrf": hidden(form.text, "_csrf"),
            "email": email,
            "password": password,
            "next": next_path,
        },
        follow_redirects=False,
    )


def test_sign_in_sets_a_protected_session_cookie(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine))
    response = _login(client, "analyst@example.org", PASSWORD, "/dashboard/kano?survey=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/kano?survey=x"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie
    assert client.get("/dashboard").status_code == 200
    secure = TestClient(create_app(demo_engine, options=WebOptions(secure_cookies=True)))
    assert "Secure" in _login(secure, "analyst@example.org", PASSWORD).headers["set-cookie"]


def test_wrong_credentials_get_one_generic_message(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine))
    wrong_password = _login(client, "analyst@example.org", "not the right password")
    unknown = _login(client, "nobody@example.org", PASSWORD)
    assert wrong_password.status_code == unknown.status_code == 401
    assert "The email or password is not right." in wrong_password.text
    assert wrong_password.text.count("not right") == unknown.text.count("not right") == 1
    assert SESSION_COOKIE not in client.cookies


def test_sign_in_needs_the_csrf_token(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine))
    client.get("/login")
    response = client.post(
        "/login",
        data={"_csrf": "forged", "email": "admin@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_sign_in_is_rate_limited(demo_engine: Engine) -> None:
    client = TestClient(create_app(demo_engine))
    codes = [_login(client, "viewer@example.org", "wrong password!").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    # from the same address even the right password waits for the minute to pass
    late = _login(client, "viewer@example.org", PASSWORD)
    assert late.status_code == 429 and "wait a minute" in late.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/dashboard\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_next_only_leads_to_local_pages(demo_engine: Engine, target: str) -> None:
    client = TestClient(create_app(demo_engine))
    response = _login(client, "manager@example.org", PASSWORD, target)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


def test_sign_out_needs_csrf_and_ends_the_session(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "viewer")
    page = client.get("/dashboard")
    assert client.post("/logout", data={"_csrf": "nope"}, follow_redirects=False).status_code == 403
    response = client.post(
        "/logout", data={"_csrf": hidden(page.text, "_csrf")}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_anonymous_visitors_are_sent_to_sign_in(app_client: TestClient, page: object) -> None:
    app_client.cookies.clear()
    path = concrete(page.path)  # type: ignore[attr-defined]
    response = app_client.get(f"{path}?survey={SURVEY}", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == f"/login?next={path.replace('/', '%2F')}%3Fsurvey%3D{SURVEY}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_documented(
    app_client: TestClient, demo_engine: Engine, role: str
) -> None:
    client = signed_in(app_client, demo_engine, role)
    for page in PAGES:
        response = client.get(concrete(page.path))
        expected = 200 if allowed(role, page.permission) else 403
        assert response.status_code == expected, (role, page.name)
        if expected == 403:
            assert "Not available for your role" in response.text
    # the menu offers exactly the pages the role may open
    nav = re.search(r'<nav class="menu".*?</nav>', client.get("/dashboard").text, re.S)
    assert nav is not None
    menu = set(re.findall(r'<a href="([^"]*)"', nav.group(0)))
    assert menu == {p.path for p in PAGES if p.in_menu and allowed(role, p.permission)}


def test_a_stale_or_forged_session_is_refused(app_client: TestClient) -> None:
    app_client.cookies.clear()
    app_client.cookies.set(SESSION_COOKIE, "1.1.abc.forged")
    assert app_client.get("/dashboard", follow_redirects=False).status_code == 303


# --- what the pages show ------------------------------------------------------------------


def test_overview_shows_the_measures_of_the_chosen_wave(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "manager")
    page = client.get(f"/dashboard?survey={SURVEY}&lang=en").text
    # independent NPS: promoters (9-10) minus detractors (0-6), in percent
    nps = load_survey(demo_engine, SURVEY).frame["nps"].dropna().to_numpy()
    expected = 100 * (np.mean(nps >= 9) - np.mean(nps <= 6))
    tile = re.search(r'id="tile-nps">.*?class="value"><bdi dir="ltr">([^<]+)<', page, re.S)
    assert tile is not None and float(tile.group(1)) == pytest.approx(expected, abs=0.05)
    assert page.count('class="tile"') == 4
    assert page.count("<svg") == 5  # four measure trends and the gap trend
    for dim in ("Tangibles", "Reliability", "Responsiveness", "Assurance", "Empathy"):
        assert f">{dim}</a>" in page
    # responsiveness was built to fall below the adequate level in the demo's last wave
    assert re.search(r">Responsiveness</a>.*?below the zone", page, re.S)
    # the previous wave is named in each change
    assert page.count("against 2026Q3") == 4


def test_overview_reads_sums_and_leaves_the_priority_list_to_its_part(
    app_client: TestClient, demo_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxgap.services import analysis

    client = signed_in(app_client, demo_engine, "manager")
    analysis.clear_analysis_cache()
    whole: list[str] = []
    row_level = analysis.analyze_survey

    def counted(engine: Engine, survey: str, **options: object) -> object:
        whole.append(survey)
        return row_level(engine, survey, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "analyze_survey", counted)
    texts = {
        "en": "Open the priority list",
        "zh": "打开优先事项列表",
        "fa": "باز کردن فهرست اولویت‌ها",
    }
    for lang, link in texts.items():
        page = client.get(f"/dashboard?survey={SURVEY}&lang={lang}")
        assert page.status_code == 200 and link in page.text
    assert whole == []  # no wave's whole analysis: every figure is summed in the database
    part = client.get(f"/dashboard/priorities?survey={SURVEY}&part=1&lang=en")
    assert part.status_code == 200 and whole == [SURVEY]
    assert part.text.count("<tr>") >= 6  # the heading and a row per dimension at least
    client.get(f"/dashboard/priorities?survey={SURVEY}&part=1&lang=en")
    assert whole == [SURVEY]  # kept while the wave's data are unchanged
    wrong = client.get(f"/dashboard/priorities?survey={SURVEY}&part=2")
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("part='2': only part=1")


def test_warm_up_prepares_a_new_process_and_keeps_every_waves_sums(
    demo_engine: Engine,
) -> None:
    # what `cxgap serve` runs before it accepts requests, in a process of its own: the sums
    # layer imported, the kept sums of every zone-of-tolerance wave brought up to date, the
    # default overview computed in each language (a first request computes nothing)
    script = (
        "import sys\n"
        "from sqlalchemy import func, select\n"
        "from cxgap.store.database import get_engine, transaction\n"
        "from cxgap.store.wave_sums import WaveSums\n"
        "from cxgap.web.dashboard import analysis_pages, common\n"
        "assert 'ibis' not in sys.modules\n"
        f"engine = get_engine({str(demo_engine.url.database)!r})\n"
        "analysis_pages.warm_up(engine)\n"
        "assert 'ibis.backends.sqlite' in sys.modules\n"
        "surveys = common.analysable_surveys(engine)\n"
        "chosen = common.choose_survey(surveys, None)\n"
        "def again(*args):\n"
        "    raise SystemExit('overview computed again')\n"
        "analysis_pages._overview_figures = again\n"
        "for lang in ('en', 'zh', 'fa'):\n"
        "    figures = analysis_pages.overview_figures(\n"
        "        engine, chosen.key, tuple(s.key for s in surveys), lang)\n"
        "    assert figures['gap_trend'] is not None and figures['tiles']\n"
        "with transaction(engine) as session:\n"
        "    kept = session.scalar(select(func.count()).select_from(WaveSums))\n"
        "print(chosen.key, kept, common._svg.cache_info().currsize)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    chosen, kept, charts = done.stdout.split()
    with transaction(demo_engine) as session:
        zone_waves = [
            s.key
            for s in session.scalars(select(Survey))
            if parse_instrument(s.instrument.definition).items_of_format("tolerance_zone")
        ]
    assert chosen in zone_waves and len(zone_waves) >= 8
    assert int(kept) == len(zone_waves)
    # the warm-up chart, and each language's headline trends and gap trend
    assert int(charts) >= 1 + 3 * 2


def test_pages_follow_the_language_and_direction(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "manager")
    fa = client.get("/dashboard?lang=fa")
    assert '<html lang="fa" dir="rtl">' in fa.text
    assert "نمای کلی" in fa.text and "۲۰۲۶" in fa.text
    assert "cxgap_lang=fa" in fa.headers["set-cookie"]
    remembered = client.get("/dashboard/kano")  # the cookie keeps the choice
    assert '<html lang="fa" dir="rtl">' in remembered.text
    zh = client.get("/dashboard/importance?lang=zh")
    assert '<html lang="zh" dir="ltr">' in zh.text and "重要性与表现" in zh.text
    client.get("/dashboard?lang=en")


def test_drill_down_lists_the_items_of_the_dimension(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "analyst")
    page = client.get(f"/dashboard/dimensions/reliability?survey={SURVEY}").text
    assert re.findall(r"<code>(\w+)</code>", page) == ["rel1", "rel2", "rel3", "rel4", "rel5"]
    assert page.count("<svg") == 2  # the tolerance zone and the trend
    assert client.get("/dashboard/dimensions/nonsense").status_code == 404
    attack = client.get("/dashboard/dimensions/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert attack.status_code == 404 and "<script>alert" not in attack.text


def test_segments_kano_and_importance_show_their_charts(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "analyst")
    for path, words in [
        (f"/dashboard/segments?survey={SURVEY}&by=age_band", "Adjusted p"),
        (f"/dashboard/kano?survey={SURVEY}", "Outage alert"),
        (f"/dashboard/importance?survey={SURVEY}", "Concentrate here"),
    ]:
        page = client.get(path)
        assert page.status_code == 200
        assert "<svg" in page.text and words in page.text, path


def test_pages_explain_abbreviations_and_write_numbers_for_readers(
    app_client: TestClient, demo_engine: Engine
) -> None:
    from cxgap.services.analysis import analyze_survey

    client = signed_in(app_client, demo_engine, "analyst")
    overview = client.get(f"/dashboard?survey={SURVEY}&lang=en").text
    # the survey picker names the wave once ("Customer survey 2026Q4 · 72 responses")
    options = re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]*)</option>", overview)
    assert options and all(o.count("2026Q4") <= 1 for o in options), options
    assert '<abbr title="MSA (measure of service adequacy)' in overview
    drill = client.get(f"/dashboard/dimensions/reliability?survey={SURVEY}").text
    assert '<abbr title="MSS (measure of service superiority)' in drill
    # adjusted p values: below 0.001 written as a bound, others to three decimals
    by = "age_band"
    p_adj = analyze_survey(demo_engine, SURVEY, by=by).segments[by].summary["welch_p_adj"]
    page = client.get(f"/dashboard/segments?survey={SURVEY}&by={by}&lang=en").text
    cells = re.findall(r'<th scope="row">[^<]*</th><td class="num">([^<]*)</td>', page)
    expected = ["&lt; 0.001" if p < 0.001 else f"{p:.3f}" for p in p_adj]
    assert cells == expected
    # Persian: segment values by their labels with Persian digits, no raw codes
    fa = client.get(f"/dashboard/segments?survey={SURVEY}&by=gender&lang=fa").text
    assert "مرد (n=" in fa and ">male" not in fa


def test_overview_priority_list_and_importance_page_agree(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "manager")
    overview = client.get(f"/dashboard?survey={SURVEY}&lang=en").text
    # the overview (from sums) names where its priority list comes from: the card alone
    # for its script, and a page of its own (a link, for a browser without the script)
    slot = re.search(r'<section class="card" id="priorities" data-part="([^"]+)">', overview)
    assert slot is not None
    part_url = slot.group(1).replace("&amp;", "&")
    assert part_url == f"/dashboard/priorities?survey={SURVEY}&part=1"
    assert f'<a href="/dashboard/priorities?survey={SURVEY}">' in overview
    part = client.get(part_url).text
    assert "<html" not in part and part.strip().startswith('<section class="card" id="priorities">')
    whole = client.get(f"/dashboard/priorities?survey={SURVEY}").text
    assert "<html" in whole and part.strip() in whole
    page = part
    card = re.search(r'<section class="card" id="priorities">(.*?)</section>', page, re.S)
    assert card is not None
    rows = re.findall(r'<td class="num">(\d+)</td><th scope="row">([^<]+)</th>', card.group(1))
    assert rows[0] == ("1", "Responsiveness")
    assert [int(rank) for rank, _ in rows] == list(range(1, len(rows) + 1))
    first = card.group(1).split("</tr>")[1]
    assert "Act now" in first and "below the zone of tolerance" in first
    analyst = signed_in(app_client, demo_engine, "analyst")
    for lang, quadrant in (("en", "IPA quadrant"), ("fa", "ربع IPA")):
        importance = analyst.get(f"/dashboard/importance?survey={SURVEY}&lang={lang}").text
        assert quadrant in importance and 'id="ipa-note"' in importance
    english = analyst.get(f"/dashboard/importance?survey={SURVEY}&lang=en").text
    responsiveness = re.search(r'scope="row">Responsiveness</th>(.*?)</tr>', english, re.S)
    assert responsiveness is not None
    # the dimension the IPA grid calls low priority shows (and links to) its first rank
    assert "Low priority" in responsiveness.group(1)
    assert re.search(r"#priorities\">1</a>", responsiveness.group(1))


# --- escaping and filters -------------------------------------------------------------------


def test_stored_attack_strings_are_shown_escaped(
    app_client: TestClient, demo_engine: Engine
) -> None:
    client = signed_in(app_client, demo_engine, "admin")
    plan = next(p.id for p in list_plans(demo_engine) if p.title == XSS_FEEDBACK)
    pages = {
        "responses": client.get(f"/dashboard/responses?survey={SURVEY}&region={XSS_REGION}"),
        "segments": client.get(f"/dashboard/segments?survey={SURVEY}&by=region"),
        "segments_age": client.get(f"/dashboard/segments?survey={SURVEY}&by=age_band"),
        "feedback": client.get("/dashboard/feedback?channel=web"),
        "actions": client.get("/dashboard/actions"),
        "action": client.get(f"/dashboard/actions/{plan}"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        for raw in ("<img src=x", "<script>alert", "<b>bold"):
            assert raw not in page.text, (name, raw)
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["responses"].text
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in pages["responses"].text
    assert (
        "&lt;script&gt;alert(&#39;stored&#39;)&lt;/script&gt; &amp; &lt;b&gt;"
        in pages["feedback"].text
    )
    for name in ("actions", "action"):
        assert "&lt;script&gt;alert(&#39;stored&#39;)&lt;/script&gt;" in pages[name].text, name
    # the respondents with that region are found by the filter
    assert "5 matching" in pages["responses"].text
    # and appear, escaped by Vega, in the segment charts, with the segment's size
    assert "&lt;img src=x onerror=alert(1)&gt; (n=5)</text>" in pages["segments"].text


def test_feedback_filters_match_the_database(app_client: TestClient, demo_engine: Engine) -> None:
    client = signed_in(app_client, demo_engine, "agent")
    with transaction(demo_engine) as session:
        counts = dict(
            session.execute(
                select(FeedbackMessage.language, func.count()).group_by(FeedbackMessage.language)
            ).all()
        )
        web_fa = session.scalar(
            select(func.count()).where(
                FeedbackMessage.channel == "web", FeedbackMessage.language == "fa"
            )
        )
    for language, count in counts.items():
        page = client.get(f"/dashboard/feedback?language={language}").text
        assert f"{count} matching" in page
        assert page.count('<li class="card">') == min(count, 50)
    page = client.get("/dashboard/feedback?channel=web&language=fa").text
    assert f"{web_fa} matching" in page


def test_responses_filters_match_the_table(app_client: TestClient, demo_engine: Engine) -> None:
    client = signed_in(app_client, demo_engine, "manager")
    frame = load_survey(demo_engine, SURVEY).frame
    expected = int(((frame["gender"] == "female") & (frame["channel"] == "app")).sum())
    page = client.get(f"/dashboard/responses?survey={SURVEY}&gender=female&channel=app").text
    assert f"{expected} matching" in page
    first = client.get(f"/dashboard/responses?survey={SURVEY}").text
    assert f"{len(frame)} matching" in first and "Page 1 of 2" in first
    second = client.get(f"/dashboard/responses?survey={SURVEY}&page=2").text
    assert second.count("<tr>") - 1 == len(frame) - 50  # header row + the rest


@pytest.mark.parametrize("value", SQL_VALUES)
def test_sql_metacharacters_in_every_filter(
    app_client: TestClient, demo_engine: Engine, value: str
) -> None:
    client = signed_in(app_client, demo_engine, "admin")
    with transaction(demo_engine) as session:
        before = session.scalar(select(func.count()).select_from(FeedbackMessage))
    filtered = {
        "/dashboard/responses": ["gender", "age_band", "income_band", "region", "channel"],
        "/dashboard/feedback": ["channel", "language"],
    }
    for path, names in filtered.items():
        for name in names:
            page = client.get(path, params={"survey": SURVEY, name: value})
            assert page.status_code == 200, (path, name)
            assert "0 matching" in page.text and "Nothing matches" in page.text, (path, name)
    for path, name in [
        ("/dashboard", "survey"),
        ("/dashboard/dimensions/reliability", "survey"),
        ("/dashboard/kano", "survey"),
        ("/dashboard/importance", "survey"),
        ("/dashboard/segments", "survey"),
        ("/dashboard/responses", "survey"),
    ]:
        assert client.get(path, params={name: value}).status_code == 404, path
    # values that are not choices fall back to the default
    for path, name in [
        ("/dashboard/segments", "by"),
        ("/dashboard/responses", "page"),
        ("/dashboard/feedback", "page"),
        ("/dashboard", "lang"),
    ]:
        assert client.get(path, params={name: value}).status_code == 200, (path, name)
    with transaction(demo_engine) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackMessage)) == before
    assert Path(str(demo_engine.url.database)).exists()
