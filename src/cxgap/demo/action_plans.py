"""The demo organisation's two action plans: one that worked and one that did not.

Pure (numpy / pandas); its own random stream (``[seed, 43]``), so every other demo
number stays the same. Both plans start at the first day of the third-last wave (five
waves before the start, three from it, with the demo's eight waves) and act on one
region each (the respondent attribute ``region``):

- :data:`WORKED` targets the *responsiveness* gap of region ``south``: from the start,
  each of that region's perceived responsiveness answers is one scale point higher with
  probability ``planted_effect`` (0.6; never above 9), so the region's mean rises by
  about 0.6 while the other regions do not change;
- :data:`DID_NOT_WORK` targets the *empathy* gap of region ``north``; nothing changes.

:func:`plant_action_effects` applies the change to the generated waves; :func:`plans`
says what :mod:`cxgap.services.demo` stores (owner, tasks, cost, expected effect) and
:func:`action_plan_truths` what the truths file records under ``action_plans``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.instruments.model import Instrument

UNIT_ATTRIBUTE = "region"
SCALE_MAX = 9
"""The top of the tolerance-zone scale (no answer rises above it)."""
WAVES_FROM_START = 3
"""The plans start with the third-last wave."""


@dataclass(frozen=True)
class DemoPlan:
    """One demo action plan and what was planted for it."""

    title: str
    dimension: str
    region: str
    planted_effect: float
    """Mean rise of the region's perceived answers on the dimension from the start."""
    cost: float
    expected_effect: float
    description: str
    tasks: tuple[tuple[str, int, str], ...]
    """(title, days after the start it is due, status)."""


WORKED = DemoPlan(
    title="Southern hotline answers within one working day",
    dimension="responsiveness",
    region="south",
    planted_effect=0.6,
    cost=48000.0,
    expected_effect=0.5,
    description="Two more hotline agents and a call-back promise for the southern region.",
    tasks=(
        ("Hire two hotline agents", -14, "done"),
        ("Publish the call-back promise", 7, "done"),
        ("Review call-back times monthly", 90, "doing"),
    ),
)
DID_NOT_WORK = DemoPlan(
    title="Empathy training for the northern field teams",
    dimension="empathy",
    region="north",
    planted_effect=0.0,
    cost=21000.0,
    expected_effect=0.4,
    description="A one-day course on listening and explaining for every field technician.",
    tasks=(
        ("Book the trainer", -21, "done"),
        ("Train every field team", 30, "done"),
    ),
)
PLANS = (WORKED, DID_NOT_WORK)


def start_wave(waves: tuple[str, ...]) -> str:
    """The first wave the plans act in: the third-last one."""
    return waves[-WAVES_FROM_START]


def starts_on(waves: tuple[str, ...]) -> dt.date:
    """The plans' start: the first day of :func:`start_wave`.

    >>> starts_on(("2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"))
    datetime.date(2026, 4, 1)
    """
    return pd.Period(start_wave(waves), freq="Q").start_time.date()


def plant_action_effects(
    instrument: Instrument,
    customers: pd.DataFrame,
    waves: dict[str, pd.DataFrame],
    *,
    seed: int,
) -> None:
    """Raise the targeted region's perceived answers from the start (in place)."""
    rng = np.random.default_rng([seed, 43])
    labels = tuple(waves)
    region = customers.set_index("customer_id")[UNIT_ATTRIBUTE]
    for plan in PLANS:
        if plan.planted_effect <= 0:
            continue
        items = [f"{i.id}_perceived" for i in instrument.items_of_format("tolerance_zone")
                 if i.dimension == plan.dimension]  # fmt: skip
        for wave in labels[labels.index(start_wave(labels)) :]:
            frame = waves[wave]
            targeted = (frame["customer_id"].map(region) == plan.region).to_numpy()
            for column in items:
                rises = targeted & (rng.random(len(frame)) < plan.planted_effect)
                values = frame[column].to_numpy(dtype="float64", copy=True)
                values[rises] = np.minimum(values[rises] + 1, SCALE_MAX)
                frame[column] = values


def action_plan_truths(waves: tuple[str, ...]) -> dict[str, Any]:
    """The truths file's ``action_plans``: each plan with its planted effect."""
    return {
        "action_plans": [
            {
                "title": plan.title,
                "gap": f"dimension:{plan.dimension}",
                "unit_attribute": UNIT_ATTRIBUTE,
                "targeted_units": [plan.region],
                "starts_on": starts_on(waves).isoformat(),
                "start_wave": start_wave(waves),
                "planted_effect": plan.planted_effect,
                "worked": plan.planted_effect > 0,
                "note": "perceived answers rise by one point with probability planted_effect "
                "(never above 9), from the start wave, in the targeted region only",
            }
            for plan in PLANS
        ]
    }
