"""The demo organisation's staff: who served each encounter and whom each message is about.

Pure (numpy); its own random stream (``[seed, 47]``), so every other demo number stays the
same. Twenty people in four teams (:data:`TEAMS`). Each encounter and message is given
to a person after its delight flag is known (1 delighted, 0 not, NaN not judged; see
:func:`cxgap.services.cases.recognition.delight_flags`): everybody is equally likely,
except that :data:`STAFF_TRUTHS` ``star`` is ``star_weight`` times as likely to be given a
delighted contact, so that person's delight rate is clearly the highest. The newcomer
``newcomer`` is given exactly three compliments and nothing else: a perfect raw rate on
three answers, which must not top the shrunk ranking.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxgap.errors import DataError

DOMAIN = "riverside-heat.example"
TEAMS: dict[str, tuple[str, ...]] = {
    "care-north": ("amira", "bo", "carla", "dev", "elif"),
    "care-south": ("farid", "grace", "hana", "ivan", "jia"),
    "care-east": ("kofi", "lena", "mina", "nils", "omid"),
    "care-west": ("parisa", "quinn", "rui", "sven", "noah"),
}
STAFF_TRUTHS: dict[str, Any] = {
    "star": f"mina@{DOMAIN}",
    "star_weight": 6.0,
    "newcomer": f"noah@{DOMAIN}",
    "newcomer_contacts": 3,
}
"""The planted difference (in the truths file under ``staff``)."""


def people() -> dict[str, str]:
    """Every staff member's identifier (an e-mail) and team."""
    return {f"{name}@{DOMAIN}": team for team, names in TEAMS.items() for name in names}


def assign_staff(
    seed: int, encounter_flags: np.ndarray, message_flags: np.ndarray
) -> tuple[list[str], list[str], dict[str, Any]]:
    """The staff member of each encounter and of each message (in the order given), and the
    truths. Needs at least three messages flagged 1 (compliments) for the newcomer."""
    rng = np.random.default_rng([seed, 47])
    staff = people()
    regular = [p for p in staff if p != STAFF_TRUTHS["newcomer"]]
    star = regular.index(STAFF_TRUTHS["star"])
    flags = np.concatenate([encounter_flags, message_flags]).astype(float)
    plain = np.full(len(regular), 1 / len(regular))
    boosted = np.ones(len(regular))
    boosted[star] = STAFF_TRUTHS["star_weight"]
    boosted /= boosted.sum()
    picks = np.where(
        flags == 1,
        rng.choice(len(regular), size=flags.size, p=boosted),
        rng.choice(len(regular), size=flags.size, p=plain),
    )
    chosen = np.array(regular, dtype=object)[picks]
    compliments = len(encounter_flags) + np.flatnonzero(message_flags == 1)
    count = int(STAFF_TRUTHS["newcomer_contacts"])
    if compliments.size < count:
        raise DataError(
            f"{compliments.size} compliments among the messages; the newcomer needs {count}"
        )
    chosen[rng.choice(compliments, size=count, replace=False)] = STAFF_TRUTHS["newcomer"]
    names = [str(c) for c in chosen]
    truths = {**STAFF_TRUTHS, "people": len(staff), "teams": sorted(TEAMS)}
    return names[: len(encounter_flags)], names[len(encounter_flags) :], truths
