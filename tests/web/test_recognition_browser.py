"""A real browser opens the recognition board and the recovery page in Persian and English
and saves screenshots (``$CXGAP_SCREENSHOTS`` keeps a copy)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxgap.services.accounts import create_user
from cxgap.services.demo import load_demo
from cxgap.store.database import transaction

from .helpers import running_server
from .test_browser import ARGS, CHROMIUM

EMAIL, PASSWORD = "manager@example.org", "a long manager password"

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    load_demo(engine, seed=7, customers=800, anchor=dt.date(2027, 1, 1))
    with transaction(engine) as session:
        create_user(session, EMAIL, PASSWORD, role="manager", language="en")
    with running_server(engine) as address:
        yield address


def test_board_and_recovery_pages_in_a_browser(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1100}).new_page()
            page.goto(f"{server}/dashboard/recognition?lang=fa")
            page.fill("#email", EMAIL)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/dashboard/recognition?lang=fa")
            assert page.locator("h1").inner_text() == "تابلوی قدردانی"
            assert page.locator("html").get_attribute("dir") == "rtl"
            # the demo's cases have no owners: recovery says so, delight has its two tables
            assert page.locator("table").count() == 2
            assert page.get_by_text("mina@riverside-heat.example").count() == 1
            page.screenshot(path=str(shots / "recognition-fa.png"), full_page=True)
            page.goto(f"{server}/dashboard/recovery?lang=en")
            assert page.locator("h1").inner_text() == "Recovery measured"
            assert page.locator("figure.chart svg").count() == 1
            page.screenshot(path=str(shots / "recovery-en.png"), full_page=True)
        finally:
            browser.close()
    keep = os.environ.get("CXGAP_SCREENSHOTS")
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
