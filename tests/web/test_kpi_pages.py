"""The KPI scorecard and the action-plan pages in a real browser, in English and
Persian, on the demo organisation; screenshots kept in ``$CXGAP_SCREENSHOTS`` when set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.services.accounts import create_user
from cxgap.services.actions import create_plan, measure_effect
from cxgap.services.kpis import evaluate_kpis
from cxgap.store.database import transaction

from .helpers import keep_screenshots, running_server
from .test_browser import ARGS, CHROMIUM
from .test_dashboard_browser import DESKTOP, EMAIL, PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.usefixtures("chromium"), pytest.mark.slow]

TITLE = "<b>Call back</b> within a day"


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    load_demo_copy(engine, seed=5, customers=1200)
    with transaction(engine) as session:
        create_user(session, EMAIL, PASSWORD, role="manager", language="en")
        create_user(session, "agent@example.org", PASSWORD, role="agent", language="en")
    with running_server(engine) as address:
        yield address


def _sign_in(page: Page, server: str, path: str, email: str = EMAIL) -> None:
    page.goto(f"{server}{path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def test_scorecard_and_plan_in_english_and_persian(
    server: str, engine: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    plan = create_plan(
        engine, title=TITLE, survey="heating-2026q3", gap="dimension:responsiveness",
        owner=EMAIL, starts_on=dt.date(2026, 1, 1), actor="test", unit_attribute="region",
        targeted_units=["north"], expected_effect=0.4,
        tasks=[{"title": "Hire two agents", "due_on": "2025-12-15"}],
    )  # fmt: skip
    effect = measure_effect(engine, plan.id).result
    assert effect is not None
    shots = tmp_path / "shots"
    shots.mkdir()
    series = evaluate_kpis(engine)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=DESKTOP).new_page()
            _sign_in(page, server, "/dashboard/kpis")
            rows = page.locator("table.scorecard tbody tr")
            assert rows.count() == len(series)
            assert page.locator("nav.menu a[aria-current=page]").inner_text() == "KPIs"
            measured = [s for s in series if s.state != "unavailable"]
            assert page.locator("svg.sparkline polyline").count() == len(measured)
            alerts = [s for s in series if s.state == "alert"]
            assert page.locator("strong.state-alert").count() == len(alerts)
            for one in alerts:
                row = page.locator("tr", has_text=one.series).first.inner_text()
                assert ("moved in" in row) or ("missed its target" in row)
            page.screenshot(path=str(shots / "scorecard-en.png"), full_page=True)
            page.click("a[hreflang=fa]")
            assert page.get_attribute("html", "dir") == "rtl"
            assert page.locator("h1").inner_text() == "کارت امتیاز شاخص‌ها"
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            page.screenshot(path=str(shots / "scorecard-fa.png"), full_page=True)

            page.goto(f"{server}/dashboard/actions?lang=en")
            link = page.locator("table.plans a", has_text="Call back")
            assert link.inner_text() == TITLE  # shown as text, not markup
            link.click()
            page.wait_for_url(f"**/dashboard/actions/{plan.id}")
            text = page.locator("main").inner_text()
            assert "Hire two agents" in text
            assert "Difference in differences" in text
            assert f"{effect.effect:+.2f}" in text
            assert page.locator("figure.chart svg").count() == 1
            page.screenshot(path=str(shots / "plan-en.png"), full_page=True)
            page.click("a[hreflang=fa]")
            assert page.get_attribute("html", "dir") == "rtl"
            assert "اثر سنجیده‌شده" in page.locator("main").inner_text()
            page.screenshot(path=str(shots / "plan-fa.png"), full_page=True)

            agent = browser.new_context(viewport=DESKTOP).new_page()
            agent.goto(f"{server}/dashboard/kpis")
            agent.fill("#email", "agent@example.org")
            agent.fill("#password", PASSWORD)
            with agent.expect_response(lambda r: r.url.endswith("/dashboard/kpis")) as answer:
                agent.click("button[type=submit]")
            assert answer.value.status == 403
            assert agent.locator("nav.menu a", has_text="KPIs").count() == 0
            response = agent.goto(f"{server}/dashboard/actions/999999")
            assert response is not None and response.status == 403
            missing = page.goto(f"{server}/dashboard/actions/999999?lang=en")
            assert missing is not None and missing.status == 404
        finally:
            browser.close()
    keep_screenshots(shots)
    assert len(list(shots.iterdir())) == 4
