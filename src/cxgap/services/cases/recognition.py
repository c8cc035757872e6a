"""The recognition board: people and teams ranked by the recoveries they achieved and by
the customers they delighted.

**Recovery.** A resolved case (not held out) with an owner is one trial for its owner and
team; it is a success when the customer's first answer to the recommendation item after
the resolution is 7 or more (see :mod:`cxgap.services.cases.recovery`). Rates are ranked after
empirical-Bayes shrinkage (:func:`cxgap.stats.shrinkage.shrunk_rates`), so that three good
answers do not beat three hundred. With ``quarter`` (``2026Q4``) only cases resolved in
that quarter count: the quarterly service award.

**Delight.** Each encounter and each feedback message that names a staff member is one
contact for that person (and for the record's team, when it names one) once it can be
judged: an encounter when its customer's first answer to the recommendation item after it
comes within :data:`DELIGHT_DAYS` days, a message always. It is a success (a delighted
customer) when that answer is :data:`DELIGHT_FROM` or more, or when the message is a
compliment (:func:`cxgap.text.compliments.is_compliment`). With ``quarter``, encounters
and messages of that quarter count. Rates are shrunk and ranked as for recovery.

Who sees what is decided once, by :func:`visible_rows`: agents (and any role not in
:data:`SEES_EVERYONE`) see their own rows only and no teams.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from cxgap.errors import ValidationError
from cxgap.services.accounts import User
from cxgap.services.cases.recovery import RECOVERED_FROM, _frames
from cxgap.stats.shrinkage import shrunk_rates
from cxgap.store.cases import Case
from cxgap.store.database import transaction
from cxgap.store.models import Encounter, FeedbackMessage
from cxgap.text.compliments import is_compliment

QUARTER = re.compile(r"^([0-9]{4})Q([1-4])$")
SEES_EVERYONE = ("admin", "analyst", "manager")
DELIGHT_FROM = 9
"""An answer of 9 or more to the 0-10 recommendation item after an encounter delights."""
DELIGHT_DAYS = 14
"""An answer counts for an encounter when it is the customer's first within this many days."""


@dataclass(frozen=True)
class BoardRow:
    name: str
    recovered: int
    resolved: int
    raw: float
    shrunk: float
    rank: int


@dataclass(frozen=True)
class DelightRow:
    name: str
    delighted: int
    contacts: int
    raw: float
    shrunk: float
    rank: int


R = TypeVar("R", BoardRow, DelightRow)


