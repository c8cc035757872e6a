"""The demo organisation's standards, delivery, promises and employee survey, with the
provider gaps planted in them.

Pure (numpy / pandas); :mod:`cxgap.services.demo` stores what :func:`provider_data`
returns. Dates follow the demo's own waves (the ``waves`` passed in, oldest first):
delivery covers the twelve months of the last four waves.

Planted:

- **Gap 1**: managers underestimate customers' expectations of one dimension
  (``KNOWLEDGE_GAP_DIMENSION`` in :mod:`cxgap.demo.generate`) and read the others right
  (:func:`cxgap.demo.generate.management_survey`);
- **Gap 3**: one district (:data:`MISSING_DISTRICT`) misses the response-time standard from
  the start of one wave (:data:`MISSING_FROM_WAVE`) on; every other district complies;
- **Gap 4**: a brochure for app users promises a technician within 4 hours while about six
  are delivered, and app users expect more responsiveness (the planted segment
  difference); the other promises are kept;
- **factors**: in the employee survey, the missing district's staff report less
  perceived control and teamwork and more role conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.demo.generate import wave_start
from cxgap.instruments.model import Instrument

DISTRICTS = ("north", "centre", "south", "east", "west", "harbour")
MISSING_DISTRICT = "east"
MISSING_FROM_WAVE = -2
"""The district misses the standard from the start of the last wave but one."""
RESPONSE_STANDARD = "response-time"
FIX_STANDARD = "first-time-fix"
BROKEN_PROMISE = "brochure-4h"
EMPLOYEE_INSTRUMENT = "employee-factors"
EMPLOYEES_PER_DISTRICT = 14
WEAK_FACTORS = {"perceived_control": -1.3, "teamwork": -1.1, "role_conflict": 1.3}


@dataclass(frozen=True)
class ProviderData:
    """Frames and records of the provider side of the demo organisation."""

    units: list[tuple[str, str, str | None]]
    standards: list[dict[str, Any]]
    delivery: pd.DataFrame
    promises: list[dict[str, Any]]
    employees: pd.DataFrame
    employee_units: dict[str, str]
    truths: dict[str, Any]


def delivery_months(waves: tuple[str, ...]) -> list[pd.Timestamp]:
    """The twelve months of the last four waves."""
    start = wave_start(waves[-4])
    return [start + pd.DateOffset(months=k) for k in range(12)]


def _standards(waves: tuple[str, ...]) -> list[dict[str, Any]]:
    start = wave_start(waves[-4]).date()
    return [
        {
            "key": RESPONSE_STANDARD,
            "instrument": "heating-cx",
            "item": "res2",
            "dimension": "responsiveness",
            "metric": "hours from a fault report until a technician is on site",
            "measure_unit": "hours",
            "higher_is_better": False,
            "floor": 8.0,
            "target": 4.0,
            "owner": "head of field service",
            "effective_from": start,
            "rationale": "customers without heat accept a same-day visit; they hope for hours",
        },
        {
            "key": FIX_STANDARD,
            "instrument": "heating-cx",
            "item": "rel3",
            "dimension": "reliability",
            "metric": "share of repairs fixed at the first visit",
            "measure_unit": "share",
            "higher_is_better": True,
            "floor": 0.8,
            "target": 0.9,
            "owner": "head of field service",
            "effective_from": start,
            "rationale": "a second visit doubles the time without heat",
        },
    ]


def _delivery(rng: np.random.Generator, waves: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    shift_start = wave_start(waves[MISSING_FROM_WAVE])
    for district in DISTRICTS:
        for month in delivery_months(waves):
            late = district == MISSING_DISTRICT and month >= shift_start
            cases = int(rng.integers(90, 160))
            hours = rng.gamma(9.0, (7.6 if late else 5.9) / 9.0, cases)
            within = int((hours <= 8.0).sum())
            rows.append(
                {
                    "standard": RESPONSE_STANDARD,
                    "unit": district,
                    "period": month.strftime("%Y-%m"),
                    "value": round(float(hours.mean()), 2),
                    "cases": cases,
                    "met": within,
                }
            )
            repairs = int(rng.integers(60, 120))
            fixed = int(rng.binomial(repairs, 0.9))
            rows.append(
                {
                    "standard": FIX_STANDARD,
                    "unit": district,
                    "period": month.strftime("%Y-%m"),
                    "value": round(fixed / repairs, 4),
                    "cases": repairs,
                    "met": fixed,
                }
            )
    return pd.DataFrame(rows)


def _promises(waves: tuple[str, ...]) -> list[dict[str, Any]]:
    start = wave_start(waves[-4]).date()
    return [
        {
            "key": BROKEN_PROMISE,
            "channel": "brochure",
            "texts": {
                "en": "A technician at your door within 4 hours of your call.",
                "zh": "来电后 4 小时内，技术人员上门服务。",
                "fa": "تکنسین ما ظرف ۴ ساعت پس از تماس شما در محل حاضر است.",
            },
            "audience": "channel=app",
            "valid_from": start,
            "instrument": "heating-cx",
            "item": "res2",
            "standard_key": RESPONSE_STANDARD,
            "promised_level": 4.0,
        },
        {
            "key": "sla-same-day",
            "channel": "sla",
            "texts": {
                "en": "Published service level: a technician on site within 8 hours.",
                "zh": "公开的服务水平：8 小时内技术人员到场。",
                "fa": "سطح خدمت اعلام‌شده: حضور تکنسین در محل ظرف ۸ ساعت.",
            },
            "audience": None,
            "valid_from": start,
            "instrument": "heating-cx",
            "item": "res2",
            "standard_key": RESPONSE_STANDARD,
            "promised_level": 8.0,
        },
        {
            "key": "website-first-visit",
            "channel": "website",
            "texts": {
                "en": "Most faults are fixed at the first visit.",
                "zh": "大多数故障在第一次上门时即可修好。",
                "fa": "بیشتر خرابی‌ها در همان مراجعه‌ی اول برطرف می‌شوند.",
            },
            "audience": None,
            "valid_from": start,
            "instrument": "heating-cx",
            "item": "rel3",
            "standard_key": FIX_STANDARD,
            "promised_level": 0.75,
        },
    ]


def _employees(
    rng: np.random.Generator, instrument: Instrument
) -> tuple[pd.DataFrame, dict[str, str]]:
    items = instrument.items_of_format("rating")
    scale = instrument.scale(items[0].scale or "")
    units: dict[str, str] = {}
    columns: dict[str, list[float]] = {item.id: [] for item in items}
    ids: list[str] = []
    for district in DISTRICTS:
        for k in range(EMPLOYEES_PER_DISTRICT):
            person = f"staff-{district}-{k + 1:02d}"
            ids.append(person)
            units[person] = district
            halo = rng.normal(0, 0.5)
            for item in items:
                centre = 4.8 + halo
                if district == MISSING_DISTRICT:
                    centre += WEAK_FACTORS.get(item.dimension or "", 0.0)
                value = np.clip(np.rint(centre + rng.normal(0, 0.9)), scale.min, scale.max)
                columns[item.id].append(float(value))
    frame = pd.DataFrame({"respondent_id": ids, "customer_id": ids, **columns})
    return frame, units


def provider_data(
    employee_instrument: Instrument, *, seed: int, waves: tuple[str, ...]
) -> ProviderData:
    """Standards, a year of delivery per district, promises and the employee survey, dated
    by the demo's ``waves`` (oldest first)."""
    rng = np.random.default_rng([seed, 12])
    employees, units = _employees(rng, employee_instrument)
    return ProviderData(
        units=[(d, "district", None) for d in DISTRICTS],
        standards=_standards(waves),
        delivery=_delivery(rng, waves),
        promises=_promises(waves),
        employees=employees,
        employee_units=units,
        truths=provider_truths(waves),
    )


def provider_truths(waves: tuple[str, ...]) -> dict[str, Any]:
    """What the provider side was built to show (merged into the demo's truths file)."""
    months = [m.strftime("%Y-%m") for m in delivery_months(waves)]
    return {
        "gap3": {
            "standard": RESPONSE_STANDARD,
            "unit": MISSING_DISTRICT,
            "from_period": wave_start(waves[MISSING_FROM_WAVE]).strftime("%Y-%m"),
            "finding": "shift_down",
            "other_units": "none",
            "periods": months,
        },
        "gap4": {
            "promise": BROKEN_PROMISE,
            "finding": "over_promising",
            "audience": "channel=app",
            "kept_promises": ["sla-same-day", "website-first-visit"],
        },
        "factors": {
            "unit": MISSING_DISTRICT,
            "weaker": sorted(WEAK_FACTORS),
        },
    }
