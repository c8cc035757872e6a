"""Charts carry the numbers of the analysis they came from."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine

from cxgap.reports import build_report
from cxgap.reports.document import ReportDocument
from cxgap.services.analysis import SurveyAnalysis, analyze_survey

SURVEY = "heating-2026q4"


@pytest.fixture(scope="module")
def analysed(demo_engine: Engine) -> tuple[SurveyAnalysis, ReportDocument]:
    analysis = analyze_survey(demo_engine, SURVEY, by="age_band")
    report = build_report(demo_engine, SURVEY, by="age_band", lang="en", format="html")
    return analysis, report.document


def test_zone_chart_equals_tolerance_zone(analysed: tuple[SurveyAnalysis, ReportDocument]) -> None:
    analysis, document = analysed
    assert analysis.tolerance_zone is not None
    items = analysis.tolerance_zone.summary.query("level == 'item'")
    data = document.chart("zone")["data"]["values"]
    assert [r["item"] for r in data] == list(items["name"])
    for field, column in [
        ("adequate", "mean_adequate"),
        ("desired", "mean_desired"),
        ("perceived", "mean_perceived"),
    ]:
        np.testing.assert_allclose([r[field] for r in data], items[column].to_numpy())
    assert [r["position"] for r in data] == list(items["position"])


def test_gap_chart_carries_msa_and_interval(
    analysed: tuple[SurveyAnalysis, ReportDocument],
) -> None:
    analysis, document = analysed
    assert analysis.tolerance_zone is not None
    items = analysis.tolerance_zone.summary.query("level == 'item'")
    data = document.chart("gaps")["data"]["values"]
    np.testing.assert_allclose([r["gap"] for r in data], items["msa"].to_numpy())
    np.testing.assert_allclose([r["ci_low"] for r in data], items["msa_ci_low"].to_numpy())
    np.testing.assert_allclose([r["ci_high"] for r in data], items["msa_ci_high"].to_numpy())


def test_ipa_and_kano_charts_equal_results(
    analysed: tuple[SurveyAnalysis, ReportDocument],
) -> None:
    analysis, document = analysed
    assert analysis.ipa is not None and analysis.kano is not None
    ipa = {r["dimension"]: r for r in document.chart("ipa")["data"]["values"]}
    for dim, row in analysis.ipa.summary.iterrows():
        assert ipa[dim]["importance"] == pytest.approx(row["importance"])
        assert ipa[dim]["performance"] == pytest.approx(row["performance"])
        assert ipa[dim]["quadrant"] == row["quadrant"]
    rules = [layer for layer in document.chart("ipa")["layer"] if layer["mark"]["type"] == "rule"]
    assert rules[0]["encoding"]["x"]["datum"] == pytest.approx(analysis.ipa.importance_cut)
    assert rules[1]["encoding"]["y"]["datum"] == pytest.approx(analysis.ipa.performance_cut)
    kano = {r["feature"]: r for r in document.chart("kano")["data"]["values"]}
    for feature, row in analysis.kano.summary.iterrows():
        assert kano[feature]["better"] == pytest.approx(row["better"])
        assert kano[feature]["abs_worse"] == pytest.approx(abs(row["worse"]))
        assert kano[feature]["category"] == row["category"]


def test_heatmap_marks_exactly_the_significant_rows(
    analysed: tuple[SurveyAnalysis, ReportDocument],
) -> None:
    analysis, document = analysed
    comparison = analysis.segments["age_band"]
    data = document.chart("segments_age_band")["data"]["values"]
    assert len(data) == len(comparison.groups)
    merged = comparison.groups.merge(
        comparison.summary["welch_p_adj"], left_on="column", right_index=True
    )
    for record, (_, row) in zip(data, merged.iterrows(), strict=True):
        assert (record["column"], record["segment"]) == (row["column"], row["segment"])
        assert record["mean"] == pytest.approx(row["mean"])
        significant = row["welch_p_adj"] < 0.05
        assert record["significant"] is bool(significant)
        assert record["cell"].endswith("*") is bool(significant)
    # the demo plants an age difference in empathy expectations
    assert any(r["significant"] for r in data)
    assert not all(r["significant"] for r in data)


def test_trend_chart_equals_trend_table(analysed: tuple[SurveyAnalysis, ReportDocument]) -> None:
    analysis, document = analysed
    assert analysis.trend is not None
    data = document.chart("trend")["data"]["values"]
    assert len(data) == len(analysis.trend) == 8 * 5
    np.testing.assert_allclose(
        [r["mean_perceived"] for r in data], analysis.trend["mean_perceived"].to_numpy()
    )
