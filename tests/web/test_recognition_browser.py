"""A real browser opens the recognition board and the recovery page in Persian and English
and saves screenshots (``$CXGAP_SCREENSHOTS`` keeps a copy)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .test_browser import ARGS, CHROMIUM
from .test_dashboard_browser import EMAIL, PASSWORD, server  # noqa: F401  (the demo served)

pytestmark = pytest.mark.usefixtures("chromium")


def test_board_and_recovery_pages_in_a_browser(server: str, tmp_path: Path) -> None:  # noqa: F811
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
            # recovery (people, teams) from the demo's owned cases, delight (people, teams)
            assert page.locator("table").count() == 4
            assert page.get_by_text("amira@riverside-heat.example").count() >= 1
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
