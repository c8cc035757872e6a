"""A real browser on a 360 px phone and a desktop: no dashboard page overflows sideways
in any language, and the labels of the importance-performance chart never overprint.

Playwright drives Debian's chromium against the app served by uvicorn on loopback.
Screenshots go under the test's temporary directory and, when ``$CXGAP_SCREENSHOTS`` is
set, there as well.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.services.accounts import create_user
from cxgap.store.database import transaction

from .helpers import running_server
from .test_browser import ARGS, CHROMIUM

EMAIL, PASSWORD = "analyst@example.org", "a long analyst password"
PAGES = (
    "/dashboard",
    "/dashboard/dimensions/reliability",
    "/dashboard/segments?by=gender",
    "/dashboard/kano",
    "/dashboard/importance",
    "/dashboard/responses",
    "/dashboard/feedback",
)
LABEL_BOXES = """() => [...document.querySelectorAll('figure.chart g.mark-text.role-mark text')]
  .map(t => t.getBoundingClientRect())
  .map(r => [r.left, r.top, r.right, r.bottom, r.width])"""

pytestmark = [pytest.mark.usefixtures("chromium"), pytest.mark.slow]


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    load_demo_copy(engine, seed=3, customers=300)
    with transaction(engine) as session:
        create_user(session, EMAIL, PASSWORD, role="admin", language="en")
    with running_server(engine) as address:
        yield address


def _apart(boxes: list[list[float]]) -> list[tuple[int, int]]:
    """Pairs of boxes that overlap."""
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[i + 1 :], i + 1)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_pages_fit_a_phone_and_chart_labels_stay_apart(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width in (1280, 360):
                context = browser.new_context(viewport={"width": width, "height": 800})
                page = context.new_page()
                page.goto(f"{server}/login")
                page.fill("#email", EMAIL)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/dashboard")
                for lang in ("en", "zh", "fa"):
                    for path in PAGES:
                        joiner = "&" if "?" in path else "?"
                        page.goto(f"{server}{path}{joiner}lang={lang}")
                        assert page.get_attribute("html", "lang") == lang
                        scroll = page.evaluate("document.documentElement.scrollWidth")
                        assert scroll <= width, (path, lang, width, scroll)
                    page.goto(f"{server}/dashboard/importance?lang={lang}")
                    boxes = page.evaluate(LABEL_BOXES)
                    assert len(boxes) == 5, boxes  # the five SERVQUAL dimensions
                    assert all(b[4] > 0 for b in boxes)
                    assert not _apart(boxes), (lang, width, boxes)
                    page.screenshot(
                        path=str(shots / f"importance-{lang}-{width}.png"), full_page=True
                    )
                context.close()
        finally:
            browser.close()
    if os.environ.get("CXGAP_SCREENSHOTS"):
        target = Path(os.environ["CXGAP_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copy(shot, target / shot.name)
    assert len(list(shots.iterdir())) == 6
