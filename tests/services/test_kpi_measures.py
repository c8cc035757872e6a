"""The KPIs computed from other modules' data (satisfaction index, case SLA, recovery rate,
standard compliance) and partial periods, on the demo organisation in a real SQLite file,
against counts read with plain SQL and pandas, statsmodels' Wilson interval and the
satisfaction index fitted on its own."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sqlalchemy import Engine
from statsmodels.stats.proportion import proportion_confint
from tests.databases import demo_file

from cxgap.locale import messages
from cxgap.services.kpi_definitions import builtin_kpis
from cxgap.services.kpi_measures import REASONS
from cxgap.services.kpis import KpiSeries, evaluate_kpis
from cxgap.services.satisfaction_index import fit_index
from cxgap.store.database import get_engine, upgrade

ANCHOR = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
"""The tests' demo anchor (tests/conftest.py): every demo record lies before it."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_file(tmp_path_factory.mktemp("kpi-measures"), seed=3, customers=300)


def _evaluate(path: Path, as_of: dt.datetime = ANCHOR, *only: str) -> dict[str, KpiSeries]:
    """The built-in KPIs (or those named) evaluated as of ``as_of``."""
    kpis = [k for k in builtin_kpis() if not only or k.id in only]
    engine = get_engine(str(path))
    try:
        return {s.series: s for s in evaluate_kpis(engine, kpis, as_of=as_of)}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def at_anchor(demo: Path) -> dict[str, KpiSeries]:
    return _evaluate(demo)


def _read(path: Path, query: str) -> pd.DataFrame:
    with sqlite3.connect(path) as connection:
        return pd.read_sql_query(query, connection)


def _quarter(times: pd.Series) -> pd.Series:
    return pd.to_datetime(times).dt.to_period("Q").astype(str)


def _check_shares(series: KpiSeries, expected: pd.DataFrame) -> None:
    """``expected``: period, events, trials; values and Wilson intervals must agree."""
    got = series.periods.set_index("period")
    assert list(got.index) == list(expected.period)
    for row in expected.itertuples():
        low, high = proportion_confint(row.events, row.trials, alpha=0.05, method="wilson")
        one = got.loc[row.period]
        assert (one.events, one.exposure, one.n) == (row.events, row.trials, row.trials)
        assert one.value == pytest.approx(row.events / row.trials)
        assert (one.ci_low, one.ci_high) == pytest.approx((low, high))
    assert series.kpi.chart_kind() == "p"


def test_the_four_kpis_have_rows_on_the_demo(at_anchor: dict[str, KpiSeries]) -> None:
    series = at_anchor
    for kpi in ("satisfaction_index", "case_sla", "recovery_rate", "standard_compliance"):
        assert series[kpi].state != "unavailable", series[kpi].unavailable
        assert len(series[kpi].periods) >= 1
        assert not series[kpi].periods.partial.any()  # the anchor is after every period


def test_case_sla_matches_a_direct_count(demo: Path, at_anchor: dict[str, KpiSeries]) -> None:
    cases = _read(demo, "SELECT resolved_at, resolution_due_at AS due FROM cases "
                        "WHERE NOT holdout AND resolution_due_at IS NOT NULL")  # fmt: skip
    assert cases.resolved_at.notna().all()  # the demo resolves every case it works
    met = pd.to_datetime(cases.resolved_at) <= pd.to_datetime(cases.due)
    assert 0 < met.sum() < len(cases)  # some meet their due time, some miss it
    expected = (
        pd.DataFrame({"period": _quarter(cases.resolved_at), "met": met})
        .groupby("period")
        .agg(events=("met", "sum"), trials=("met", "size"))
        .reset_index()
    )
    _check_shares(at_anchor["case_sla"], expected)


def test_open_cases_count_as_missed_once_past_due_and_not_before(
    demo: Path, tmp_path: Path
) -> None:
    path = tmp_path / "changed.db"
    shutil.copy(demo, path)
    with sqlite3.connect(path) as connection:
        worked = connection.execute(
            "SELECT id FROM cases WHERE NOT holdout AND resolved_at IS NOT NULL ORDER BY id"
        ).fetchall()
        late, early = worked[0], worked[1]
        connection.execute(
            "UPDATE cases SET state = 'new', resolved_at = NULL, "
            "resolution_due_at = '2026-09-20 00:00:00' WHERE id = ?",
            late,
        )
        connection.execute(
            "UPDATE cases SET state = 'new', resolved_at = NULL, "
            "resolution_due_at = '2027-03-01 00:00:00' WHERE id = ?",
            early,
        )
    before = _evaluate(demo, ANCHOR, "case_sla")["case_sla"].periods.set_index("period")
    after = _evaluate(path, ANCHOR, "case_sla")["case_sla"].periods.set_index("period")
    # the case past due counts as missed in 2026Q3, when it went past due
    assert (after.loc["2026Q3"].events, after.loc["2026Q3"].exposure) == (0, 1)
    # the case not yet due is not counted; its resolution no longer counts in 2026Q4
    q4_before, q4_after = before.loc["2026Q4"], after.loc["2026Q4"]
    assert q4_after.exposure == q4_before.exposure - 2
    assert after.loc["2026Q3"].partial == False  # noqa: E712 (a numpy bool)


