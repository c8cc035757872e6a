"""The counts behind the KPIs whose data other modules keep, per calendar quarter, and
why a KPI has no values (a stable code with parameters, worded in ``kpi_measures.po``).

* ``case_sla``: cases (not held out, with a resolution due time) resolved by their due
  time, in the quarter of their resolution; an open case already past its due time counts
  as missed in the quarter it went past due; an open case not yet due is not counted.
  Held-out cases are left out: nobody works them on purpose
  (:mod:`cxgap.services.cases`).
* ``recovery_rate``: resolved, not held-out cases whose customer's first answer to the
  recommendation item after the resolution is recovered
  (:func:`cxgap.services.cases.recovery.case_outcomes`), among those with such an answer,
  in the quarter of the resolution.
* ``standard_compliance``: the cases of delivery measurements that met their standard
  (``met`` of ``cases``, as the delivery gap counts them,
  :func:`cxgap.services.delivery.delivery_table`), in the quarter of the measurement's
  period start; measurements without counts are left out, as in the delivery gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, func, inspect, select, table

from cxgap.services.cases.recovery import _frames, case_outcomes
from cxgap.services.delivery import delivery_table
from cxgap.store.database import transaction

COUNT_COLUMNS = ("period", "events", "trials")
"""Columns of the counts: the quarter (``2026Q3``), the cases that count as met or
recovered, and the cases counted."""

REASONS: dict[str, str] = {
    "no_table": "needs the {table} table, which this database lacks",
    "no_rows": "the {table} table has no rows",
    "no_data": "no data for this measure",
    "no_index_items": "the instrument {instrument} has no satisfaction-index items "
    "(rating items whose role is csi_<construct>_<n>)",
    "no_due_times": "no counted case has a resolution due time (give the case rules an sla)",
    "no_later_answers": "no resolved case's customer has answered the recommendation item "
    "since the resolution",
    "no_counts": "no delivery measurement counts its cases and how many met the standard",
}
"""English words of each reason code (the same as the ``kpi_unavailable_CODE`` messages of
the English catalogue; a test keeps them equal)."""


@dataclass(frozen=True)
class Unavailable:
    """Why a KPI has no values: a stable ``code`` (:data:`REASONS`) and its parameters."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The reason in English."""
        return REASONS[self.code].format(**self.params)


def _table_state(engine: Engine, name: str) -> Unavailable | None:
    """``no_table`` or ``no_rows`` when the table cannot give values, else ``None``."""
    with engine.connect() as connection:
        if name not in inspect(connection).get_table_names():
            return Unavailable("no_table", {"table": name})
    with transaction(engine) as session:
        if not session.scalar(select(func.count()).select_from(table(name))):
            return Unavailable("no_rows", {"table": name})
    return None


def _per_quarter(moments: pd.Series, events: pd.Series) -> pd.DataFrame:
    """Counts per calendar quarter of ``moments`` (UTC times): events and trials."""
    quarters = pd.to_datetime(moments, utc=True).dt.tz_localize(None).dt.to_period("Q")
    grouped = events.astype(int).groupby(quarters.to_numpy()).agg(["sum", "size"]).sort_index()
    return pd.DataFrame({"period": [str(q) for q in grouped.index],
                         "events": grouped["sum"].to_numpy(),
                         "trials": grouped["size"].to_numpy()})  # fmt: skip


def case_sla_counts(engine: Engine, *, as_of: dt.datetime) -> pd.DataFrame | Unavailable:
    """Cases resolved by their due time per quarter (module docstring)."""
    state = _table_state(engine, "cases")
    if state is not None:
        return state
    cases, _ = _frames(engine, "nps")
    cases = cases[~cases["holdout"].astype(bool)]
    due = pd.to_datetime(cases["due"], utc=True)
    resolved = pd.to_datetime(cases["resolved"], utc=True)
    done = resolved.notna() & due.notna()
    overdue = resolved.isna() & due.notna() & (due < pd.Timestamp(as_of))
    counted = done | overdue
    if not counted.any():
        return Unavailable("no_due_times")
    met = done & (resolved <= due)
    return _per_quarter(resolved.where(done, due)[counted], met[counted])


def recovery_counts(engine: Engine, *, as_of: dt.datetime) -> pd.DataFrame | Unavailable:
    """Recovered cases among the resolved ones with a later answer, per quarter."""
    state = _table_state(engine, "cases")
    if state is not None:
        return state
    outcomes = case_outcomes(engine)
    answered = outcomes[~outcomes["holdout"].astype(bool) & outcomes["later_score"].notna()]
    if answered.empty:
        return Unavailable("no_later_answers")
    return _per_quarter(answered["resolved"], answered["recovered"])


def compliance_counts(engine: Engine, *, as_of: dt.datetime) -> pd.DataFrame | Unavailable:
    """Cases of delivery measurements that met their standard, per quarter."""
    state = _table_state(engine, "delivery_measurements")
    if state is not None:
        return state
    measured = delivery_table(engine)
    measured = measured[measured["cases"].notna() & (measured["cases"] > 0)]
    if measured.empty:
        return Unavailable("no_counts")
    quarters = pd.to_datetime(measured["period_start"]).dt.to_period("Q")
    sums = measured.groupby(quarters.to_numpy())[["met", "cases"]].sum().sort_index()
    return pd.DataFrame({"period": [str(q) for q in sums.index],
                         "events": sums["met"].astype(int).to_numpy(),
                         "trials": sums["cases"].astype(int).to_numpy()})  # fmt: skip


QUARTER_COUNTS: dict[str, Callable[..., pd.DataFrame | Unavailable]] = {
    "case_sla": case_sla_counts,
    "recovery_rate": recovery_counts,
    "standard_compliance": compliance_counts,
}
"""The measures counted per calendar quarter from other modules' tables."""
