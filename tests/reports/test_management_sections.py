"""The report's KPI scorecard and action-plan sections on the demo organisation: the
numbers of the services' results, user text escaped and kept in its own direction, and
the sections in Chinese and Persian as HTML and PDF."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from cxgap.engine.frames import load_survey
from cxgap.errors import ValidationError
from cxgap.reports import build_report
from cxgap.reports.document import ReportDocument, Section
from cxgap.reports.i18n import CATALOGUE, FSI, PDI, Texts
from cxgap.reports.management import action_sections, kpi_sections
from cxgap.services.accounts import create_user
from cxgap.services.actions import create_plan, measure_effect, measured_plans
from cxgap.services.kpi_definitions import SHARE_MEASURES
from cxgap.services.kpis import evaluate_kpis
from cxgap.store.database import get_engine, transaction

from .test_reports import _fonts, _plain

SURVEY = "heating-2026q3"
OWNER = "owner@example.org"
SCRIPT_TITLE = "<script>alert(1)</script> Call back within a day"
RTL_TITLE = "تماس سریع ‮ با مشتری (north)"
"""Persian, with a stray right-to-left override that must not leak into the sentence."""
TASK = "Hire two agents <b>now</b> & train them"


@pytest.fixture(scope="module")
def engine(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A copy of the demo database with four plans: one measurable against untargeted
    units (start inside the waves), one not started yet, one on every unit (an
    interrupted time series), one without units (cannot be measured)."""
    path = tmp_path_factory.mktemp("management") / "demo.db"
    shutil.copy(demo_db, path)
    engine = get_engine(str(path))
    with transaction(engine) as session:
        create_user(session, OWNER, "a long pass phrase 42!", role="manager")
    common = {"survey": SURVEY, "owner": OWNER, "actor": "test", "unit_attribute": "region"}
    create_plan(engine, title=SCRIPT_TITLE, gap="dimension:responsiveness",
                starts_on=dt.date(2026, 1, 1), targeted_units=["north"], expected_effect=0.4,
                cost=12500, tasks=[{"title": TASK, "due_on": "2025-12-15"},
                                   {"title": "Script the call", "status": "done"}],
                **common)  # fmt: skip
    create_plan(engine, title=RTL_TITLE, gap="dimension:reliability",
                starts_on=dt.date(2030, 1, 1), targeted_units=["south"], **common)  # fmt: skip
    regions = sorted(map(str, load_survey(engine, SURVEY).frame["region"].dropna().unique()))
    create_plan(engine, title="Every region", gap="dimension:tangibles",
                starts_on=dt.date(2026, 1, 1), targeted_units=regions, **common)  # fmt: skip
    create_plan(engine, title="No units named", gap="dimension:empathy", survey=SURVEY,
                starts_on=dt.date(2026, 1, 1), owner=OWNER, actor="test")  # fmt: skip
    return engine


def _section(document: ReportDocument, id: str) -> Section:
    return next(s for s in document.sections if s.id == id)


def _en_value(measure: str, value: float) -> str:
    """English writing of a KPI value, independent of the report's code."""
    if measure in SHARE_MEASURES:
        return f"{value * 100:,.1f}%"
    return f"{value:,.1f}" if measure == "nps" else f"{value:,.2f}"


