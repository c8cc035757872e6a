"""A real browser signs in to the dashboard, opens the overview and a drill-down in
English and Persian, and saves screenshots.

Playwright drives Debian's chromium against the app served by uvicorn on loopback.
Screenshots go to a folder under the test's temporary directory and, when
``$CXGAP_SCREENSHOTS`` is set, there as well.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.services.accounts import create_user
from cxgap.store.database import transaction

from .helpers import running_server
from .test_browser import ARGS, CHROMIUM

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
EMAIL, PASSWORD = "manager@example.org", "a long manager password"

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    load_demo_copy(engine, seed=3, customers=300)
    with transaction(engine) as session:
        create_user(session, EMAIL, PASSWORD, role="manager", language="en")
    with running_server(engine) as address:
        yield address


def test_browser_signs_in_and_opens_overview_and_drill_down(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if "Refused" in m.text else None)
            page.goto(f"{server}/dashboard/kano")
            # no session: the sign-in form, which returns to the page asked for
            assert "/login" in page.url
            page.screenshot(path=str(shots / "login-en.png"))
            page.fill("#email", EMAIL)
            page.fill("#password", "not the password")
            page.click("button[type=submit]")
            assert page.locator(".error").inner_text() == "The email or password is not right."
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard/kano")
            page.goto(f"{server}/dashboard")
            assert page.locator("h1").inner_text() == "Customer survey 2026Q4"
            assert page.locator(".tile").count() == 4
            assert page.locator(".tile svg").count() == 4  # each measure's trend
            # one priority list: every dimension and Kano feature, ranked from 1 (the
            # page's script puts it in place once computed)
            page.wait_for_selector("#priorities tbody tr td.num")
            ranks = page.locator("#priorities tbody tr td.num").all_inner_texts()
            assert ranks == [str(n) for n in range(1, len(ranks) + 1)] and len(ranks) >= 5
            page.screenshot(path=str(shots / "overview-en.png"), full_page=True)
            # the survey picker reloads the page (dashboard.js)
            page.select_option("#survey", "heating-2026q3")
            page.wait_for_url("**survey=heating-2026q3**")
            assert "2026Q3" in page.locator("h1").inner_text()
            page.click("a:text-is('Reliability')")  # the gap table links each dimension
            page.wait_for_url("**/dashboard/dimensions/reliability**")
            assert page.locator("figure.chart svg").count() == 2  # zone and trend
            assert page.locator("tbody tr").count() == 5  # rel1..rel5
            page.screenshot(path=str(shots / "drilldown-en.png"), full_page=True)
            # Persian: right to left, Persian digits, remembered on the next page
            page.click("a[hreflang=fa]")
            assert page.get_attribute("html", "dir") == "rtl"
            page.screenshot(path=str(shots / "drilldown-fa.png"), full_page=True)
            page.goto(f"{server}/dashboard")
            assert page.get_attribute("html", "lang") == "fa"
            assert "۲۰۲۶" in page.locator(".sub").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            page.screenshot(path=str(shots / "overview-fa.png"), full_page=True)
            for name in ("segments", "kano", "importance", "responses", "feedback"):
                page.goto(f"{server}/dashboard/{name}")
                assert page.locator("h1").count() == 1
                assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
                page.screenshot(path=str(shots / f"{name}-fa.png"), full_page=True)
            page.click("form.logout button")
            page.wait_for_url("**/login")
            page.goto(f"{server}/dashboard")
            assert "/login" in page.url
            context.close()
        finally:
            browser.close()
    assert not errors, errors  # a script, style or image refused by the CSP
    if os.environ.get("CXGAP_SCREENSHOTS"):
        target = Path(os.environ["CXGAP_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, target / shot.name)
    assert len(list(shots.iterdir())) == 10
