"""The "Five gaps" page in a real browser, in English and Persian, with screenshots (kept
in ``$CXGAP_SCREENSHOTS`` when set), and its answers to each role."""

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
from cxgap.services.standards import list_standards
from cxgap.store.database import transaction

from .helpers import propose_visit_window, running_server
from .test_browser import ARGS, CHROMIUM
from .test_dashboard_browser import DESKTOP, EMAIL, PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    load_demo_copy(engine, seed=5, customers=1200)
    with transaction(engine) as session:
        create_user(session, EMAIL, PASSWORD, role="manager", language="en")
    with running_server(engine) as address:
        yield address


def _sign_in(page: Page, server: str) -> None:
    page.goto(f"{server}/dashboard/five-gaps")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/five-gaps")


def test_the_chain_of_responsiveness_in_english_and_persian(
    server: str, engine: Engine, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=DESKTOP).new_page()
            _sign_in(page, server)
            page.select_option("#focus", "dimension:responsiveness")
            page.wait_for_url("**focus=dimension%3Aresponsiveness**")
            gaps = page.locator("li.gap > h2")
            assert gaps.count() == 5
            assert gaps.nth(0).inner_text().startswith("Gap 1")
            text = page.locator("ol.gap-chain").inner_text()
            assert "Managers underestimate" in text
            assert "east misses standard response-time" in text
            assert "Over-promising: brochure-4h" in text
            page.screenshot(path=str(shots / "five-gaps-en.png"), full_page=True)
            page.click("a[hreflang=fa]")
            assert page.get_attribute("html", "dir") == "rtl"
            assert page.locator("li.gap > h2").nth(0).inner_text().startswith("شکاف ۱")
            assert "وعده‌ی بیش از حد" in page.locator("ol.gap-chain").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
            page.screenshot(path=str(shots / "five-gaps-fa.png"), full_page=True)
            page.select_option("#focus", "item:rel3")
            page.wait_for_url("**focus=item%3Arel3**")
            assert "first-time-fix" in page.locator("ol.gap-chain").inner_text()
            page.screenshot(path=str(shots / "five-gaps-rel3-fa.png"), full_page=True)
            # a manager approves a proposed standard on the page
            propose_visit_window(engine)
            page.goto(f"{server}/dashboard/five-gaps?lang=en")
            row = page.locator("tr", has_text="visit-window")
            assert "proposed" in row.inner_text()
            row.locator("button", has_text="Approve").click()
            page.wait_for_url("**/dashboard/five-gaps")
            assert "approved" in page.locator("tr", has_text="visit-window").inner_text()
            assert [r.status for r in list_standards(engine) if r.key == "visit-window"] == [
                "approved"
            ]
            # and changes it: a floor above the target is refused, naming the field
            page.locator("tr", has_text="visit-window").locator("a", has_text="Edit").click()
            page.wait_for_url("**/standards/visit-window/edit")
            page.fill("#floor", "0.99")
            page.click("form.standard-edit button[type=submit]")
            assert "field 'floor' is 0.99, above the target 0.95" in page.inner_text("[role=alert]")
            page.screenshot(path=str(shots / "standard-edit-refused-en.png"), full_page=True)
            page.fill("#floor", "0.9")
            page.fill("#rationale", "more visits inside the window since the new planning tool")
            page.click("form.standard-edit button[type=submit]")
            page.wait_for_url("**/dashboard/five-gaps")
            assert "proposed" in page.locator("tr", has_text="visit-window").inner_text()
            versions = list_standards(engine, all_versions=True)
            assert [
                (r.version, r.status, r.floor) for r in versions if r.key == "visit-window"
            ] == [
                (1, "approved", 0.85),
                (2, "proposed", 0.9),
            ]
            page.goto(f"{server}/dashboard/five-gaps/standards/visit-window/edit?lang=fa")
            assert page.get_attribute("html", "dir") == "rtl"
            page.screenshot(path=str(shots / "standard-edit-fa.png"), full_page=True)
        finally:
            browser.close()
    if os.environ.get("CXGAP_SCREENSHOTS"):
        target = Path(os.environ["CXGAP_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, target / shot.name)
    assert len(list(shots.iterdir())) == 5
