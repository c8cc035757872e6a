"""Analyses and overview figures are reused while the data is unchanged and recomputed
when responses arrive or customer attributes change."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.engine.frames import load_survey
from cxgap.services.accounts import create_user
from cxgap.services.analysis import analysis_version, cached_analysis
from cxgap.services.customers import upsert_customers
from cxgap.services.demo import store_wide
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.web.main import create_app

from .helpers import hidden

LAST, EARLIER = "heating-2026q4", "heating-2025q3"


def _add_copies(engine: Engine, survey: str, count: int, tag: str) -> None:
    """Store ``count`` more responses in ``survey`` (copies of its first ones)."""
    data = load_survey(engine, survey)
    frame = data.frame.head(count).drop(columns=["customer_id"]).copy()
    frame["respondent_id"] = [f"{tag}-{i}" for i in range(count)]
    with transaction(engine) as session:
        store_wide(session, get_survey(session, survey), data.instrument, frame, source="test")


@pytest.fixture
def demo(engine: Engine) -> Engine:
    load_demo_copy(engine, seed=3, customers=300)
    return engine


def test_cached_analysis_is_reused_until_responses_arrive(demo: Engine) -> None:
    first = cached_analysis(demo, LAST)
    assert cached_analysis(demo, LAST) is first
    assert cached_analysis(demo, LAST, by="age_band") is not first  # other options
    _add_copies(demo, LAST, 3, "new")
    second = cached_analysis(demo, LAST)
    assert second is not first
    assert second.survey.n_responses == first.survey.n_responses + 3
    assert cached_analysis(demo, LAST) is second


def test_an_earlier_wave_or_a_customer_change_invalidates_too(demo: Engine) -> None:
    first = cached_analysis(demo, LAST)
    version = analysis_version(demo, LAST)
    _add_copies(demo, EARLIER, 4, "late")  # the trend reads every wave
    second = cached_analysis(demo, LAST)
    assert analysis_version(demo, LAST) != version
    assert second is not first
    assert second.trend is not None and first.trend is not None
    n = second.trend.groupby("survey")["n"].max()
    assert n[EARLIER] == first.trend.groupby("survey")["n"].max()[EARLIER] + 4
    customer = str(load_survey(demo, LAST).frame["customer_id"].dropna().iloc[0])
    with transaction(demo) as session:
        upsert_customers(session, {customer: {"region": "somewhere new"}})
    assert cached_analysis(demo, LAST) is not second


def test_overview_shows_new_responses_on_the_next_view(demo: Engine) -> None:
    with transaction(demo) as session:
        create_user(session, "boss@example.org", "a long enough password", role="manager")
    client = TestClient(create_app(demo))
    form = client.get("/login")
    client.post(
        "/login",
        data={
            "_csrf": hidden(form.text, "_csrf"),
            "email": "boss@example.org",
            "password": "a long enough password",
        },
    )

    def shown() -> int:
        page = client.get(f"/dashboard?survey={LAST}").text
        found = re.search(r'class="sub">Wave 2026Q4 · (\d+) responses', page)
        assert found is not None
        return int(found.group(1))

    before = shown()
    _add_copies(demo, LAST, 6, "fresh")
    assert shown() == before + 6
