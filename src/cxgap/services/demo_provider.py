"""Storing the provider side of the demo organisation: delivery units, approved standards,
a year of delivery measurements, promises and the employee survey."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxgap.demo.provider_gaps import EMPLOYEE_INSTRUMENT, provider_data
from cxgap.instruments import get_instrument
from cxgap.services.accounts import User
from cxgap.services.customers import upsert_customers
from cxgap.services.delivery import period_start
from cxgap.services.promises import add_promise_row
from cxgap.services.standards import add_standard_version
from cxgap.services.surveys import create_survey
from cxgap.store.standards import DeliveryMeasurement, DeliveryUnit

EMPLOYEE_PREFIX = "employees-"
"""The staff survey's key: this and the last wave (``employees-2026q3``)."""


def store_provider_side(
    session: Session,
    *,
    seed: int,
    waves: tuple[str, ...],
    actor: User | str,
    store_wide: Any,
) -> tuple[int, dict[str, Any]]:
    """Store the provider side in the caller's transaction (covered by the demo's one audit
    entry); returns the number of staff responses and the planted truths. ``store_wide`` is
    the demo's wide-response writer."""
    instrument = get_instrument(EMPLOYEE_INSTRUMENT)
    data = provider_data(instrument, seed=seed, waves=waves)
    units = {}
    for key, kind, name in data.units:
        unit = DeliveryUnit(key=key, kind=kind, name=name)
        session.add(unit)
        session.flush()
        units[key] = unit.id
    for fields in data.standards:
        values = dict(fields)
        key = values.pop("key")
        row = add_standard_version(session, key, values, actor=actor, action=None)
        row.status = "approved"
        row.decided_by = row.created_by
    session.add_all(
        DeliveryMeasurement(
            standard_key=str(r["standard"]),
            unit_id=units[str(r["unit"])],
            period=str(r["period"]),
            period_start=period_start(str(r["period"])),
            value=float(r["value"]),
            cases=int(r["cases"]),
            met=int(r["met"]),
            source="demo",
        )
        for r in data.delivery.to_dict(orient="records")
    )
    for promise in data.promises:
        add_promise_row(session, dict(promise), where=f"demo promise {promise['key']!r}")
    ids = upsert_customers(session, {p: {"unit": u} for p, u in data.employee_units.items()})
    survey = create_survey(
        session,
        f"{EMPLOYEE_PREFIX}{waves[-1].lower()}",
        instrument=instrument,
        name=f"Staff survey {waves[-1]}",
        wave=waves[-1],
    )
    responses = store_wide(
        session, survey, instrument, data.employees, source="demo", customer_of=ids
    )
    return int(responses), data.truths
