"""The report's management sections in words: the KPI scorecard
(:func:`cxgap.services.kpis.evaluate_kpis`) and the action plans with their measured
effects (:func:`cxgap.services.actions.measured_plans`). Everything shown comes from the
services' result objects; names people typed (plan titles, tasks, owners) are isolated in
their own direction (:meth:`Texts.isolated`) and escaped by the renderer."""

from __future__ import annotations

import math
from collections.abc import Sequence

from cxgap.reports.charts import ChartSpec
from cxgap.reports.document import Section, laid_out_table
from cxgap.reports.i18n import CATALOGUE, LRI, PDI, Texts
from cxgap.reports.kpi_charts import event_study_chart, kpi_series_chart
from cxgap.reports.kpi_texts import alert_reason, effect_unavailable_reason, unavailable_reason
from cxgap.services.actions import MeasuredPlan, PlanInfo
from cxgap.services.kpi_definitions import SHARE_MEASURES
from cxgap.services.kpis import KpiSeries
from cxgap.stats import ActionEffect

LIMIT_CHARTS = ("p", "u")
"""Control charts whose limits are on the KPI's own scale (shares and rates); EWMA and
CUSUM charts watch a standardised statistic, so their limits are not drawn on the value."""


def _is_share(series: KpiSeries) -> bool:
    return series.kpi.measure in SHARE_MEASURES


def _value(series: KpiSeries, value: float | None, t: Texts) -> str:
    """A KPI value: shares in per cent, the NPS with one decimal, the rest with two."""
    if _is_share(series):
        return t.percent(value, 1)
    return t.number(value, 1 if series.kpi.measure == "nps" else 2)


def _measure(measure: str, t: Texts) -> str:
    """A KPI measure in words (the measure's code when the catalogue has no words)."""
    key = f"rm_measure_{measure}"
    return t(key) if key in CATALOGUE else t.isolated(measure)


def _kpi_name(series: KpiSeries, t: Texts) -> str:
    return t(
        "rm_kpi_cell",
        kpi=t.isolated(series.series),
        measure=_measure(series.kpi.measure, t),
        direction=t(f"rm_better_{series.kpi.direction}"),
    )


def _target(series: KpiSeries, t: Texts) -> str:
    if series.target is None:
        return "–"
    return t(
        "rm_target_value",
        target=_value(series, series.target, t),
        tolerance=_value(series, series.tolerance, t),
    )


def _scorecard_row(series: KpiSeries, t: Texts) -> list[str]:
    last = series.latest
    state = t(f"rm_state_{series.state}")
    if last is None:
        return [_kpi_name(series, t), "–", "–", "–", "–", _target(series, t), state]
    return [
        _kpi_name(series, t),
        t.period(str(last["period"])),
        _value(series, float(last["value"]), t),
        f"{_value(series, float(last['ci_low']), t)} – {_value(series, float(last['ci_high']), t)}",
        t.count(int(last["n"])) if math.isfinite(float(last["n"])) else "–",
        _target(series, t),
        state,
    ]


def _series_chart(series: KpiSeries, t: Texts) -> ChartSpec:
    chart = series.chart
    limits = None
    # the chart covers the complete periods, which come first; a partial one has no limits
    gap = len(series.periods) - (0 if chart is None else len(chart.lower))
    if chart is not None and chart.kind in LIMIT_CHARTS and gap >= 0:
        pad = [math.nan] * gap
        limits = ([*chart.lower, *pad], [*chart.upper, *pad])
    return kpi_series_chart(
        series.periods,
        target=series.target,
        limits=limits,
        signals=() if chart is None else chart.signals,
        share=_is_share(series),
        title=series.series,
        x_title=t("rm_col_period"),
        y_title=t("value"),
        lang=t.lang,
    )


