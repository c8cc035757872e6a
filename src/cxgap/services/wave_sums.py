"""Each wave's headline sums: formed in the database once, kept there, brought up to date
by summing only the responses added since.

A wave's overview (:func:`cxgap.services.analysis.headline_analyses`) is computed from the
tolerance-zone sums of :func:`cxgap.engine.aggregate.zone_sums` and the value counts of
its NPS and CSAT items. Every one of them is a sum over respondents, so the sums of a
wave are the sums of its responses up to some id plus those of the responses after it.
They are kept in the ``wave_sums`` table (:class:`cxgap.store.wave_sums.WaveSums`) with
what they cover (how many responses, the highest id, the sum of the ids):

- when the wave's responses up to the kept highest id are still exactly those (same
  count, same sum of ids) the kept sums are used, plus the sums of any newer responses
  (one query over those responses alone);
- otherwise (responses removed, or committed out of id order on a server database) the
  wave's sums are formed anew from all its answers;
- ``method`` names the formula's version and the items read: a change of either forms
  them anew too.

A first overview after a restart therefore reads no answer rows at all. Keeping the sums
is a write that gives way: when another writer holds the database for longer than
:data:`cxgap.store.database.BRIEF_WAIT_MS`, the sums are used but not kept this time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, literal, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cxgap.engine import aggregate
from cxgap.stats import ZONE_SUMS, Counts
from cxgap.store.database import brief_transaction, snapshot
from cxgap.store.models import Response
from cxgap.store.wave_sums import WaveSums
from cxgap.times import now

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

log = logging.getLogger(__name__)

FORMULA_VERSION = 1
"""Raised when what is summed changes: kept sums of another version are formed anew."""

ZONE_COLUMNS: tuple[str, ...] = (*ZONE_SUMS, "inverted_answers")
"""The columns of :func:`cxgap.engine.aggregate.zone_sums` that are kept."""


@dataclass(frozen=True)
class HeadlineSums:
    """A wave's headline sums over the responses they cover.

    Attributes:
        zone: :func:`cxgap.engine.aggregate.zone_sums` of the wave, indexed by dimension
            (:data:`cxgap.engine.aggregate.ALL_ITEMS` for every item together), columns
            :data:`ZONE_COLUMNS`.
        counts: per role (``nps``, ``csat``) the item's answers as ``(value, count)`` rows.
        responses: responses covered.
        last_response_id: the highest id covered (0 when none).
        id_sum: the sum of the covered responses' ids.
    """

    zone: pd.DataFrame
    counts: dict[str, pd.DataFrame] = field(default_factory=dict)
    responses: int = 0
    last_response_id: int = 0
    id_sum: int = 0

    def __add__(self, other: HeadlineSums) -> HeadlineSums:
        """The sums of both sets of responses (which must not overlap)."""
        zone = self.zone.add(other.zone, fill_value=0.0)
        counts = {
            role: pd.concat([self.counts.get(role), other.counts.get(role)])
            .groupby("value", as_index=False)
            .agg(count=("count", "sum"))
            for role in {*self.counts, *other.counts}
        }
        return HeadlineSums(
            zone=zone,
            counts=counts,
            responses=self.responses + other.responses,
            last_response_id=max(self.last_response_id, other.last_response_id),
            id_sum=self.id_sum + other.id_sum,
        )

    def counts_of(self, role: str, name: str) -> Counts | None:
        """The :class:`~cxgap.stats.Counts` of one role's item, or ``None`` when it has no
        answers."""
        rows = self.counts.get(role)
        if rows is None or rows.empty:
            return None
        return Counts.from_frame(rows, name=name)

    def to_json(self) -> dict[str, object]:
        return {
            "zone": {
                str(dim): [float(row[c]) for c in ZONE_COLUMNS] for dim, row in self.zone.iterrows()
            },
            "counts": {
                role: [
                    [float(v), int(c)] for v, c in zip(rows["value"], rows["count"], strict=True)
                ]
                for role, rows in self.counts.items()
            },
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, object], *, responses: int, last_response_id: int, id_sum: int
    ) -> HeadlineSums:
        zone_rows: dict[str, list[float]] = dict(data.get("zone", {}))  # type: ignore[call-overload]
        zone = pd.DataFrame(
            np.array(list(zone_rows.values()), dtype=np.float64).reshape(-1, len(ZONE_COLUMNS)),
            index=pd.Index(list(zone_rows), dtype=object, name="dimension"),
            columns=list(ZONE_COLUMNS),
        )
        counts = {}
        for role, rows in dict(data.get("counts", {})).items():  # type: ignore[call-overload]
            table = np.array(rows, dtype=np.float64).reshape(-1, 2)
            counts[str(role)] = pd.DataFrame(
                {"value": table[:, 0], "count": table[:, 1].astype(np.int64)}
            )
        return cls(zone, counts, responses, last_response_id, id_sum)


def method(dimensions: Mapping[str, str | None], roles: Mapping[str, str]) -> str:
    """The name of how a wave's sums are formed: the formula's version and a digest of
    the items read (item -> dimension, role -> item)."""
    read = json.dumps([sorted(dimensions.items()), sorted(roles.items())], default=str)
    return f"headline/{FORMULA_VERSION}/{hashlib.sha256(read.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class _Covered:
    """A survey's responses in the reading snapshot, and its kept sums when they still
    cover exactly its responses up to their highest id (``None`` otherwise)."""

    responses: int
    last_response_id: int
    id_sum: int
    kept: HeadlineSums | None


def headline_sums(
    engine: Engine,
    surveys: Mapping[str, int],
    dimensions: Mapping[str, str | None],
    roles: Mapping[str, str],
) -> dict[str, HeadlineSums]:
    """Per survey (key -> id, surveys fielded with one instrument), its
    :class:`HeadlineSums` as of the caller's snapshot: kept sums where they are current,
    kept sums plus those of newer responses, or sums formed anew; what changed is kept
    again (a write that gives way). ``dimensions`` are the zone-of-tolerance items
    (item -> dimension), ``roles`` the counted items (role -> item)."""
    name = method(dimensions, roles)
    with snapshot(engine) as session:
        kept = {
            row.survey_id: _from_kept(row)
            for row in session.scalars(
                select(WaveSums).where(
                    WaveSums.survey_id.in_(surveys.values()), WaveSums.method == name
                )
            )
        }
        covered = _coverage(session, surveys, kept)
    out = {key: c.kept for key, c in covered.items() if c.kept is not None}
    anew = [key for key, c in covered.items() if c.kept is None]
    newer = [k for k, old in out.items() if covered[k].last_response_id > old.last_response_id]
    if anew or newer:
        up_to = max(c.last_response_id for c in covered.values())
        with aggregate.stored_backend(engine) as con:
            long = aggregate.stored_answers(con)
            formed = _formed(con, long, anew, dimensions, roles, up_to=up_to) if anew else {}
            for key in newer:  # the kept sums plus those of the newer responses alone
                after = out[key].last_response_id
                added = _formed(con, long, [key], dimensions, roles, up_to=up_to, after=after)
                formed[key] = out[key] + added[key]
        changed = {
            key: dataclasses.replace(
                sums,
                responses=covered[key].responses,
                last_response_id=covered[key].last_response_id,
                id_sum=covered[key].id_sum,
            )
            for key, sums in formed.items()
        }
        out |= changed
        _keep(engine, {surveys[key]: value for key, value in changed.items()}, name)
    return out


def _coverage(
    session: Session, ids: Mapping[str, int], kept: Mapping[int, HeadlineSums]
) -> dict[str, _Covered]:
    """Per survey, its responses in the snapshot and whether the kept sums still cover
    exactly its responses up to their highest id (one query for all surveys)."""
    if not ids:
        return {}
    bound = (
        case(
            *[(Response.survey_id == sid, row.last_response_id) for sid, row in kept.items()],
            else_=-1,
        )
        if kept
        else literal(-1)
    )
    upto = Response.id <= bound
    found = {
        row[0]: tuple(int(v or 0) for v in row[1:])
        for row in session.execute(
            select(
                Response.survey_id,
                func.count(Response.id),
                func.max(Response.id),
                func.sum(Response.id),
                func.sum(case((upto, 1), else_=0)),
                func.sum(case((upto, Response.id), else_=0)),
            )
            .where(Response.survey_id.in_(list(ids.values())))
            .group_by(Response.survey_id)
        )
    }
    out: dict[str, _Covered] = {}
    for key, sid in ids.items():
        count, last, id_sum, count_upto, sum_upto = found.get(sid, (0, 0, 0, 0, 0))
        mine = kept.get(sid)
        intact = mine is not None and (count_upto, sum_upto) == (mine.responses, mine.id_sum)
        out[key] = _Covered(count, last, id_sum, mine if intact else None)
    return out


def _from_kept(row: WaveSums) -> HeadlineSums:
    return HeadlineSums.from_json(
        row.sums,
        responses=row.responses,
        last_response_id=row.last_response_id,
        id_sum=row.id_sum,
    )


def _formed(
    con: BaseBackend,
    long: ir.Table,
    surveys: Sequence[str],
    dimensions: Mapping[str, str | None],
    roles: Mapping[str, str],
    *,
    up_to: int,
    after: int | None = None,
) -> dict[str, HeadlineSums]:
    """The zone sums and role counts of each of ``surveys`` summed in the database
    (responses with ids in ``(after, up_to]``; empty for a survey without any); what
    they cover is left for the caller to set."""
    zone = aggregate.zone_sums(con, long, surveys, dimensions, up_to=up_to, after=after)
    counts = {
        role: aggregate.counts_by_survey(con, long, surveys, item, up_to=up_to, after=after)
        for role, item in roles.items()
    }
    out: dict[str, HeadlineSums] = {}
    for key in surveys:
        if key in zone.index.get_level_values(0):
            mine = pd.DataFrame(zone.xs(key, level="survey"))[list(ZONE_COLUMNS)]
        else:
            mine = pd.DataFrame(columns=list(ZONE_COLUMNS), dtype="float64")
        mine = mine.astype("float64")
        mine.index = mine.index.astype(str)
        mine.index.name = "dimension"
        rows = {
            role: pd.DataFrame(
                {"value": found.values, "count": found.counts[found.groups.index(key)]}
            )
            for role, found in counts.items()
            if key in found.groups
        }
        out[key] = HeadlineSums(mine, rows)
    return out


def _keep(engine: Engine, sums: Mapping[int, HeadlineSums], name: str) -> None:
    """Keep ``sums`` (survey id -> sums); given up, not raised, when the database is
    busy or another process kept them at the same moment."""
    try:
        with brief_transaction(engine) as session:
            rows = {
                row.survey_id: row
                for row in session.scalars(select(WaveSums).where(WaveSums.survey_id.in_(sums)))
            }
            for survey_id, value in sums.items():
                row = rows.get(survey_id) or WaveSums(survey_id=survey_id)
                row.method = name
                row.responses = value.responses
                row.last_response_id = value.last_response_id
                row.id_sum = value.id_sum
                row.sums = value.to_json()
                row.updated_at = now()
                if survey_id not in rows:
                    session.add(row)
    except (OperationalError, IntegrityError) as error:
        log.info("wave sums not kept this time (the database is busy): %s", error)
