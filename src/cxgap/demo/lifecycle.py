"""The demo organisation's customer lifecycle: relationships, churn and complaints.

Pure (numpy / pandas); its own random stream (``seed`` + 1), so the survey data of
:func:`cxgap.demo.generate.generate` stays the same.

Planted truths (:data:`CHURN_TRUTHS`): each quarter from 2025 on, a customer's chance to
leave grows with their expectation gap on responsiveness (perceived minus adequate, mean
over the waves they answered; customers who never answered count as 0) and with their
complaints still unresolved at the quarter's start; complaints come more often to
customers with a negative gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxgap.instruments.model import Instrument

CHURN_TRUTHS = {
    "quarterly_churn_base": 0.012,
    "hazard_ratio_per_gap_point": float(np.exp(-0.5)),
    "hazard_ratio_per_unresolved_complaint": float(np.exp(1.2)),
    "complaints_per_year_base": 0.3,
    "complaint_rate_ratio_per_gap_point": float(np.exp(-0.6)),
}
"""How churn and complaints depend on the gap and on unresolved complaints."""

QUARTERS = pd.period_range("2025Q1", "2026Q4", freq="Q")
END_REASONS = (("price", True, 0.35), ("service", True, 0.35), ("moved", True, 0.2),
               ("non_payment", False, 0.1))  # fmt: skip
CHANNELS = ("hotline", "email", "web", "letter", "app")


def responsiveness_gap(
    instrument: Instrument, waves: dict[str, pd.DataFrame], customers: pd.Series
) -> pd.Series:
    """Each customer's mean responsiveness gap over the waves they answered (0 if none)."""
    items = [i for i, d in instrument.dimension_map("tolerance_zone").items()
             if d == "responsiveness"]  # fmt: skip
    parts = []
    for frame in waves.values():
        gap = frame[[f"{i}_perceived" for i in items]].to_numpy(dtype="float64") - frame[
            [f"{i}_adequate" for i in items]
        ].to_numpy(dtype="float64")
        parts.append(pd.Series(np.nanmean(gap, axis=1), index=frame["customer_id"].to_numpy()))
    joined = pd.concat(parts).groupby(level=0).mean()
    return joined.reindex(customers.to_numpy()).fillna(0.0).set_axis(customers.index)


def lifecycle(
    instrument: Instrument,
    customers: pd.DataFrame,
    waves: dict[str, pd.DataFrame],
    *,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(relationships, complaints)`` of the demo customers (see the module doc)."""
    rng = np.random.default_rng(seed + 1)
    n = len(customers)
    gap = responsiveness_gap(instrument, waves, customers["customer_id"]).to_numpy()
    started = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")
    complaint_rate = CHURN_TRUTHS["complaints_per_year_base"] / 4 * np.exp(-0.6 * gap)
    open_complaints = np.zeros(n)
    ended = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    active = np.ones(n, dtype=bool)
    rows: list[tuple[object, ...]] = []
    for quarter in QUARTERS:
        begin = quarter.start_time
        hazard = CHURN_TRUTHS["quarterly_churn_base"] * np.exp(-0.5 * gap + 1.2 * open_complaints)
        leaving = active & (rng.random(n) < np.minimum(hazard, 0.9))
        days = rng.integers(0, 90, n)
        ended[leaving] = (begin + pd.to_timedelta(days[leaving], unit="D")).to_numpy()
        counts = rng.poisson(complaint_rate) * active
        for k in np.flatnonzero(counts):
            for _ in range(counts[k]):
                received = begin + pd.Timedelta(days=int(rng.integers(0, 90)),
                                                hours=int(rng.integers(8, 18)))  # fmt: skip
                resolved = rng.random() < 0.6
                rows.append((f"K{len(rows) + 1:05d}", customers["customer_id"].iat[int(k)],
                             CHANNELS[rng.integers(len(CHANNELS))], received,
                             (received + pd.Timedelta(days=float(rng.exponential(6)))).floor("s")
                             if resolved else pd.NaT, customers["region"].iat[int(k)]))  # fmt: skip
                open_complaints[k] += 0 if resolved else 1
        active &= ~leaving
    reasons = rng.choice(len(END_REASONS), p=[r[2] for r in END_REASONS], size=n)
    has_ended = ~pd.isna(ended)
    relationships = pd.DataFrame(
        {
            "customer": customers["customer_id"].to_numpy(),
            "started_on": started.date,
            "ended_on": [d.date() if ok else None for d, ok in
                         zip(pd.to_datetime(ended), has_ended, strict=True)],
            "end_reason": [END_REASONS[r][0] if ok else None for r, ok in
                           zip(reasons, has_ended, strict=True)],
            "voluntary": [END_REASONS[r][1] if ok else None for r, ok in
                          zip(reasons, has_ended, strict=True)],
            "plan": rng.choice(["basic", "comfort", "premium"], size=n).tolist(),
            "unit": customers["region"].to_numpy(),
        }
    )  # fmt: skip
    complaints = pd.DataFrame(
        rows, columns=["complaint_id", "customer", "channel", "received_at", "resolved_at", "unit"]
    )
    return relationships, complaints