def kpi_sections(found: Sequence[KpiSeries], t: Texts, *, confidence: float) -> list[Section]:
    """The KPI scorecard: the table of every series, the alerts with their reasons, the
    KPIs without values with theirs, and a small chart per series with values."""
    scorecard = Section(
        "kpis", t("rm_sec_kpis"), intro=[t("rm_kpis_intro", level=t.percent(confidence))]
    )
    if not found:
        scorecard.paragraphs.append(t("rm_kpis_none"))
        return [scorecard]
    header = [
        t("rm_col_kpi"),
        t("rm_col_period"),
        t("value"),
        t("interval", level=t.percent(confidence)),
        t("rm_col_sample"),
        t("rm_col_target"),
        t("rm_col_state"),
    ]
    scorecard.tables.append(
        laid_out_table(
            header,
            [_scorecard_row(s, t) for s in found],
            ["text", "short", "num", "num", "num", "num", "short"],
        )
    )
    alerts = Section("kpis_alerts", t("rm_sec_kpi_alerts"), level=3)
    alerts.bullets = [alert_reason(a, t.lang) for s in found for a in s.alerts]
    if not alerts.bullets:
        alerts.paragraphs.append(t("rm_kpis_no_alerts"))
    sections = [scorecard, alerts]
    missing = [s for s in found if s.state == "unavailable"]
    if missing:
        sections.append(
            Section(
                "kpis_unavailable",
                t("rm_sec_kpi_unavailable"),
                level=3,
                intro=[t("rm_kpis_unavailable_intro")],
                tables=[
                    laid_out_table(
                        [t("rm_col_kpi"), t("rm_col_reason")],
                        [[_kpi_name(s, t), unavailable_reason(s, t.lang) or "–"] for s in missing],
                        ["text", "text"],
                    )
                ],
            )
        )
    measured = [s for s in found if s.state != "unavailable" and not s.periods.empty]
    if measured:
        charts = Section(
            "kpis_charts", t("rm_sec_kpi_charts"), level=3, intro=[t("rm_kpi_charts_intro")]
        )
        charts.charts = [(f"kpi_{i}", _series_chart(s, t)) for i, s in enumerate(measured)]
        sections.append(charts)
    return sections


# ---------------------------------------------------------------------------- plans


def _units(plan: PlanInfo, t: Texts) -> str:
    if not plan.targeted_units:
        return "–"
    units = t.join([t.isolated(u) for u in plan.targeted_units], clauses=False)
    # the attribute (a key) and its values read left to right as one unit in any text
    return f"{LRI}{plan.unit_attribute or ''}: {units}{PDI}"


def _tasks_done(plan: PlanInfo, t: Texts) -> str:
    done = sum(task.status == "done" for task in plan.tasks)
    return t("rm_tasks_done", done=t.count(done), total=t.count(len(plan.tasks)))


def _effect_text(effect: ActionEffect, t: Texts) -> str:
    low, high = t.number(effect.ci_low, signed=True), t.number(effect.ci_high, signed=True)
    return f"{t.number(effect.effect, signed=True)} ({low} – {high})"


def _measured(entry: MeasuredPlan, t: Texts) -> str:
    result = entry.effect.result if entry.effect else None
    return "–" if result is None else _effect_text(result, t)


def _plan_row(entry: MeasuredPlan, t: Texts) -> list[str]:
    plan = entry.plan
    return [
        t.isolated(plan.title),
        t.isolated(plan.owner),
        t(f"rm_status_{plan.status}"),
        _tasks_done(plan, t),
        t.number(plan.expected_effect, signed=True),
        _measured(entry, t),
    ]


def _facts(plan: PlanInfo, t: Texts) -> dict[str, object]:
    expected = t.number(plan.expected_effect, signed=True)
    if plan.expected_effect is not None and plan.expected_by is not None:
        expected = t("rm_expected_by", effect=expected, date=t.date(plan.expected_by))
    rows = [
        [t("rm_col_owner"), t.isolated(plan.owner)],
        [t("rm_col_gap"), t.isolated(plan.gap)],
        [t("rm_col_survey"), t.isolated(plan.survey)],
        [t("rm_col_units"), _units(plan, t)],
        [t("rm_col_status"), t(f"rm_status_{plan.status}")],
        [t("rm_col_starts"), t.date(plan.starts_on)],
        [t("rm_col_due"), "–" if plan.due_on is None else t.date(plan.due_on)],
        [t("rm_col_cost"), t.number(plan.cost, 0)],
        [t("rm_col_expected"), expected],
    ]
    if plan.description:
        rows.append([t("rm_col_description"), t.isolated(plan.description)])
    return laid_out_table([t("rm_col_plan"), t.isolated(plan.title)], rows, ["short", "text"])


