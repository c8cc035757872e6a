"""A real browser on a phone-sized screen fills in a Persian and an English survey.

Playwright drives Debian's chromium (``.ci/apt/web.txt``) against the app served by
uvicorn on loopback. Screenshots go to ``$CXGAP_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cxgap.services.collection import create_invitations
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Response

from .helpers import CHROMIUM, running_server, screenshot_folder

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.usefixtures("chromium")


@pytest.fixture
def server(engine: Engine, mini_survey: str) -> Iterator[str]:
    with running_server(engine) as address:
        yield address


def _fill_and_submit(page, base: str, token: str, lang: str, shots: Path | None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/s/{token}?lang={lang}")
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "fa" else "ltr")
    if shots:
        page.screenshot(path=str(shots / f"form-{lang}.png"), full_page=True)
    # the page fits a 360 px phone: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # rating scales run in reading direction: 1 at the start (right in Persian)
    low = page.locator('input[name="nps"][value="0"]').bounding_box()
    high = page.locator('input[name="nps"][value="10"]').bounding_box()
    assert low and high
    assert (low["x"] > high["x"]) if lang == "fa" else (low["x"] < high["x"])
    if shots:
        page.screenshot(path=str(shots / f"form-{lang}.png"), full_page=True)
    # the main button sits at the end of the reading direction: left in Persian
    send = page.locator('button[value="submit"]').bounding_box()
    assert send
    middle = send["x"] + send["width"] / 2
    assert (middle < PHONE["width"] / 2) if lang == "fa" else (middle > PHONE["width"] / 2)
    for name, value in [
        ("rel1_adequate", "4"),
        ("rel1_desired", "8"),
        ("rel1_perceived", "7"),
        ("emp1_expected", "6"),
        ("emp1_perceived", "5"),
        ("dis1", "4"),
        ("kano_app_functional", "1"),
        ("kano_app_dysfunctional", "5"),
    ]:
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    # keyboard: focus an NPS choice and select it with the space bar
    page.locator('input[name="nps"][value="9"]').focus()
    page.keyboard.press("Space")
    page.fill('input[name="importance_reliability"]', "60")
    page.fill('input[name="importance_empathy"]', "30")  # 90: the server must refuse it
    page.locator("#f-comment").focus()
    page.keyboard.type("خوب بود" if lang == "fa" else "Good")
    page.click('button[value="submit"]')
    page.wait_for_selector("#error-summary")
    message = page.locator("#err-importance").inner_text()
    assert ("۱۰۰" in message) if lang == "fa" else ("100" in message)
    assert page.evaluate("document.activeElement.id") == "error-summary"
    if shots:
        page.screenshot(path=str(shots / f"errors-{lang}.png"), full_page=True)
    page.fill('input[name="importance_empathy"]', "40")
    page.click('button[value="submit"]')
    page.wait_for_url("**/done**")
    assert page.get_attribute("html", "lang") == lang


def test_phone_browser_fills_persian_and_english_surveys(
    engine: Engine, server: str, mini_survey: str
) -> None:
    from playwright.sync_api import sync_playwright

    from cxgap.services.collection import signing_secret

    secret = signing_secret(engine.url.render_as_string(hide_password=False))
    tokens = {
        lang: create_invitations(engine, secret, mini_survey, unassigned=1)[0].token
        for lang in ("fa", "en")
    }
    shots = screenshot_folder()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for lang, token in tokens.items():
                context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
                page = context.new_page()
                _fill_and_submit(page, server, token, lang, shots)
                context.close()
        finally:
            browser.close()
    with transaction(engine) as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        assert len(responses) == 2
        for response in responses:
            answers = {
                (a.item_id, a.option): a
                for a in session.scalars(select(Answer).where(Answer.response_id == response.id))
            }
            rel1 = answers[("rel1", "")]
            assert (rel1.adequate, rel1.desired, rel1.perceived) == (4, 8, 7)
            assert answers[("nps", "")].score == 9
            assert answers[("importance", "reliability")].score == 60
            assert answers[("importance", "empathy")].score == 40
            assert answers[("kano_app", "")].dysfunctional == 5
        texts = sorted(session.scalars(select(Answer.text).where(Answer.item_id == "comment")))
        assert texts == ["Good", "خوب بود"]