def test_english_report_has_both_sections_with_the_services_numbers(engine: Engine) -> None:
    report = build_report(engine, SURVEY, lang="en", format="html", kpis=True, actions=True)
    document = report.document
    ids = [s.id for s in document.sections]
    # before the appendix, after the analysis
    assert ids[-1] == "methods"
    assert ids.index("kpis") < ids.index("actions") < ids.index("methods")

    series = evaluate_kpis(engine)
    table = _section(document, "kpis").tables[0]
    assert len(table["rows"]) == len(series)
    for one, row in zip(series, table["rows"], strict=True):
        assert one.series in row[0]
        assert row[6] == CATALOGUE[f"rm_state_{one.state}"]["en"]
        last = one.latest
        if last is None:
            assert row[1:5] == ["–", "–", "–", "–"]
            continue
        measure = one.kpi.measure
        assert row[1] == str(last["period"])
        assert row[2] == _en_value(measure, float(last["value"]))
        low, high = _en_value(measure, last["ci_low"]), _en_value(measure, last["ci_high"])
        assert row[3] == f"{low} – {high}"
        assert row[4] == f"{int(last['n']):,}"
        if one.target is not None:
            assert row[5] == f"{_en_value(measure, one.target)} ± " + _en_value(
                measure, one.tolerance
            )
    # every alert's reason, and every KPI without values with its reason
    alerts = [a for s in series for a in s.alerts]
    assert alerts, "the demo has KPIs in alert"
    assert len(_section(document, "kpis_alerts").bullets) == len(alerts)
    missing = [s for s in series if s.state == "unavailable"]
    assert not missing, "every built-in KPI has values on the demo"
    assert "kpis_unavailable" not in [s.id for s in document.sections]
    # one chart per measured series, drawing the series' own numbers
    measured = [s for s in series if s.state != "unavailable"]
    charts = _section(document, "kpis_charts").charts
    assert len(charts) == len(measured)
    for one, (_, spec) in zip(measured, charts, strict=True):
        values = [row["value"] for row in spec["data"]["values"]]
        assert values == pytest.approx(one.periods.value.tolist())
        assert [r["ci_high"] for r in spec["data"]["values"]] == pytest.approx(
            one.periods.ci_high.tolist()
        )
        marks = [layer["mark"]["type"] for layer in spec["layer"]]
        assert ("rule" in marks) == (one.target is not None)
        if one.chart is not None and one.chart.kind in ("p", "u"):  # limits on the value scale
            upper = [row["upper"] for row in spec["data"]["values"]]
            complete = len(one.chart.upper)  # a partial last period has no limits
            assert upper[:complete] == pytest.approx(list(one.chart.upper))
            assert all(u is None for u in upper[complete:]), upper
        signalled = [row["signal"] for row in spec["data"]["values"]]
        expected = [] if one.chart is None else list(one.chart.signals)
        assert [i for i, s in enumerate(signalled) if s] == expected

    # the plans: overview and one part each, numbers from measure_effect
    plans = {p.plan.title: p for p in measured_plans(engine)}
    overview = _section(document, "actions").tables[0]["rows"]
    assert len(overview) == len(plans) == 6  # the demo's two and this module's four
    worked = plans[SCRIPT_TITLE]
    result = measure_effect(engine, worked.plan.id).result
    assert result is not None
    part = _section(document, f"action_{worked.plan.id}")
    facts = dict(part.tables[0]["rows"])
    assert facts["Cost"] == "12,500"
    assert facts["Expected effect"] == "+0.40"
    assert TASK in part.tables[1]["rows"][0][0] and part.tables[1]["rows"][1][1] == "Done"
    row = next(r for r in overview if SCRIPT_TITLE in r[0])
    assert row[3] == "1 of 2"
    effect = dict(part.tables[2]["rows"])
    assert effect["Effect on the gap"] == f"{result.effect:+.2f}"
    assert effect["95% interval"] == f"{result.ci_low:+.2f} – {result.ci_high:+.2f}"
    assert effect["p value (no effect)"] == (
        "< 0.001" if result.p_value < 0.001 else f"{result.p_value:.3f}"
    )
    pre = result.pre_trend_p_value
    assert effect["p value of earlier trends (parallel before the start)"] == (
        f"{pre:.3f}" if not math.isnan(pre) else CATALOGUE["rm_pre_trend_none"]["en"]
    )
    assert effect["Smallest effect this design detects (80% power)"] == (
        f"{result.min_detectable_effect:.2f}"
    )
    assert effect["Method"] == CATALOGUE[f"rm_method_{result.method}"]["en"]
    (_, study), = part.charts  # fmt: skip
    estimates = [r["estimate"] for r in study["data"]["values"]]
    assert estimates == pytest.approx(result.event_study.estimate.tolist())
    start = [layer for layer in study["layer"] if layer["encoding"].get("x", {}).get("datum")]
    assert start[0]["encoding"]["x"]["datum"] == "2026Q1"
    assert result.warnings  # one targeted region of several
    for warning in result.warnings:
        assert CATALOGUE[f"kpi_warning_{warning}"]["en"] in part.paragraphs
    # a plan not started yet says so and gives the effect its design can detect
    later = plans[RTL_TITLE]
    assert later.effect is not None and later.effect.power is not None
    text = " ".join(_section(document, f"action_{later.plan.id}").paragraphs)
    assert CATALOGUE["rm_effect_not_yet"]["en"] in text
    assert f"{later.effect.power.min_detectable_effect:.2f}" in text
    # a plan on every unit: an interrupted time series, without an event study
    its = plans["Every region"]
    assert its.effect is not None and its.effect.result is not None
    assert its.effect.result.method == "its"
    part = _section(document, f"action_{its.plan.id}")
    assert not part.charts
    assert dict(part.tables[-1]["rows"])["Effect on the gap"] == (
        f"{its.effect.result.effect:+.2f}"
    )
    assert CATALOGUE["rm_its_no_event_study"]["en"].format(wave="2026Q1") in part.paragraphs
    # a plan without units says why its effect cannot be measured
    unmeasured = plans["No units named"]
    assert unmeasured.unavailable is not None and "unit attribute" in unmeasured.unavailable
    text = " ".join(_section(document, f"action_{unmeasured.plan.id}").paragraphs)
    assert unmeasured.unavailable in text

    html = report.content.decode("utf-8")
    assert html.count('class="chart-spec" data-chart="kpi_') == len(measured)
    assert '<section id="actions"' in html and '<section id="kpis"' in html


