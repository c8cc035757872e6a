"""The recognition board page (recovery and delight rankings, a quarter filter) and the
recovery page (SLA compliance, recovery rate, before/after change, the recovery paradox,
the hold-out effect and Kaplan-Meier time to resolution by team), in en, zh and fa.

Both need ``cases:read``; on the board an agent sees their own rows only (the rule of
:func:`cxgap.services.cases.recognition.visible_rows`)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cxgap.reports.award import ranking_tables
from cxgap.reports.i18n import Texts
from cxgap.reports.recovery_charts import resolution_chart
from cxgap.services.accounts import User
from cxgap.services.cases.recognition import QUARTER, recognition_board, sees_everyone
from cxgap.services.cases.recovery import RecoveryFigures, recovery_figures
from cxgap.stats.recovery import HoldoutEffect, PairedChange, RecoveryParadox, RecoveryRate
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import PERMISSION, page_lang, show_page, svg, ui_text
from cxgap.web.deps import get_engine

router = APIRouter(prefix="/dashboard", include_in_schema=False)

BoardUser = Annotated[User, Depends(requires(PERMISSION["recognition"]))]
RecoveryUser = Annotated[User, Depends(requires(PERMISSION["recovery"]))]


@router.get("/recognition")
def recognition_page(request: Request, user: BoardUser) -> Response:
    """The board; ``?quarter=2026Q3`` counts that quarter only (the service award)."""
    asked = (request.query_params.get("quarter") or "").strip()[:10]
    valid = bool(QUARTER.match(asked))
    rt = Texts(page_lang(request, user))  # type: ignore[arg-type]
    board = recognition_board(get_engine(request), viewer=user, quarter=asked if valid else None)
    return show_page(
        request,
        "recognition",
        user,
        {
            "quarter": asked,
            "bad_quarter": bool(asked) and not valid,
            "tables": ranking_tables(board, rt, own_only=not sees_everyone(user)),
        },
        status_code=400 if asked and not valid else 200,
        active="recognition",
    )


def _row(key: str, value: Any, rt: Texts) -> dict[str, str]:
    """One figure as the page's table shows it: estimate, interval, n and p."""
    if isinstance(value, RecoveryRate):
        return {
            "key": key,
            "estimate": rt.percent(value.rate, 1),
            "interval": f"{rt.percent(value.ci_low, 1)} – {rt.percent(value.ci_high, 1)}",
            "n": rt.count(value.cases),
            "p": "",
        }
    if isinstance(value, PairedChange | RecoveryParadox | HoldoutEffect):
        middle = {
            PairedChange: "mean_change",
            RecoveryParadox: "difference",
            HoldoutEffect: "effect",
        }[type(value)]
        n = (
            value.n
            if isinstance(value, PairedChange)
            else value.n_recovered + value.n_reference
            if isinstance(value, RecoveryParadox)
            else value.n_contacted + value.n_holdout
        )
        return {
            "key": key,
            "estimate": rt.number(getattr(value, middle), signed=True),
            "interval": f"{rt.number(value.ci_low, signed=True)} – "
            f"{rt.number(value.ci_high, signed=True)}",
            "n": rt.count(n),
            "p": rt.digits(f"{value.p_value:.3g}"),
        }
    return {"key": key, "estimate": "", "interval": "", "n": "", "p": ""}


def _teams(figures: RecoveryFigures, rt: Texts) -> list[dict[str, str]]:
    if figures.time_to_resolution is None:
        return []
    rows = []
    for r in figures.time_to_resolution.summary.to_dict(orient="records"):
        median = r["median"]
        rows.append(
            {
                "team": str(r["group"]),
                "n": rt.count(int(r["n"])),
                "resolved": rt.count(int(r["resolved"])),
                "open": rt.count(int(r["open"])),
                "median": "–"
                if median is None or math.isnan(median)
                else f"{rt.number(median, 1)} ({rt.number(r['median_low'], 1)} – "
                f"{rt.number(r['median_high'], 1)})",
            }
        )
    return rows


@router.get("/recovery")
def recovery_page(request: Request, user: RecoveryUser) -> Response:
    """The recovery figures of ``cxgap cases stats`` with the time-to-resolution chart."""
    lang = page_lang(request, user)
    rt = Texts(lang)  # type: ignore[arg-type]
    figures = recovery_figures(get_engine(request))
    times = figures.time_to_resolution
    chart = (
        svg(
            resolution_chart(
                times,
                title=ui_text(lang, "recovery_chart_title"),
                x_title=ui_text(lang, "recovery_chart_x"),
                y_title=ui_text(lang, "recovery_open"),
                lang=lang,
            )
        )
        if times is not None
        else None
    )
    rows = [
        _row(key, value, rt)
        for key, value in (
            ("recovery_sla", figures.sla_compliance),
            ("recovery_rate", figures.recovery_rate),
            ("recovery_before_after", figures.before_after),
            ("recovery_paradox", figures.paradox),
            ("recovery_holdout", figures.holdout),
        )
    ]
    logrank = (
        rt.digits(f"{times.logrank_p:.3g}")
        if times is not None and not math.isnan(times.logrank_p)
        else None
    )
    return show_page(
        request,
        "recovery",
        user,
        {
            "figures": figures,
            "rows": rows,
            "finding": figures.paradox.finding if figures.paradox else None,
            "teams": _teams(figures, rt),
            "logrank": logrank,
            "chart": chart,
        },
        active="recovery",
    )