@dataclass(frozen=True)
class RecognitionBoard:
    quarter: str | None
    people: list[BoardRow]
    teams: list[BoardRow]
    delight_people: list[DelightRow] = field(default_factory=list)
    delight_teams: list[DelightRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``cxgap cases board --json`` (``docs/cases.md``)."""
        return {
            "quarter": self.quarter,
            "people": [r.__dict__ for r in self.people],
            "teams": [r.__dict__ for r in self.teams],
            "delight": {
                "score_from": DELIGHT_FROM,
                "days": DELIGHT_DAYS,
                "people": [r.__dict__ for r in self.delight_people],
                "teams": [r.__dict__ for r in self.delight_teams],
            },
        }

    def top(self, count: int) -> RecognitionBoard:
        """The board cut to each ranking's first ``count`` rows (the service award)."""
        return RecognitionBoard(
            self.quarter,
            self.people[:count],
            self.teams[:count],
            self.delight_people[:count],
            self.delight_teams[:count],
        )


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


def _rows(successes: dict[str, int], trials: dict[str, int], row: type[R]) -> list[R]:
    names = sorted(trials)
    if not names:
        return []
    s = pd.Series({n: successes.get(n, 0) for n in names})
    n = pd.Series({n: trials[n] for n in names})
    if len(names) == 1:
        rate = float(s.iloc[0] / n.iloc[0])
        return [row(names[0], int(s.iloc[0]), int(n.iloc[0]), rate, rate, 1)]
    table = shrunk_rates(s.to_numpy(), n.to_numpy(), list(names)).summary
    return [
        row(
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
    worked = worked.assign(resolved=pd.to_datetime(worked["resolved"], utc=True))
    if bounds:
        start, end = pd.Timestamp(bounds[0]), pd.Timestamp(bounds[1])
        worked = worked[(worked["resolved"] >= start) & (worked["resolved"] < end)]
    owner_ids = [owner_of.get(i) for i in worked["id"]]
    worked = worked.assign(
        owner=pd.Series(
            [None if o is None else owners.get(o) for o in owner_ids],
            index=worked.index,
            dtype=object,
        )
    )
    worked = worked[worked["owner"].notna()]
    first = first_answers(worked["customer"], worked["resolved"], answers)
    won = pd.Series((first["score"] >= RECOVERED_FROM).astype(int).to_numpy(), index=first["row"])
    for row, case in enumerate(worked.to_dict("records")):
        if row not in won.index:
            continue
        for s, n, key in ((people_s, people_n, case["owner"]), (team_s, team_n, str(case["team"]))):
            n[key] = n.get(key, 0) + 1
            s[key] = s.get(key, 0) + int(won[row])
    people, teams = visible_rows(
        viewer, _rows(people_s, people_n, BoardRow), _rows(team_s, team_n, BoardRow)
    )
    delight = _delight(engine, answers, bounds)
    delight_people, delight_teams = visible_rows(
        viewer,
        _rows(delight["people_s"], delight["people_n"], DelightRow),
        _rows(delight["team_s"], delight["team_n"], DelightRow),
    )
    return RecognitionBoard(quarter, people, teams, delight_people, delight_teams)


def visible_rows(viewer: User | str, people: list[R], teams: list[R]) -> tuple[list[R], list[R]]:
    """The rows ``viewer`` may see: everything for the roles in :data:`SEES_EVERYONE`
    (and the command line without a user), else the viewer's own row and no teams."""
    if sees_everyone(viewer):
        return people, teams
    assert isinstance(viewer, User)
    return [r for r in people if r.name == viewer.email], []


def sees_everyone(viewer: User | str) -> bool:
    """Whether ``viewer`` sees every row (else only their own, and no teams)."""
    return not isinstance(viewer, User) or viewer.role in SEES_EVERYONE


def delight_flags(
    encounters: pd.DataFrame, messages: pd.DataFrame, answers: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Per encounter 1 (delighted), 0 (judged, not delighted) or NaN (not judged: no answer
    of its customer within :data:`DELIGHT_DAYS` days after it); per message 1 (a
    compliment) or 0. In the order given.

    ``encounters`` has ``customer`` and ``at``; ``messages`` ``text`` and ``language``;
    ``answers`` ``customer``, ``at`` and ``score`` (the recommendation item)."""
    flags = np.full(len(encounters), np.nan)
    first = first_answers(encounters["customer"], encounters["at"], answers)
    judged = first[first["answered"] - first["at"] <= pd.Timedelta(days=DELIGHT_DAYS)]
    flags[judged["row"].to_numpy()] = (judged["score"] >= DELIGHT_FROM).astype(float)
    praised = np.array(
        [
            float(is_compliment(t, lang))
            for t, lang in zip(messages["text"], messages["language"], strict=True)
        ]
    )
    return flags, praised


def first_answers(customers: pd.Series, moments: pd.Series, answers: pd.DataFrame) -> pd.DataFrame:
    """For each (customer, moment) the customer's first answer strictly after the moment:
    columns ``row`` (the position given), ``at``, ``answered``, ``score``; rows without a
    later answer are left out. ``answers`` has ``customer``, ``at`` and ``score``."""
    columns = ["row", "at", "answered", "score"]
    if not len(customers) or not len(answers):
        stamp = pd.Series(dtype="datetime64[ns, UTC]")
        return pd.DataFrame(
            {"row": pd.Series(dtype="int64"), "at": stamp, "answered": stamp, "score": 0.0}
        )[columns]
    left = pd.DataFrame(
        {
            "row": np.arange(len(customers)),
            "customer": np.asarray(customers, dtype="int64"),
            "at": pd.to_datetime(moments, utc=True).astype("datetime64[ns, UTC]").array,
        }
    ).sort_values("at")
    right = pd.DataFrame(
        {
            "customer": answers["customer"].astype("int64").to_numpy(),
            "answered": pd.to_datetime(answers["at"], utc=True).astype("datetime64[ns, UTC]"),
            "score": answers["score"].astype(float).to_numpy(),
        }
    ).sort_values("answered")
    joined = pd.merge_asof(
        left,
        right,
        left_on="at",
        right_on="answered",
        by="customer",
        direction="forward",
        allow_exact_matches=False,
    )
    return joined[joined["answered"].notna()][columns]


def delight_contacts(
    encounters: pd.DataFrame, messages: pd.DataFrame, answers: pd.DataFrame
) -> pd.DataFrame:
    """One row per judged contact (:func:`delight_flags`) with the record's ``staff`` and
    ``team``: columns ``staff``, ``team``, ``delighted`` (0/1)."""
    columns = ["staff", "team", "delighted"]
    encounter_flags, message_flags = delight_flags(encounters, messages, answers)
    parts = [
        frame.assign(delighted=flags)[columns].dropna(subset=["delighted"])
        for frame, flags in ((encounters, encounter_flags), (messages, message_flags))
        if len(frame)
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    contacts = pd.concat(parts, ignore_index=True)
    return contacts.assign(delighted=contacts["delighted"].astype(int))


def _delight(
    engine: Engine, answers: pd.DataFrame, bounds: tuple[dt.datetime, dt.datetime] | None
) -> dict[str, dict[str, int]]:
    with transaction(engine) as session:
        encounters = pd.DataFrame(
            session.execute(
                select(
                    Encounter.customer_id, Encounter.occurred_at, Encounter.staff, Encounter.team
                ).where(Encounter.staff.is_not(None))
            ).all(),
            columns=["customer", "at", "staff", "team"],
        )
        messages = pd.DataFrame(
            session.execute(
                select(
                    FeedbackMessage.text,
                    FeedbackMessage.language,
                    FeedbackMessage.received_at,
                    FeedbackMessage.staff,
                    FeedbackMessage.team,
                ).where(FeedbackMessage.staff.is_not(None))
            ).all(),
            columns=["text", "language", "at", "staff", "team"],
        )
    for frame in (encounters, messages):
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
    if bounds:
        start, end = pd.Timestamp(bounds[0]), pd.Timestamp(bounds[1])
        encounters = encounters[(encounters["at"] >= start) & (encounters["at"] < end)]
        messages = messages[(messages["at"] >= start) & (messages["at"] < end)]
    contacts = delight_contacts(encounters, messages, answers)
    teamed = contacts[contacts["team"].notna()]
    return {
        "people_s": _counts(contacts.groupby("staff")["delighted"].sum()),
        "people_n": _counts(contacts.groupby("staff")["delighted"].size()),
        "team_s": _counts(teamed.groupby("team")["delighted"].sum()),
        "team_n": _counts(teamed.groupby("team")["delighted"].size()),
    }


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.items()}


def service_award(
    engine: Engine, *, viewer: User | str, quarter: str, item: str = "nps", top: int = 3
) -> RecognitionBoard:
    """The quarter's top ``top`` people and teams for recovery and delight, as ``viewer``
    may see them (the service award report, ``cxgap cases award``)."""
    if top < 1:
        raise ValidationError(f"top {top}: give 1 or more people and teams to name")
    return recognition_board(engine, viewer=viewer, item=item, quarter=quarter).top(top)
