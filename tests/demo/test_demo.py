"""The demo organisation: deterministic, realistic, with its planted truths visible."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from cxgap.demo import generate
from cxgap.demo.provider_gaps import DISTRICTS, EMPLOYEES_PER_DISTRICT
from cxgap.engine import responses_frame
from cxgap.errors import ConflictError
from cxgap.instruments import get_instrument
from cxgap.services.demo import load_demo
from cxgap.store.database import transaction
from cxgap.store.models import Customer, Encounter, FeedbackMessage, Response

ANCHOR = dt.date(2027, 1, 1)
"""The demo's data lies before this day (waves 2025Q1-2026Q4), whatever today is."""


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return generate(
        get_instrument("heating-cx"),
        get_instrument("servqual-management"),
        seed=11,
        customers=3000,
        anchor=ANCHOR,
    )


def _items(dimension: str) -> list[str]:
    inst = get_instrument("heating-cx")
    return [i.id for i in inst.items if i.dimension == dimension and i.format == "tolerance_zone"]


def test_same_seed_same_data(data) -> None:  # type: ignore[no-untyped-def]
    again = generate(
        get_instrument("heating-cx"),
        get_instrument("servqual-management"),
        seed=11,
        customers=3000,
        anchor=ANCHOR,
    )
    pd.testing.assert_frame_equal(data.customers, again.customers)
    for wave, frame in data.waves.items():
        pd.testing.assert_frame_equal(frame, again.waves[wave])
    other = generate(
        get_instrument("heating-cx"),
        get_instrument("servqual-management"),
        seed=12,
        customers=3000,
        anchor=ANCHOR,
    )
    assert not data.waves["2025Q1"]["rel1_perceived"].equals(
        other.waves["2025Q1"]["rel1_perceived"]
    )


def test_planted_truths_are_in_the_data(data) -> None:  # type: ignore[no-untyped-def]
    allw = pd.concat(data.waves.values(), ignore_index=True)
    # below adequate: rel2's mean perception lies under its mean adequate level, every wave
    for frame in data.waves.values():
        assert frame["rel2_perceived"].mean() < frame["rel2_adequate"].mean() - 0.5
    # worsening responsiveness over the last three waves
    resp = _items("responsiveness")
    means = [f[[f"{i}_perceived" for i in resp]].mean(axis=1).mean() for f in data.waves.values()]
    assert means[-1] < means[-2] < means[-3] < means[4] - 0.2
    # segment differences in expectations
    merged = allw.merge(data.customers, on="customer_id")
    emp = merged[[f"{i}_desired" for i in _items("empathy")]].mean(axis=1)
    older = merged["age_band"] == "55+"
    assert emp[older].mean() - emp[~older].mean() > 0.6
    # key driver: reliability perception correlates with NPS more than any other dimension
    nps = allw["nps"]
    corr = {
        d: allw[[f"{i}_perceived" for i in _items(d)]].mean(axis=1).corr(nps)
        for d in ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
    }
    assert max(corr, key=lambda d: corr[d]) == "reliability"
    # attractive Kano feature: most answer pairs are (like, neutral / live with)
    f, d = allw["kano_app_meter_functional"], allw["kano_app_meter_dysfunctional"]
    assert ((f == 1) & d.isin([3, 4])).mean() > 0.5
    assert data.truths["attractive_feature"] == "app_meter"
    assert len(data.customers) == 3000 and len(data.waves) == 8
    assert set(data.feedback["language"]) == {"en", "zh", "fa"}


def test_load_demo_into_a_database(engine: Engine, tmp_path: Path) -> None:
    result = load_demo(engine, seed=3, customers=600)
    # eight customer waves, the management survey, the staff survey and the follow-up
    assert result is not None and result.surveys == 11
    staff = len(DISTRICTS) * EMPLOYEES_PER_DISTRICT  # staff answer as people with a unit
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 600 + staff
        assert session.scalar(select(func.count()).select_from(Response)) == result.responses
        assert session.scalar(select(func.count()).select_from(Encounter)) == result.encounters
        assert session.scalar(select(func.count()).select_from(FeedbackMessage)) == result.feedback
    truths = json.loads(Path(result.truths_file or "").read_text(encoding="utf-8"))
    assert truths["below_adequate_item"] == "rel2"
    frame, _ = responses_frame(engine, "heating-2026q4")
    assert len(frame) == 144 and frame["gender"].notna().all()
    assert np.nanmean(frame["rel2_perceived"]) < np.nanmean(frame["rel2_adequate"])
    assert load_demo(engine, if_empty=True) is None
    with pytest.raises(ConflictError, match="already loaded"):
        load_demo(engine, seed=3, customers=600)
