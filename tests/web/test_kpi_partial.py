"""A KPI period that has not ended is shown as such: a hollow point on a dashed segment
with a tooltip on the scorecard's sparkline, and beside the latest whole period's value
in ``cxgap kpi check``. The demo organisation in a real SQLite file, the real HTTP app
and the real command line, evaluated in the middle of its last quarter."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from tests.web.api_world import World, build_world
from tests.web.test_kpis_api import _signed_in

from cxgap.reports.kpi_charts import sparkline_svg
from cxgap.reports.kpi_texts import partial_mark, short_number
from cxgap.services import kpis
from cxgap.services.kpis import KpiSeries, evaluate_kpis

MID = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
"""Inside the demo's last quarter (its data lies before 2027-01-01)."""
AFTER = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("kpi-partial")))


def _running(series: list[KpiSeries]) -> dict[str, KpiSeries]:
    """The measured series whose latest period is still running, by name."""
    return {s.series: s for s in series
            if s.latest is not None and bool(s.latest.partial)}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_scorecard_sparkline_draws_the_running_period_apart(
    world: World, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setattr(kpis, "now", lambda: MID)
    running = _running(evaluate_kpis(world.engine, as_of=MID))
    assert running, "the demo has quarterly KPIs whose 2026Q4 runs at MID"
    page = _signed_in(world, "manager").get("/dashboard/kpis", params={"lang": lang}).text
    tips = re.findall(r'<circle class="partial-point"[^>]*><title>([^<]*)</title>', page)
    assert sorted(html.unescape(t) for t in tips) == sorted(
        f"{s.latest.period}: {partial_mark(lang)}"
        for s in running.values()  # type: ignore[union-attr]
    )
    assert page.count('class="partial-line"') == sum(
        (~s.periods.partial).any() for s in running.values()
    )
    monkeypatch.setattr(kpis, "now", lambda: AFTER)
    assert not _running(evaluate_kpis(world.engine, as_of=AFTER))
    page = _signed_in(world, "manager").get("/dashboard/kpis", params={"lang": lang}).text
    assert "partial-point" not in page and "partial-line" not in page


def test_sparkline_leaves_the_running_period_off_the_solid_line() -> None:
    periods = pd.DataFrame({
        "period": ["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
        "value": [1.0, 3.0, 2.0, 5.0], "ci_low": [0.5, 2.5, 1.5, 3.0],
        "ci_high": [1.5, 3.5, 2.5, 7.0], "partial": [False, False, False, True],
    })  # fmt: skip
    svg = str(sparkline_svg(periods, target=None, label="<x>", lang="zh"))
    (solid,) = re.findall(r'<polyline class="line" points="([^"]*)"', svg)
    (dashed,) = re.findall(r'<path class="partial-line" d="M ([^"]*)"', svg)
    assert len(solid.split()) == 3 and dashed.split(" L ")[0] == solid.split()[-1]
    x, y = map(float, dashed.split(" L ")[1].split(","))
    # the scale runs from the lowest to the highest of values and intervals (0.5 .. 7)
    assert (x, y) == pytest.approx((117.0, 3 + 26 * (7 - 5) / 6.5), abs=0.06)
    assert "<title>2026Q4: 未完整</title>" in svg and "&lt;x&gt;" in svg
    assert svg.count('class="last"') == 1  # the latest whole period keeps the filled point
    whole = str(sparkline_svg(periods.assign(partial=False), target=None, label="x"))
    assert "partial" not in whole and len(re.findall(r'points="([^"]*)"', whole)[-1].split()) == 4


def test_kpi_check_shows_the_latest_whole_period_with_the_running_one_beside(
    world: World, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., tuple[int, str, str]]
) -> None:
    monkeypatch.setattr(kpis, "now", lambda: MID)
    running = _running(evaluate_kpis(world.engine, as_of=MID))
    db = world.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("COLUMNS", "250")
    code, out, err = cli("--db", db, "kpi", "check")
    assert code == 0, err
    assert running
    for name, series in running.items():
        now_running = series.latest
        assert now_running is not None
        complete = series.periods[~series.periods.partial]
        line = next(row for row in out.splitlines()
                    if row.count("│") > 2 and row.split("│")[1].strip() == name)  # fmt: skip
        cells = [c.strip() for c in line.split("│")]
        if complete.empty:  # nothing whole yet: the running period, marked, is the row
            assert cells[2] == f"{now_running.period} (partial)"
            assert cells[3] == short_number(now_running.value)
            continue
        whole = complete.iloc[-1]
        assert cells[2] == str(whole.period) and cells[3] == short_number(whole.value)
        # the next line of the same row: the running period, marked, with its value
        following = out.splitlines()[out.splitlines().index(line) + 1].split("│")
        assert following[2].strip() == (
            f"{now_running.period} (partial): {short_number(now_running.value)}"
        )
        # alerts name whole periods only
        assert all(a.period != now_running.period for a in series.alerts)
