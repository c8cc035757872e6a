"""The demo's planted churn: it depends on the responsiveness gap and on unresolved
complaints (recovered by a logistic regression in statsmodels), and its complaints
come more often to customers with a negative gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxgap.demo.generate import generate
from cxgap.demo.lifecycle import lifecycle, responsiveness_gap
from cxgap.instruments import get_instrument
from cxgap.services.demo import CUSTOMER_INSTRUMENT, MANAGEMENT_INSTRUMENT


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    instrument = get_instrument(CUSTOMER_INSTRUMENT)
    data = generate(instrument, get_instrument(MANAGEMENT_INSTRUMENT), seed=7, customers=5000)
    relationships, complaints = lifecycle(instrument, data.customers, data.waves, seed=7)
    gap = responsiveness_gap(instrument, data.waves, data.customers["customer_id"])
    return relationships, complaints, gap


def test_churn_depends_on_the_gap_and_unresolved_complaints(
    demo: tuple[pd.DataFrame, pd.DataFrame, pd.Series],
) -> None:
    relationships, complaints, gap = demo
    churned = relationships.ended_on.notna().astype(float).to_numpy()
    unresolved = (
        complaints[complaints.resolved_at.isna()].groupby("customer").size()
        .reindex(relationships.customer).fillna(0).to_numpy()
    )  # fmt: skip
    design = sm.add_constant(np.column_stack([gap.to_numpy(), unresolved]))
    fit = sm.Logit(churned, design).fit(disp=0)
    assert fit.params[1] < 0 and fit.pvalues[1] < 1e-6  # a worse gap, more churn
    assert fit.params[2] > 0 and fit.pvalues[2] < 1e-3  # unresolved complaints, more churn
    assert 0.03 < churned.mean() < 0.15
    reasons = relationships.end_reason.dropna()
    assert set(reasons) <= {"price", "service", "moved", "non_payment"}
    assert relationships.voluntary[relationships.end_reason == "non_payment"].eq(False).all()


def test_complaints_come_more_often_with_a_negative_gap(
    demo: tuple[pd.DataFrame, pd.DataFrame, pd.Series],
) -> None:
    relationships, complaints, gap = demo
    counts = complaints.groupby("customer").size().reindex(relationships.customer).fillna(0)
    negative = gap.to_numpy() < 0
    assert counts[negative].mean() > 1.5 * counts[~negative].mean()
    assert complaints.complaint_id.is_unique
    resolved = complaints.dropna(subset=["resolved_at"])
    assert (resolved.resolved_at >= resolved.received_at).all()
