"""The five gaps in words: one section per gap with plain-language findings, in the
reader's language. The terminal (``cxgap gaps``), the dashboard's "Five gaps" page and
the HTML report draw the same sections."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.reports.document import Section, laid_out_table
from cxgap.reports.i18n import Texts
from cxgap.services.five_gaps import FiveGaps
from cxgap.stats.loyalty import wilson_interval


@dataclass(frozen=True)
class GapSection:
    """One gap: its number, title and findings (sentences), and an optional table."""

    gap: int
    title: str
    lines: list[str]
    table: dict[str, Any] | None = field(default=None)


def _n(t: Texts, value: Any, digits: int = 2) -> str:
    return t.number(None if value is None else float(value), digits)


def _period(t: Texts, value: Any) -> str:
    """A period label (``2026-07``): :meth:`Texts.period`."""
    return t.period(value)


def _level(t: Texts, value: Any, unit: str | None) -> str:
    """A level of a standard's metric in its unit (a share as a percentage)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return t.percent(float(value))
    number = t.number(float(value), 1)
    if unit in ("hours", "minutes", "days"):
        return t(f"fg_unit_{unit}", value=number)
    return number


def _touches(
    result: FiveGaps, item: str | None, dimension: str | None, items: Collection[str] | None
) -> bool:
    """Whether a standard or promise on ``item`` (or on the whole ``dimension``) concerns
    ``items`` (every one does when ``items`` is ``None``)."""
    if items is None or item in items:
        return True
    return item is None and dimension in {result.dimensions.get(i) for i in items}


def _knowledge(result: FiveGaps, t: Texts, items: Collection[str] | None) -> GapSection:
    title = t("fg_gap1")
    if not result.knowledge:
        return GapSection(1, title, [t("fg_gap1_missing")])
    rows = result.knowledge_items()
    rows = rows[rows["finding"] != "none"]
    if items is not None:
        dims = {result.dimensions.get(i) for i in items}
        rows = rows[rows["item"].isin(list(items)) | rows["dimension"].isin(list(dims))]
    lines = []
    for row in rows.to_dict(orient="records"):
        name = row["item"] or result.label(row["dimension"], t.lang)
        if row["item"]:
            name = f"{row['item']} ({result.label(row['dimension'], t.lang)})"
        under = row["finding"] == "underestimated"
        # the interval of the size of the misreading (customers minus managers when under)
        low, high = (-row["ci_high"], -row["ci_low"]) if under else (row["ci_low"], row["ci_high"])
        lines.append(
            t(
                "fg_gap1_under" if under else "fg_gap1_over",
                field=t(f"fg_field_{row['field']}"),
                name=name,
                difference=_n(t, abs(row["difference"])),
                low=_n(t, low),
                high=_n(t, high),
            )
        )
    if not lines:
        lines.append(t("fg_gap1_none"))
    tau = next(iter(result.knowledge.values())).rank_tau
    if not math.isnan(tau) and items is None:
        lines.append(t("fg_gap1_rank", tau=_n(t, tau)))
    return GapSection(1, title, lines)


def _standards(result: FiveGaps, t: Texts, items: Collection[str] | None) -> GapSection:
    title = t("fg_gap2")
    if result.standards is None:
        return GapSection(2, title, [t("fg_gap3_missing")])
    rows = result.standards.summary
    if items is not None:
        rows = rows[rows["item"].isin(list(items))]
    units = {s.standard.key: s.standard.measure_unit for s in result.delivery}
    lines = []
    missing = rows.loc[rows["finding"] == "no_standard", "item"].tolist()
    if missing:
        lines.append(
            t("fg_gap2_no_standard", count=t.digits(str(len(missing))), items=", ".join(missing))
        )
    for row in rows.to_dict(orient="records"):
        unit = units.get(row["standard"])
        if row["finding"] == "below_adequate":
            lines.append(
                t(
                    "fg_gap2_below",
                    standard=row["standard"],
                    floor=_n(t, row["floor"], 1),
                    adequate=_n(t, row["customer_adequate"], 1),
                )
            )
        elif row["finding"] == "beyond_feasible":
            lines.append(
                t(
                    "fg_gap2_beyond",
                    standard=row["standard"],
                    target=_level(t, row["target"], unit),
                    best=_level(t, row["best_delivered"], unit),
                )
            )
    if not lines:
        lines.append(t("fg_gap2_none"))
    return GapSection(2, title, lines)


def _delivery(result: FiveGaps, t: Texts, items: Collection[str] | None) -> GapSection:
    title = t("fg_gap3")
    chosen = [
        d for d in result.delivery if _touches(result, d.standard.item, d.standard.dimension, items)
    ]
    if not chosen:
        return GapSection(3, title, [t("fg_gap3_missing")])
    lines = []
    table_rows: list[list[str]] = []
    for d in chosen:
        units = d.compliance.units
        flagged = units[units["finding"] != "none"]
        for row in flagged.to_dict(orient="records"):
            key = "fg_gap3_down" if row["finding"] == "shift_down" else "fg_gap3_up"
            after = d.compliance.summary
            after = after[(after["unit"] == row["unit"]) & (after["period"] >= row["first_signal"])]
            met, cases = int(after["met"].sum()), int(after["cases"].sum())
            low, high = wilson_interval(met, cases, confidence=0.95)
            lines.append(
                t(
                    key,
                    unit=row["unit"],
                    standard=d.standard.key,
                    period=_period(t, row["first_signal"]),
                    share=t.percent(met / cases),
                    low=t.percent(float(low)),
                    high=t.percent(float(high)),
                )
            )
        if flagged.empty:
            total = units["met"].sum() / units["cases"].sum()
            lines.append(t("fg_gap3_none", standard=d.standard.key, share=t.percent(total)))
        for row in units.to_dict(orient="records"):
            table_rows.append(
                [
                    d.standard.key,
                    row["unit"],
                    t.percent(row["share"], 1),
                    f"{t.percent(row['ci_low'], 1)} – {t.percent(row['ci_high'], 1)}",
                    _period(t, row["first_signal"] if row["finding"] != "none" else None),
                ]
            )
    return GapSection(3, title, lines, {"rows": table_rows})