def test_recovery_rate_matches_a_direct_count(demo: Path, at_anchor: dict[str, KpiSeries]) -> None:
    cases = _read(demo, "SELECT customer_id, resolved_at FROM cases "
                        "WHERE NOT holdout AND resolved_at IS NOT NULL")  # fmt: skip
    answers = _read(demo, "SELECT r.customer_id, r.submitted_at, a.score FROM responses r "
                          "JOIN answers a ON a.response_id = r.id "
                          "WHERE a.item_id = 'nps' AND a.score IS NOT NULL")  # fmt: skip
    answers["submitted_at"] = pd.to_datetime(answers.submitted_at)
    rows = []
    for case in cases.itertuples():
        resolved = pd.Timestamp(case.resolved_at)
        later = answers[(answers.customer_id == case.customer_id)
                        & (answers.submitted_at > resolved)]  # fmt: skip
        if len(later):
            first = later.sort_values("submitted_at").iloc[0]
            rows.append({"period": str(resolved.to_period("Q")), "ok": first.score >= 7})
    assert rows, "the demo's follow-up survey answers after the resolutions"
    expected = (
        pd.DataFrame(rows).groupby("period")
        .agg(events=("ok", "sum"), trials=("ok", "size")).reset_index()
    )  # fmt: skip
    _check_shares(at_anchor["recovery_rate"], expected)


def test_standard_compliance_matches_a_direct_count(
    demo: Path, at_anchor: dict[str, KpiSeries]
) -> None:
    measured = _read(demo, "SELECT period_start, cases, met FROM delivery_measurements "
                           "WHERE cases IS NOT NULL")  # fmt: skip
    expected = (
        measured.assign(period=_quarter(measured.period_start))
        .groupby("period")
        .agg(events=("met", "sum"), trials=("cases", "sum"))
        .reset_index()
    )
    assert len(expected) >= 4  # a whole year of monthly measurements
    series = at_anchor["standard_compliance"]
    _check_shares(series, expected)
    assert series.chart is not None and series.chart.kind == "p"


def test_satisfaction_index_per_wave_matches_the_fitted_index(
    demo: Path, at_anchor: dict[str, KpiSeries]
) -> None:
    series = at_anchor["satisfaction_index"]
    engine = get_engine(str(demo))
    waves = [f"heating-{p.lower()}" for p in series.periods.period]
    assert len(waves) == 8
    z = sps.norm.ppf(0.975)
    for key, row in zip(waves, series.periods.itertuples(), strict=True):
        fitted = fit_index(engine, key)
        assert row.value == pytest.approx(fitted.fit.index_scores_["SAT"], abs=1e-9)
        # each respondent's SAT score from the raw answers, the fitted weights and the scale
        block = fitted.indicators["SAT"]
        columns = [c for b in fitted.indicators.values() for c in b]
        answers = _read(demo, "SELECT a.response_id, a.item_id, a.score FROM answers a "
                              "JOIN responses r ON r.id = a.response_id JOIN surveys s ON "
                              f"s.id = r.survey_id WHERE s.key = '{key}'")  # fmt: skip
        wide = answers.pivot_table(index="response_id", columns="item_id", values="score")
        wide = wide[columns].dropna(how="all")
        wide = wide.fillna(wide.mean())
        weights = fitted.fit.outer_weights_[columns] / wide.std(ddof=0)
        share = weights[block] / weights[block].sum()
        scores = 100 * ((wide[block] * share).sum(axis=1) - 1) / 9
        assert scores.mean() == pytest.approx(row.value, abs=1e-9)
        se = scores.std(ddof=1) / np.sqrt(len(scores))
        assert (row.n, row.se) == (len(scores), pytest.approx(se))
        assert (row.ci_low, row.ci_high) == pytest.approx((row.value - z * se, row.value + z * se))
    assert series.chart is not None and series.chart.kind == "ewma"
    engine.dispose()


def test_a_period_not_yet_ended_is_partial_and_not_alerted(
    demo: Path, at_anchor: dict[str, KpiSeries]
) -> None:
    mid = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
    names = ("complaint_rate", "standard_compliance", "nps")
    during, after = _evaluate(demo, mid, *names), at_anchor
    for name in names:
        periods = during[name].periods
        assert list(periods.partial) == [False] * (len(periods) - 1) + [True], name
        assert periods.period.iloc[-1] == "2026Q4"
        assert all(a.period != "2026Q4" for a in during[name].alerts), name
        assert not after[name].periods.partial.any()
    # the demo's 2026Q4 complaint rate misses its target: alerted once the quarter is whole
    assert {a.kind for a in after["complaint_rate"].alerts if a.period == "2026Q4"} == {
        "target_missed"
    }
    # while 2026Q4 runs, the alerts are those of the latest whole quarter
    assert {a.period for a in during["complaint_rate"].alerts} == {"2026Q3"}
    # the chart leaves the running quarter out of its reference
    assert during["complaint_rate"].chart is not None
    assert len(during["complaint_rate"].chart.signals) <= len(during["complaint_rate"].periods)


def test_reasons_have_codes_and_english_words(tmp_path: Path) -> None:
    engine: Engine = get_engine(str(tmp_path / "empty.db"))
    upgrade(engine)
    series = {s.kpi.id: s for s in evaluate_kpis(engine)}
    for kpi, code, text in (
        ("case_sla", "no_rows", "the cases table has no rows"),
        ("standard_compliance", "no_rows", "the delivery_measurements table has no rows"),
        ("satisfaction_index", "no_data", "no data for this measure"),
    ):
        reason = series[kpi].unavailable
        assert reason is not None and (reason.code, reason.text) == (code, text)
        data = series[kpi].to_dict()
        assert (data["unavailable"], data["unavailable_code"]) == (text, code)
    english = messages("report")["en"]
    for code, words in REASONS.items():  # the JSON's English and the catalogue's agree
        assert english[f"kpi_unavailable_{code}"] == words
    engine.dispose()
