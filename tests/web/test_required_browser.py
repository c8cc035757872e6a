"""A real browser meets required items: the error summary names each one by its wording
and links to it; "Save and finish later" still saves an empty page.

Playwright drives Debian's chromium against the app under uvicorn on loopback, at a phone
(360 px) and a desktop (1280 px) width. Screenshots go to ``$CXGAP_SCREENSHOTS`` when set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from cxgap.instruments import Instrument
from cxgap.services.collection import create_invitations, signing_secret

from .helpers import CHROMIUM, running_server, screenshot_folder
from .test_browser import ARGS

pytestmark = pytest.mark.usefixtures("chromium")
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
REQUIRED = ["rel1", "emp1", "dis1", "kano_app", "importance"]


@pytest.fixture
def server(engine: Engine, mini_survey: str) -> Iterator[str]:
    with running_server(engine) as address:
        yield address


def test_the_error_summary_names_the_missing_items(
    engine: Engine, server: str, mini_survey: str, mini: Instrument
) -> None:
    from playwright.sync_api import sync_playwright

    secret = signing_secret(engine.url.render_as_string(hide_password=False))
    shots = screenshot_folder()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for lang in ("en", "zh", "fa"):
                for width, viewport in WIDTHS.items():
                    token = create_invitations(engine, secret, mini_survey, unassigned=1)[0].token
                    context = browser.new_context(viewport=viewport)
                    page = context.new_page()
                    page.goto(f"{server}/s/{token}?lang={lang}")
                    save = page.locator('button[value="save"]')
                    # the save action sits on the page's own background with the others
                    assert save.evaluate("b => getComputedStyle(b).backgroundColor") == (
                        "rgba(0, 0, 0, 0)"
                    )
                    steps = page.locator(".steps").bounding_box()
                    box = save.bounding_box()
                    assert steps and box and 0 <= box["y"] - (steps["y"] + steps["height"]) < 40
                    if shots:
                        page.screenshot(
                            path=str(shots / f"form-{lang}-{width}.png"), full_page=True
                        )
                    page.click('button[value="submit"]')
                    page.wait_for_selector("#error-summary")
                    links = page.locator("#error-summary li a")
                    texts = links.all_inner_texts()
                    assert len(texts) == len(REQUIRED)
                    for text, item_id in zip(texts, REQUIRED, strict=True):
                        assert mini.item(item_id).text[lang] in text
                    if shots:
                        page.screenshot(
                            path=str(shots / f"errors-{lang}-{width}.png"), full_page=True
                        )
                    # a link takes the respondent to the item's first field
                    links.nth(1).click()
                    assert page.evaluate("location.hash") == "#f-emp1_expected"
                    # saving an unfinished page is never blocked by the required marks
                    page.click('button[value="save"]')
                    page.wait_for_url("**saved=1**")
                    context.close()
        finally:
            browser.close()


def test_enter_in_a_field_moves_forward_not_back(engine: Engine, server: str) -> None:
    from playwright.sync_api import sync_playwright

    from cxgap.services.surveys import create_survey
    from cxgap.store.database import transaction

    with transaction(engine) as session:
        create_survey(session, "heat", instrument="heating-cx")
    secret = signing_secret(engine.url.render_as_string(hide_password=False))
    token = create_invitations(engine, secret, "heat", unassigned=1)[0].token
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport=WIDTHS["phone"]).new_page()
            page.goto(f"{server}/s/{token}?lang=en&page=1")  # the points page: Back is shown
            assert page.locator('button[value="back"]').is_visible()
            boxes = page.locator("input[data-points]")
            boxes.nth(0).fill("100")
            for k in range(1, boxes.count()):
                boxes.nth(k).fill("0")
            boxes.nth(0).press("Enter")
            page.wait_for_url("**page=2**")
            assert page.locator("#section-title").inner_text() != ""
        finally:
            browser.close()