def _communication(result: FiveGaps, t: Texts, items: Collection[str] | None) -> GapSection:
    title = t("fg_gap4")
    chosen = [
        p
        for p in result.communication
        if _touches(result, p.promise.item, p.promise.dimension, items)
    ]
    if not chosen:
        return GapSection(4, title, [t("fg_gap4_none")])
    units = {s.standard.key: s.standard.measure_unit for s in result.delivery}
    lines = []
    for p in chosen:
        base = {"promise": p.promise.key, "channel": p.promise.channel}
        check = p.check
        if check is None:
            lines.append(
                t("fg_gap4_no_level" if p.note == "no_level" else "fg_gap4_no_delivery", **base)
            )
            continue
        unit = units.get(p.promise.standard_key or "")
        levels = {
            "promised": _level(t, check.promised, unit),
            "delivered": _level(t, check.delivered_mean, unit),
        }
        if check.finding == "over_promising":
            lines.append(
                t("fg_gap4_over", **base, **levels, difference=_n(t, check.exposure_difference))
            )
        elif check.finding == "broken":
            broken = check.summary.loc[check.summary["broken"], "unit"].tolist()
            lines.append(t("fg_gap4_broken", **base, **levels, units=", ".join(broken) or "–"))
        else:
            lines.append(t("fg_gap4_kept", **base, **levels))
    return GapSection(4, title, lines)


def _customer(result: FiveGaps, t: Texts, items: Collection[str] | None) -> GapSection:
    title = t("fg_gap5")
    if result.customer is None:
        return GapSection(5, title, [t("fg_gap3_missing")])
    zone = result.customer.summary
    zone = zone[zone["level"] == "item"]
    if items is not None:
        zone = zone[zone["name"].isin(list(items))]
    lines = []
    for row in zone.to_dict(orient="records"):
        name = f"{row['name']} ({result.label(str(row['dimension']), t.lang)})"
        if row["position"] == "below":
            lines.append(
                t(
                    "fg_gap5_below",
                    name=name,
                    perceived=_n(t, row["mean_perceived"]),
                    adequate=_n(t, row["mean_adequate"]),
                    msa=_n(t, row["msa"]),
                )
            )
        elif row["position"] == "above":
            lines.append(
                t(
                    "fg_gap5_above",
                    name=name,
                    perceived=_n(t, row["mean_perceived"]),
                    desired=_n(t, row["mean_desired"]),
                )
            )
    within = int((zone["position"] == "within").sum())
    lines.append(t("fg_gap5_within", count=t.digits(str(within)), total=t.digits(str(len(zone)))))
    return GapSection(5, title, lines)


def _factors(result: FiveGaps, t: Texts) -> GapSection | None:
    if result.factors is None or result.factor_scores is None or result.unit_gaps is None:
        return None
    summary = result.factors.summary
    lines = [
        t(
            "fg_factor_related",
            factor=result.label(row["factor"], t.lang),
            rho=_n(t, row["rho"]),
            p=_n(t, row["p_adjusted"], 3),
        )
        for row in summary[summary["related"]].to_dict(orient="records")
    ]
    if not lines:
        lines.append(t("fg_factor_none", units=t.digits(str(result.factors.units))))
    worst = str(result.unit_gaps.idxmax())
    if worst in result.factor_scores.index:
        scores = pd.Series(result.factor_scores.loc[worst], dtype="float64")
        others = pd.Series(result.factor_scores.drop(index=worst).mean(), dtype="float64")
        apart = (scores - others).abs().sort_values(ascending=False).index[:3]
        lines.append(
            t(
                "fg_factor_lowest",
                unit=worst,
                gap=t.percent(float(result.unit_gaps[worst]), 1),
                scores=", ".join(
                    f"{result.label(str(f), t.lang)} {_n(t, scores[f], 1)} ({_n(t, others[f], 1)})"
                    for f in apart
                ),
            )
        )
    return GapSection(0, t("fg_factors"), lines)


def gap_sections(
    result: FiveGaps, texts: Texts, *, items: Collection[str] | None = None
) -> list[GapSection]:
    """The sections of Gap 1 to Gap 5 (and the staff factors), limited to ``items`` when
    given (the chain of one item or dimension)."""
    sections = [
        _knowledge(result, texts, items),
        _standards(result, texts, items),
        _delivery(result, texts, items),
        _communication(result, texts, items),
        _customer(result, texts, items),
    ]
    factors = _factors(result, texts) if items is None else None
    return sections if factors is None else [*sections, factors]


def report_sections(result: FiveGaps, texts: Texts) -> list[Section]:
    """The five gaps as sections of the HTML/PDF report: a title, the findings as bullets
    and, for Gap 3, the compliance per unit."""
    out = []
    for gap in gap_sections(result, texts):
        section = Section(f"gap{gap.gap}", gap.title, bullets=list(gap.lines))
        if gap.table and gap.table["rows"]:
            header = [
                texts("fg_col_standard"),
                texts("fg_col_unit"),
                texts("fg_col_share"),
                texts("fg_col_interval"),
                texts("fg_col_period"),
            ]
            section.tables.append(
                laid_out_table(header, gap.table["rows"], ["short", "short", "num", "num", "short"])
            )
        out.append(section)
    if out:
        out[0].paragraphs.insert(0, texts("fg_intro"))
    return out
