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
        functional=answers.functional,
        dysfunctional=answers.dysfunctional,
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
    up_to: int | None = None,
) -> dict[str, Moments]:
    """Per survey, the :class:`Moments` of the respondents' scores, one score per group of
    items: the mean of the respondent's answers (``field``) to the group's items, missing
    when none is answered (as ``DataFrame.mean(axis=1)``). Surveys without such answers
    are left out, and so are responses with ids above ``up_to`` (when given)."""
    import ibis

    names = list(groups)
    items = sorted({item for group in groups.values() for item in group})
    t = _of_surveys(long, surveys, up_to)
    t = t.filter(t.item.isin(items) & t[field].notnull())
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


def _of_surveys(
    long: ir.Table, surveys: Sequence[str], up_to: int | None, after: int | None = None
) -> ir.Table:
    """The answers of ``surveys``, of responses with ids up to ``up_to`` when given (a
    snapshot's bound: see :mod:`cxgap.engine.answers`) and above ``after`` when given
    (the responses added since sums were kept)."""
    t = long.filter(long.survey.isin(list(surveys)))
    if up_to is not None:
        t = t.filter(t.response_id <= up_to)
    return t if after is None else t.filter(t.response_id > after)


def value_counts(
    con: BaseBackend,
    long: ir.Table,
    survey: str,
    item: str,
    *,
    field: str = "score",
    up_to: int | None = None,
) -> Counts:
    """How often each answer of ``item`` (``field``) occurs in ``survey`` (responses up to
    ``up_to``)."""
    counts = counts_by_survey(con, long, [survey], item, field=field, up_to=up_to)
    return counts.group(survey) if survey in counts.groups else counts


def counts_by_survey(
    con: BaseBackend,
    long: ir.Table,
    surveys: Sequence[str],
    item: str,
    *,
    field: str = "score",
    up_to: int | None = None,
    after: int | None = None,
) -> Counts:
    """:func:`value_counts` of several surveys in one query, grouped by survey (surveys
    without such answers are not among the groups); responses with ids up to ``after``
    (when given) are left out."""
    t = _of_surveys(long, surveys, up_to, after)
    t = t.filter((t.item == item) & t[field].notnull())
    frame = con.execute(t.group_by(["survey", t[field].name("value")]).aggregate(count=t.count()))
    if frame.empty:
        return Counts.from_frame(pd.DataFrame({"value": [], "count": []}), name=item)
    return Counts.from_frame(frame, by="survey", name=item)


def kano_pairs(
    con: BaseBackend,
    long: ir.Table,
    survey: str,
    items: Sequence[str],
    *,
    up_to: int | None = None,
) -> pd.DataFrame:
    """How often each (functional, dysfunctional) answer pair of the Kano ``items``
    occurs in ``survey``: columns ``feature`` (the item), ``functional``,
    ``dysfunctional`` and ``count``, as :func:`cxgap.stats.kano_from_pairs` reads them.
    Pairs with a missing answer are left out (as :func:`cxgap.stats.kano` does)."""
    t = _of_surveys(long, [survey], up_to)
    t = t.filter(t.item.isin(list(items)) & t.functional.notnull() & t.dysfunctional.notnull())
    grouped = t.group_by([t.item.name("feature"), "functional", "dysfunctional"])
    return con.execute(grouped.aggregate(count=t.count()))


ALL_ITEMS = ""
"""The group of :func:`zone_sums` that takes every item together (the overall gap)."""

_respondent_sums: dict[str, Any] = {
    "c": lambda r: r.c.sum(),
    "sa": lambda r: r.sa.sum(),
    "sd": lambda r: r.sd.sum(),
    "sp": lambda r: r.sp.sum(),
    "inv": lambda r: r.inv.max(),
    "n_inv": lambda r: r.n_inv.sum(),
}
"""Per respondent (and dimension): usable answers ``c``, the sums of their levels, whether
some answer is inverted (``inv``) and how many (``n_inv``); the same sums add up again
over a respondent's dimensions."""


def zone_sums(
    con: BaseBackend,
    long: ir.Table,
    surveys: Sequence[str],
    dimensions: Mapping[str, str | None],
    *,
    up_to: int | None = None,
    after: int | None = None,
) -> pd.DataFrame:
    """The sums :func:`cxgap.stats.zone_from_sums` reads for the zone-of-tolerance items
    ``dimensions`` (item -> its dimension, or ``None``), per survey: one row per dimension
    and one more, :data:`ALL_ITEMS`, that takes every item as one dimension (the overall
    gap), indexed by ``(survey, dimension)``. Column ``inverted_answers`` counts the
    answers with adequate above desired (over all items, in the :data:`ALL_ITEMS` row).
    Responses with ids above ``up_to``, or up to ``after`` (when given), are left out.
    All columns are sums over respondents: the sums of two sets of responses add up.

    As :func:`cxgap.stats.tolerance_zone`: an answer counts when its three levels are
    present and adequate <= desired; a respondent's dimension levels are the means of
    its counted items, and a respondent without one is left out of that dimension.
    """
    import ibis

    t = _of_surveys(long, surveys, up_to, after)
    t = t.filter(t.item.isin(list(dimensions)))
    a, d, p = (t[f].cast("float64") for f in ("adequate", "desired", "perceived"))
    usable = a.notnull() & d.notnull() & p.notnull() & (a <= d)
    keep = {
        name: ibis.ifelse(usable, v, ibis.null("float64"))
        for name, v in zip(("sa", "sd", "sp"), (a, d, p), strict=True)
    }
    # "" for items without a dimension: they count only for ALL_ITEMS
    dimension = t.item.substitute({i: dim or ALL_ITEMS for i, dim in dimensions.items()})
    per_dim = (
        t.mutate(
            dimension=dimension.cast("string"),
            c=ibis.ifelse(usable, 1, 0),
            inv=ibis.ifelse(a > d, 1, 0).fill_null(0),
            **keep,
        )
        .mutate(n_inv=lambda r: r.inv)
        .group_by(["survey", "response_id", "dimension"])
        .aggregate(**_respondent_sums)
    )
    overall = per_dim.group_by(["survey", "response_id"]).aggregate(**_respondent_sums)
    levels = ibis.union(
        per_dim.filter(per_dim.dimension != ALL_ITEMS).drop("response_id"),
        overall.mutate(dimension=ibis.literal(ALL_ITEMS, "string")).select(
            per_dim.drop("response_id").columns
        ),
    )
    counted = levels.c > 0
    count = levels.c.cast("float64")
    ma, md, mp = (
        ibis.ifelse(counted, levels[s] / count, ibis.null("float64")) for s in ("sa", "sd", "sp")
    )
    msa, mss = mp - ma, mp - md
    sums = levels.group_by(["survey", "dimension"]).aggregate(
        n=ibis.ifelse(counted, 1, 0).sum(),
        sum_a=ma.sum(),
        sum_d=md.sum(),
        sum_p=mp.sum(),
        sq_msa=(msa * msa).sum(),
        sq_mss=(mss * mss).sum(),
        below=ibis.ifelse(msa < 0, 1, 0).sum(),
        above=ibis.ifelse(mss > 0, 1, 0).sum(),
        n_inverted=levels.inv.sum(),
        inverted_answers=ibis.ifelse(levels.dimension == ALL_ITEMS, levels.n_inv, 0).sum(),
    )
    return con.execute(sums).set_index(["survey", "dimension"]).sort_index()