def _tasks(plan: PlanInfo, t: Texts) -> dict[str, object]:
    rows = [
        [
            t.isolated(task.title),
            t(f"rm_task_status_{task.status}"),
            "–" if task.due_on is None else t.date(task.due_on),
            "–" if task.assignee is None else t.isolated(task.assignee),
        ]
        for task in plan.tasks
    ]
    header = [t("rm_col_task"), t("rm_col_status"), t("rm_col_due"), t("rm_col_assignee")]
    return laid_out_table(header, rows, ["text", "short", "short", "text"])


def _effect_table(effect: ActionEffect, t: Texts) -> dict[str, object]:
    pre = effect.pre_trend_p_value
    rows = [
        [t("rm_effect"), t.number(effect.effect, signed=True)],
        [
            t("interval", level=t.percent(effect.confidence)),
            f"{t.number(effect.ci_low, signed=True)} – {t.number(effect.ci_high, signed=True)}",
        ],
        [t("rm_p_value"), t.p_value(effect.p_value)],
        [t("rm_pre_trend"), t("rm_pre_trend_none") if math.isnan(pre) else t.p_value(pre)],
        [t("rm_method"), t(f"rm_method_{effect.method}")],
        [t("rm_mde"), t.number(effect.min_detectable_effect)],
        [
            t("rm_col_sample"),
            t(
                "rm_effect_sample",
                rows=t.count(effect.n_rows),
                units=t.count(effect.n_units),
                treated=t.count(effect.n_treated_units),
                periods=t.count(effect.n_periods),
                pre=t.count(effect.n_pre_periods),
            ),
        ],
    ]
    return laid_out_table([t("rm_col_measured"), ""], rows, ["short", "num"])


def _plan_section(entry: MeasuredPlan, t: Texts) -> Section:
    plan = entry.plan
    title = t("rm_plan_title", id=t.count(plan.id), title=t.isolated(plan.title))
    section = Section(f"action_{plan.id}", title, level=3)
    section.tables.append(_facts(plan, t))
    if plan.tasks:
        section.tables.append(_tasks(plan, t))
    else:
        section.paragraphs.append(t("rm_no_tasks"))
    effect = entry.effect
    result = None if effect is None else effect.result
    if entry.problem is not None:
        reason = effect_unavailable_reason(entry.problem, t.lang)[0]
        section.paragraphs.append(t("rm_effect_unavailable", reason=reason))
    elif result is None:
        section.paragraphs.append(t("rm_effect_not_yet"))
    if effect is not None and result is None and effect.power is not None:
        section.paragraphs.append(t("rm_power", mde=t.number(effect.power.min_detectable_effect)))
    if result is None:
        return section
    section.tables.append(_effect_table(result, t))
    start = None if effect is None else effect.start_wave
    if result.method == "its":  # no untargeted units: no difference per wave to draw
        section.paragraphs.append(t("rm_its_no_event_study", wave=t.period(start)))
    elif {"estimate", "ci_low", "ci_high"} <= set(result.event_study.columns):
        section.charts.append(
            (
                f"action_{plan.id}_effect",
                event_study_chart(
                    result.event_study,
                    title=t("rm_event_study_title"),
                    x_title=t("rm_event_study_x"),
                    y_title=t("rm_event_study_y"),
                    lang=t.lang,
                    start=start,
                ),
            )
        )
        section.paragraphs.append(t("rm_event_study_note", wave=t.period(start)))
    section.paragraphs += [t(f"kpi_warning_{w}") for w in result.warnings]
    return section


def action_sections(plans: Sequence[MeasuredPlan], t: Texts) -> list[Section]:
    """The action plans: an overview table (plan, owner, status, tasks done, expected and
    measured effect), then one part per plan with its facts, tasks,
    measured effect (or why it cannot be measured yet) and event-study chart."""
    overview = Section("actions", t("rm_sec_actions"), intro=[t("rm_actions_intro")])
    if not plans:
        overview.paragraphs.append(t("rm_actions_none"))
        return [overview]
    header = [
        t("rm_col_plan"),
        t("rm_col_owner"),
        t("rm_col_status"),
        t("rm_col_tasks"),
        t("rm_col_expected"),
        t("rm_col_measured"),
    ]
    overview.tables.append(
        laid_out_table(
            header,
            [_plan_row(p, t) for p in plans],
            ["text", "text", "short", "num", "num", "num"],
        )
    )
    return [overview, *(_plan_section(p, t) for p in plans)]
