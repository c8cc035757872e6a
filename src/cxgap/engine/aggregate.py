"""Grouped aggregations of answers, written once as Ibis expressions, run where the data live.

Every function here takes the answers in the long layout (an Ibis table with the columns
``survey``, ``response_id``, ``item``, ``option`` and the numeric answer fields) and
returns the sufficient statistics of :mod:`cxgap.stats.moments`; the backend that holds
the table does the work: the stored SQLite file (Ibis's SQLite backend, which uses
Python's ``sqlite3``: the process keeps one SQLite library), PostgreSQL, DuckDB over
Parquet files, or Spark. Only one row per group comes back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

from cxgap.stats import Counts, Moments

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend


@contextmanager
def stored_backend(engine: Engine) -> Iterator[BaseBackend]:
    """An Ibis backend on the database of ``engine`` (SQLite through ``sqlite3``, or
    PostgreSQL), closed on exit."""
    import ibis

    url = engine.url
    if url.get_backend_name() == "sqlite":
        con = ibis.sqlite.connect(url.database or ":memory:")
    else:
        con = ibis.postgres.connect(
            user=url.username,
            password=url.password,
            host=url.host or "localhost",
            port=url.port or 5432,
            database=url.database,
        )
    try:
        yield con
    finally:
        con.disconnect()


def stored_answers(con: BaseBackend) -> ir.Table:
    """The stored answers in the long layout (``survey`` is the survey's key)."""
    answers, responses, surveys = con.table("answers"), con.table("responses"), con.table("surveys")
    joined = answers.join(responses, answers.response_id == responses.id).join(
        surveys, responses.survey_id == surveys.id
    )
    return joined.select(
        survey=surveys.key,
        response_id=answers.response_id,
        item=answers.item_id,
        option=answers.option,
        perceived=answers.perceived,
        expected=answers.expected,
        adequate=answers.adequate,
        desired=answers.desired,
        score=answers.score,
    )


def _sums(table: ir.Table, columns: Sequence[str], by: str) -> dict[str, Any]:
    """The aggregations :meth:`Moments.from_frame` reads, for the numeric ``columns``."""
    import ibis

    one, zero = ibis.literal(1), ibis.literal(0)
    present = [table[c].notnull() for c in columns]
    out: dict[str, Any] = {
        "n_rows": ibis.ifelse(ibis.or_(*present), one, zero).sum(),
    }
    for i, a in enumerate(columns):
        for j, _ in enumerate(columns):
            both = present[i] & present[j]
            given = ibis.ifelse(present[j], table[a], ibis.null("float64"))
            out[f"n_{i}_{j}"] = ibis.ifelse(both, one, zero).sum()
            out[f"sum_{i}_{j}"] = given.sum()
            out[f"sq_{i}_{j}"] = (given * given).sum()
            if i <= j:
                out[f"prod_{i}_{j}"] = (table[a] * table[columns[j]]).sum()
    return out


def score_moments(
    con: BaseBackend,
    long: ir.Table,
    surveys: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    *,
    field: str = "perceived",
) -> dict[str, Moments]:
    """Per survey, the :class:`Moments` of the respondents' scores, one score per group of
    items: the mean of the respondent's answers (``field``) to the group's items, missing
    when none is answered (as ``DataFrame.mean(axis=1)``). Surveys without such answers
    are left out."""
    import ibis

    names = list(groups)
    items = sorted({item for group in groups.values() for item in group})
    t = long.filter(long.survey.isin(list(surveys)) & long.item.isin(items) & long[field].notnull())
    value = t[field].cast("float64")
    per_respondent = t.group_by(["survey", "response_id"]).aggregate(
        **{
            f"s{j}": ibis.ifelse(t.item.isin(list(groups[name])), value, ibis.null("float64")).sum()
            for j, name in enumerate(names)
        },
        **{
            f"c{j}": ibis.ifelse(t.item.isin(list(groups[name])), 1, 0).sum()
            for j, name in enumerate(names)
        },
    )
    scores = per_respondent.select(
        "survey",
        **{
            f"x{j}": ibis.ifelse(
                per_respondent[f"c{j}"] > 0,
                per_respondent[f"s{j}"] / per_respondent[f"c{j}"].cast("float64"),
                ibis.null("float64"),
            )
            for j in range(len(names))
        },
    )
    columns = [f"x{j}" for j in range(len(names))]
    frame = con.execute(scores.group_by("survey").aggregate(**_sums(scores, columns, "survey")))
    if frame.empty:
        return {}
    moments = Moments.from_frame(frame, columns=names, by="survey")
    return {str(label): moments.group(label) for label in moments.groups}


def value_counts(
    con: BaseBackend, long: ir.Table, survey: str, item: str, *, field: str = "score"
) -> Counts:
    """How often each answer of ``item`` (``field``) occurs in ``survey``."""
    t = long.filter((long.survey == survey) & (long.item == item) & long[field].notnull())
    frame = con.execute(t.group_by(value=t[field]).aggregate(count=t.count()))
    if frame.empty:
        frame = pd.DataFrame({"value": [], "count": []})
    return Counts.from_frame(frame, name=item)
