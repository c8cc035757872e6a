"""The ``unmet_standard`` case rule on the demo organisation: one case per customer whose
encounter missed an approved service standard, none twice, and clear errors for bad
parameters and standards that are not approved."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.services.cases_world import scalar
from tests.web.helpers import propose_visit_window

from cxgap.errors import NotFoundError
from cxgap.services.cases.config import CaseRules, RulesError, parse_rules
from cxgap.services.cases.sweep import sweep
from cxgap.services.standards import approve_standard

STANDARD = "visit-window"
SINCE = dt.date(2025, 10, 1)
CALENDAR = {"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}}


def _standard(engine: Engine, *, approve: bool = True) -> None:
    propose_visit_window(engine, effective_from=SINCE)
    if approve:
        approve_standard(engine, STANDARD, actor="test")


def _rules(**params: Any) -> CaseRules:
    rule = {"name": "standards", "when": "unmet_standard", "priority": "normal", **params}
    return parse_rules({"calendar": CALENDAR, "rules": [rule]}, source="rules.yaml")


def _missed(engine: Engine) -> tuple[int, int]:
    """Encounters (and their customers) at billing that were not resolved since the
    standard took effect, counted by plain SQL."""
    database = engine.url.database
    assert database is not None
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "select count(*), count(distinct customer_id) from encounters "
            "where touchpoint = 'billing' and outcome <> 'resolved' and occurred_at >= ?",
            (SINCE.isoformat(),),
        ).fetchone()
    return int(row[0]), int(row[1])


def test_one_case_per_customer_whose_encounter_missed_the_standard(demo: Engine) -> None:
    _standard(demo)
    rules = _rules(standard=STANDARD, touchpoint="billing")
    encounters, customers = _missed(demo)
    assert customers >= 5
    first = sweep(demo, rules, actor="test")
    assert (first.opened, first.added) == (customers, encounters - customers)
    assert scalar(demo, "select count(*) from cases where rule = 'standards'") == customers
    assert (
        scalar(
            demo,
            "select count(*) from cases c join encounters e on e.id = c.source_id "
            "where c.rule = 'standards' and c.source_type = 'encounter' "
            "and c.cause = 'unmet_standard' and c.customer_id = e.customer_id "
            "and e.outcome <> 'resolved' and e.touchpoint = 'billing'",
        )
        == customers
    )
    assert scalar(demo, "select count(*) from case_signals where rule = 'standards'") == encounters
    again = sweep(demo, rules, actor="test")
    assert (again.opened, again.added) == (0, 0)
    assert scalar(demo, "select count(*) from cases where rule = 'standards'") == customers


def test_a_later_missed_encounter_joins_the_open_case(demo: Engine) -> None:
    _standard(demo)
    rules = _rules(standard=STANDARD, channel=["phone", "app"])
    sweep(demo, rules, actor="test")
    customer = scalar(demo, "select customer_id from cases where rule = 'standards' limit 1")
    other = scalar(
        demo,
        "select min(id) from customers where id not in "
        "(select customer_id from cases where rule = 'standards')",
    )
    database = demo.url.database
    assert database is not None
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "insert into encounters (customer_id, occurred_at, channel, touchpoint, outcome) "
            "values (?, '2026-10-02 10:00:00.000000', ?, 'outage', ?)",
            [
                (customer, "phone", "unresolved"),  # joins the open case
                (other, "phone", "resolved"),  # met: no case
                (other, "web", "escalated"),  # another channel: no case
                (other, "app", "escalated"),  # a case of its own
            ],
        )
    later = sweep(demo, rules, actor="test")
    assert (later.opened, later.added) == (1, 1)
    assert scalar(demo, "select count(*) from cases where customer_id = ?", other) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, r"rules\[0\]\.standard: expected a standard key"),
        ({"standard": 7}, r"rules\[0\]\.standard: expected a standard key .* got 7"),
        ({"standard": "s", "channel": [1]}, r"rules\[0\]\.channel: expected a channel"),
        ({"standard": "s", "touchpoint": []}, r"rules\[0\]\.touchpoint: expected a touchpoint"),
        (
            {"standard": "s", "item": "nps"},
            r"unknown key item for this condition; allowed: standard, channel, touchpoint",
        ),
    ],
)
def test_bad_parameters_name_the_field_and_what_is_allowed(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(RulesError, match=message):
        _rules(**params)


def test_a_standard_without_an_approved_version_is_a_clear_error(demo: Engine) -> None:
    _standard(demo, approve=False)
    with pytest.raises(NotFoundError, match=r"standard 'visit-window' has no approved"):
        sweep(demo, _rules(standard=STANDARD), actor="test")
    # nothing was read past: once approved, the encounters are swept
    approve_standard(demo, STANDARD, actor="test")
    assert sweep(demo, _rules(standard=STANDARD), actor="test").opened > 0
