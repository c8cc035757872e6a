"""The demo organisation's closed loop: a planted call-back effect and a hold-out.

Pure (numpy); its own random streams (``[seed, 31]``, ``[seed, 67]``), so every other
demo number stays the same. The rule ``detractors`` opens a case for each detractor (0..6
on the recommendation item) of the latest wave; a hash of customer, cause and rule holds
:data:`RECOVERY_TRUTHS` ``holdout_share`` of them out (uncontacted). The contacted ones
are resolved in the working time of the demo's business calendar (:func:`calendar`):
most within their resolution target, :data:`SLA_TRUTHS` ``late_share`` of them late
(:func:`resolution_draws`); every customer with a case answers a follow-up survey before
the anchor date, the contacted ones ``call_back_effect`` points higher on average than the
held-out ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

RULE = "detractors"
"""The name of the demo's case rule."""

RECOVERY_TRUTHS: dict[str, float] = {
    "holdout_share": 0.3,
    "follow_up_mean_held_out": 5.0,
    "call_back_effect": 2.5,
    "follow_up_sd": 1.5,
}
"""The planted effect: follow-up answers of held-out customers centre on
``follow_up_mean_held_out``; contacted customers' on that plus ``call_back_effect``."""

HOLIDAYS: tuple[tuple[int, int], ...] = ((1, 1), (5, 1), (12, 25), (12, 26))
"""The demo's public holidays (month, day), every year."""


def calendar(anchor: dt.date) -> dict[str, Any]:
    """The demo's business calendar (the file form of :mod:`cxgap.calendars`): weekdays
    08:00-18:00 in London, closed on :data:`HOLIDAYS` of the two years before ``anchor``'s,
    its own and the next (every case and due time lies in them)."""
    return {
        "name": "Riverside Heat customer care",
        "timezone": "Europe/London",
        "hours": {day: "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [
            dt.date(year, month, day).isoformat()
            for year in range(anchor.year - 2, anchor.year + 2)
            for month, day in HOLIDAYS
        ],
    }


SLA_TRUTHS: dict[str, float] = {
    "late_share": 0.18,
    "on_time_from": 0.15,
    "on_time_to": 0.95,
    "late_from": 1.15,
    "late_to": 2.5,
}
"""The planted resolution times, in working minutes as a fraction of the resolution
target: a worked case is late with chance ``late_share`` (then ``late_from`` to
``late_to`` times the target), else on time (``on_time_from`` to ``on_time_to``). A case
answered so close to the anchor date that its drawn time does not fit before
:attr:`RecoveryTimes.resolved_by` is resolved within the working time that is left (on
time); the truths file records how many cases are late in the end."""

RULES: dict[str, Any] = {
    # the calendar (:func:`calendar`) is added for the anchor date
    "sla": [{"priority": "low", "first_response": 480, "resolution": 2880}],
    "holdout": {"share": RECOVERY_TRUTHS["holdout_share"], "priorities": ["low"]},
    "rules": [
        {
            "name": RULE,
            "when": "nps_detractor",
            "item": "nps",
            "priority": "low",
        }
    ],
}
"""The case rules the demo sweeps with (the survey is added per wave)."""


@dataclass(frozen=True)
class RecoveryTimes:
    """Fractions of the time between a detractor's answer and the anchor date at which the
    case is opened, by which it is resolved at the latest (when contacted; its working
    time follows :data:`SLA_TRUTHS`) and at which the follow-up answer arrives."""

    opened: float = 0.02
    resolved_by: float = 0.45
    answered_from: float = 0.5
    answered_to: float = 0.95


TIMES = RecoveryTimes()


@dataclass(frozen=True)
class ResolutionDraws:
    """Per case (in the order given): whether it is planted late, its working time as a
    fraction of the resolution target, the fraction of the working time left that a case
    whose drawn time does not fit is resolved in, and when the call-back comes, as a
    fraction of the first-response target."""

    late: np.ndarray
    target_fraction: np.ndarray
    left_fraction: np.ndarray
    contact_fraction: np.ndarray


def resolution_draws(seed: int, n: int) -> ResolutionDraws:
    """The planted resolution times of ``n`` worked cases (:data:`SLA_TRUTHS`; stream
    ``[seed, 67]``)."""
    rng = np.random.default_rng([seed, 67])
    late = rng.random(n) < SLA_TRUTHS["late_share"]
    on_time = rng.uniform(SLA_TRUTHS["on_time_from"], SLA_TRUTHS["on_time_to"], n)
    slow = rng.uniform(SLA_TRUTHS["late_from"], SLA_TRUTHS["late_to"], n)
    return ResolutionDraws(
        late=late,
        target_fraction=np.where(late, slow, on_time),
        left_fraction=rng.uniform(SLA_TRUTHS["on_time_from"], SLA_TRUTHS["on_time_to"], n),
        contact_fraction=rng.uniform(0.1, 0.9, n),
    )


def follow_up(seed: int, contacted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, moments)`` of the follow-up answers of cases in the order given:
    0..10 scores (planted effect above) and each answer's moment as a fraction of the time
    from the opening answer to the anchor date."""
    rng = np.random.default_rng([seed, 31])
    contacted = np.asarray(contacted, dtype=bool)
    centre = RECOVERY_TRUTHS["follow_up_mean_held_out"] + RECOVERY_TRUTHS[
        "call_back_effect"
    ] * contacted.astype(float)
    noise = rng.normal(0.0, RECOVERY_TRUTHS["follow_up_sd"], len(contacted))
    scores = np.clip(np.round(centre + noise), 0, 10)
    moments = rng.uniform(TIMES.answered_from, TIMES.answered_to, len(contacted))
    return scores, moments


OWNERS: dict[str, tuple[str, ...]] = {
    "care-north": ("amira", "bo"),
    "care-south": ("farid", "grace"),
    "care-east": ("kofi", "lena"),
    "care-west": ("parisa", "quinn"),
}
"""The staff people (:data:`cxgap.demo.staff.TEAMS`) with an agent account (active, without
a password) who work the demo's cases: the rules' teams, assigned by team round robin."""

ASSIGN: list[dict[str, Any]] = [
    {"team": "care-north", "region": ["north"]},
    {"team": "care-south", "region": ["south"]},
    {"team": "care-east", "region": ["centre"], "channel": ["app", "web"]},
    {"team": "care-west"},
]
"""Which team works a customer's case: by region, the centre split by channel."""

OWNER_TRUTHS: dict[str, str] = {"better": "amira", "worse": "bo"}
"""The planted difference in recovery success between two owners of one team: of their
contacted cases' follow-up answers (the pool's scores unchanged, so every overall and team
figure stays the same), ``better`` is given the highest."""


def owner_scores(seed: int, scores: np.ndarray, owners: list[str | None]) -> np.ndarray:
    """``scores`` (of :func:`follow_up`) with the answers of the two owners of
    :data:`OWNER_TRUTHS` redealt between them: the better one's cases get the pool's
    highest scores (ties and order at random, stream ``[seed, 59]``), the worse one's the
    rest. Owners are given by their local part (``amira``)."""
    rng = np.random.default_rng([seed, 59])
    out = np.asarray(scores, dtype=float).copy()
    better = [i for i, o in enumerate(owners) if o == OWNER_TRUTHS["better"]]
    worse = [i for i, o in enumerate(owners) if o == OWNER_TRUTHS["worse"]]
    pool = out[better + worse]
    ranked = pool[np.lexsort((rng.random(pool.size), -pool))]
    out[rng.permutation(better).astype(int)] = ranked[: len(better)]
    out[rng.permutation(worse).astype(int)] = ranked[len(better) :]
    return out
