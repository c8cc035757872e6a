"""The recognition board: people and teams ranked by the recoveries they achieved.

A resolved case (not held out) with an owner is one trial for its owner and team; it is a
success when the customer's first answer to the recommendation item after the resolution
is 7 or more (see :mod:`cxgap.services.cases.recovery`). Rates are ranked after
empirical-Bayes shrinkage (:func:`cxgap.stats.shrinkage.shrunk_rates`), so that three good
answers do not beat three hundred. With ``quarter`` (``2026Q4``) only cases resolved in
that quarter count: the quarterly service award. Agents see their own row only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from cxgap.errors import ValidationError
from cxgap.services.accounts import User
from cxgap.services.cases.recovery import RECOVERED_FROM, _first_after, _frames
from cxgap.stats.shrinkage import shrunk_rates
from cxgap.store.cases import Case
from cxgap.store.database import transaction

QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")
SEES_EVERYONE = ("admin", "analyst", "manager")


@dataclass(frozen=True)
class BoardRow:
    name: str
    recovered: int
    resolved: int
    raw: float
    shrunk: float
    rank: int


@dataclass(frozen=True)
class RecognitionBoard:
    quarter: str | None
    people: list[BoardRow]
    teams: list[BoardRow]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``cxgap cases board --json`` (``docs/cases.md``)."""
        return {
            "quarter": self.quarter,
            "people": [r.__dict__ for r in self.people],
            "teams": [r.__dict__ for r in self.teams],
        }


def _quarter_bounds(quarter: str) -> tuple[dt.datetime, dt.datetime]:
    match = QUARTER.match(quarter)
    if match is None:
        raise ValidationError(f"quarter {quarter!r}: write it as YYYYQn, e.g. 2026Q4")
    year, q = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9998:
        raise ValidationError(f"quarter {quarter!r}: the year must be between 1900 and 9998")
    start = dt.datetime(year, 3 * q - 2, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=dt.UTC)
    return start, end


def _rows(successes: dict[str, int], trials: dict[str, int]) -> list[BoardRow]:
    names = sorted(trials)
    if not names:
        return []
    s = pd.Series({n: successes.get(n, 0) for n in names})
    n = pd.Series({n: trials[n] for n in names})
    if len(names) == 1:
        rate = float(s.iloc[0] / n.iloc[0])
        return [BoardRow(names[0], int(s.iloc[0]), int(n.iloc[0]), rate, rate, 1)]
    table = shrunk_rates(s.to_numpy(), n.to_numpy(), list(names)).summary
    return [
        BoardRow(
            str(r["unit"]),
            int(successes.get(r["unit"], 0)),
            int(r["n"]),
            float(r["raw"]),
            float(r["shrunk"]),
            int(r["rank"]),
        )
        for r in table.to_dict(orient="records")
    ]


def recognition_board(
    engine: Engine, *, viewer: User | str, item: str = "nps", quarter: str | None = None
) -> RecognitionBoard:
    """The board of the module's docstring, as ``viewer`` may see it."""
    bounds = _quarter_bounds(quarter) if quarter else None
    cases, answers = _frames(engine, item)
    with transaction(engine) as session:
        owners: dict[int, str] = {i: e for i, e in session.execute(select(User.id, User.email))}
        owner_of: dict[int, int | None] = {
            i: o for i, o in session.execute(select(Case.id, Case.owner_id))
        }
    people_s: dict[str, int] = {}
    people_n: dict[str, int] = {}
    team_s: dict[str, int] = {}
    team_n: dict[str, int] = {}
    worked = cases[cases["resolved"].notna() & ~cases["holdout"].astype(bool)]
    for case in worked.to_dict("records"):
        resolved: dt.datetime = case["resolved"]
        if bounds and not bounds[0] <= resolved < bounds[1]:
            continue
        owner_id = owner_of.get(case["id"])
        owner = None if owner_id is None else owners.get(owner_id)
        first = _first_after(answers, case["customer"], resolved)
        if owner is None or first is None:
            continue
        won = int(float(first["score"]) >= RECOVERED_FROM)
        for s, n, key in ((people_s, people_n, owner), (team_s, team_n, str(case["team"]))):
            n[key] = n.get(key, 0) + 1
            s[key] = s.get(key, 0) + won
    people, teams = _rows(people_s, people_n), _rows(team_s, team_n)
    if isinstance(viewer, User) and viewer.role not in SEES_EVERYONE:
        people = [r for r in people if r.name == viewer.email]
        teams = []
    return RecognitionBoard(quarter, people, teams)