def test_user_text_is_escaped_and_isolated(engine: Engine) -> None:
    report = build_report(engine, SURVEY, lang="fa", format="html", actions=True)
    html = report.content.decode("utf-8")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Call back within a day" in html
    assert "<b>now</b>" not in html
    assert "Hire two agents &lt;b&gt;now&lt;/b&gt; &amp; train them" in html
    # typed text is isolated in its own direction: the override inside ends with it
    assert f"{FSI}{RTL_TITLE}{PDI}" in html
    assert "kpis" not in [s.id for s in report.document.sections]


@pytest.mark.parametrize("lang", ["zh", "fa"])
def test_sections_in_chinese_and_persian_html_and_pdf(engine: Engine, lang: str) -> None:
    from cxgap.reports.html import render_html
    from cxgap.reports.pdf import render_pdf

    t = Texts(lang)  # type: ignore[arg-type]
    # a few series keep the PDF quick: one without values, three in alert
    sections = kpi_sections(evaluate_kpis(engine)[:4], t, confidence=0.95)
    sections += action_sections(measured_plans(engine), t)
    document = ReportDocument(lang=lang, rtl=t.rtl, title="KPI", subtitle="", notes=[],
                              sections=sections)  # fmt: skip
    html = render_html(document)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "fa" else "ltr"}">' in html
    for key in ("rm_sec_kpis", "rm_sec_kpi_alerts", "rm_sec_actions", "rm_method_did"):
        assert CATALOGUE[key][lang] in html, key
    assert "{" not in " ".join(" ".join(s.paragraphs + s.intro) for s in sections)
    if lang == "fa":
        assert re.search("[۰-۹]", " ".join(" ".join(r) for r in sections[0].tables[0]["rows"]))
    reader = PdfReader(io.BytesIO(render_pdf(document)))
    text = _plain("\n".join(page.extract_text() for page in reader.pages)).replace(" ", "")
    for key in ("rm_sec_kpis", "rm_sec_actions", "rm_col_measured", "rm_effect_not_yet"):
        assert _plain(CATALOGUE[key][lang]).replace(" ", "") in text, key
    assert "Callbackwithinaday" in text  # the plan's own words survive in the PDF
    fonts = _fonts(reader)
    assert fonts and all(fonts.values()), fonts
    expected = {"zh": "Noto-Sans-CJK-SC", "fa": "Noto-Naskh-Arabic"}[lang]
    assert any(expected in name for name in fonts), fonts


def test_public_edition_refuses_action_plans(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="owners and assignees"):
        build_report(engine, SURVEY, public=True, actions=True)


def test_cli_report_with_kpis_and_actions(
    engine: Engine, tmp_path: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    out = tmp_path / "report.html"
    database = engine.url.database
    code, stdout, stderr = cli(
        "--db", database, "report", "--survey", SURVEY, "--kpis", "--actions", "--out", out
    )
    assert code == 0, stderr
    assert "HTML report (en" in stdout
    html = out.read_text(encoding="utf-8")
    assert '<section id="kpis"' in html and '<section id="actions"' in html
    code, _, stderr = cli("--db", database, "report", "--survey", SURVEY, "--out", out)
    assert code == 0, stderr
    assert '<section id="kpis"' not in out.read_text(encoding="utf-8")
    # the organisation's own KPI file: only its KPIs, one series per region
    kpi_file = tmp_path / "kpis.yaml"
    kpi_file.write_text(
        "kpis:\n  - {id: nps_by_region, measure: nps, direction: higher, target: 10,"
        " tolerance: 5, segment_by: region}\n",
        encoding="utf-8",
    )
    code, _, stderr = cli(
        "--db", database, "report", "--survey", SURVEY, "--kpi-file", kpi_file, "--out", out
    )
    assert code == 0, stderr
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r"nps_by_region \[region=(\w+)\]", html)
    assert rows and set(rows) >= {"north", "south"}
    assert "below_adequate" not in html.split('<section id="kpis"')[1].split("</section>")[0]


def test_kpis_without_values_are_listed_with_their_reason_in_the_language(
    tmp_path: Path,
) -> None:
    from cxgap.reports.kpi_texts import unavailable_reason
    from cxgap.store.database import upgrade

    engine = get_engine(str(tmp_path / "empty.db"))
    upgrade(engine)
    series = evaluate_kpis(engine)
    assert series and all(s.state == "unavailable" for s in series)
    t = Texts("zh")  # type: ignore[arg-type]
    sections = kpi_sections(series, t, confidence=0.95)
    table = next(s for s in sections if s.id == "kpis_unavailable").tables[0]
    reasons = [row[1] for row in table["rows"]]
    assert reasons == [unavailable_reason(s, "zh") for s in series]
    english = [unavailable_reason(s, "en") for s in series]
    assert all(r and r != e for r, e in zip(reasons, english, strict=True)), reasons
