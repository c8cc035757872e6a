"""The demo organisation's closed loop: a planted call-back effect and a hold-out.

Pure (numpy); its own random stream (``[seed, 31]``), so every other demo number stays
the same. The rule ``detractors`` opens a case for each detractor (0..6 on the
recommendation item) of the latest wave; a hash of customer, cause and rule holds
:data:`RECOVERY_TRUTHS` ``holdout_share`` of them out (uncontacted). The contacted ones
are resolved; every customer with a case answers a follow-up survey before the anchor
date, the contacted ones ``call_back_effect`` points higher on average than the held-out
ones.
"""

from __future__ import annotations

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

RULES: dict[str, Any] = {
    "calendar": {"timezone": "UTC", "hours": {"mon": "00:00-24:00"}},
    # two working Mondays to resolve: some cases meet it, the slower ones miss it
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
    case is opened, resolved (when contacted) and the follow-up answer arrives."""

    opened: float = 0.02
    resolved: float = 0.25
    answered_from: float = 0.5
    answered_to: float = 0.95


TIMES = RecoveryTimes()


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
