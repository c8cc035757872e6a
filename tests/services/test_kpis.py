"""KPI definitions, series, intervals and alerts on a real SQLite file, against brute-force
counts, statsmodels' Wilson interval and published exact Poisson limits."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from statsmodels.stats.proportion import proportion_confint

from cxgap.errors import ValidationError
from cxgap.instruments import Instrument
from cxgap.services.customers import customer_ids, upsert_customers
from cxgap.services.demo import store_wide
from cxgap.services.kpi_definitions import MEASURES, builtin_kpis, load_kpis, parse_kpis
from cxgap.services.kpis import (
    SERIES_COLUMNS,
    evaluate_kpis,
    outbox_messages,
    poisson_interval,
    shift_test,
)
from cxgap.services.lifecycle import lifecycle_records, store_lifecycle
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction

WAVES = 6


def _waves(engine: Engine, mini: Instrument, *, last_nps_drop: bool) -> pd.DataFrame:
    """Six waves of NPS and rel1 answers (200 each); returns every stored answer."""
    rng = np.random.default_rng(4)
    stored = []
    with transaction(engine) as session:
        people = [f"K{k}" for k in range(200 * WAVES)]
        upsert_customers(session, {p: {"region": ("north", "south")[k % 2]}
                                   for k, p in enumerate(people)})  # fmt: skip
        ids = customer_ids(session, people)
        for w in range(WAVES):
            survey = create_survey(
                session, f"mini-{w}", instrument=mini, wave=f"2025Q{w % 4 + 1}-{w}",
                period_start=dt.date(2025, 1, 1) + dt.timedelta(days=91 * w),
            )  # fmt: skip
            probs = np.r_[np.full(7, 0.25 / 7), [0.15, 0.15], [0.225, 0.225]]
            if last_nps_drop and w == WAVES - 1:
                probs = np.r_[np.full(7, 0.45 / 7), [0.15, 0.15], [0.125, 0.125]]
            frame = pd.DataFrame(
                {
                    "respondent_id": people[200 * w : 200 * (w + 1)],
                    "customer_id": people[200 * w : 200 * (w + 1)],
                    "nps": rng.choice(11, p=probs, size=200),
                    "rel1_adequate": rng.integers(3, 7, size=200),
                    "rel1_desired": 8,
                    "rel1_perceived": rng.integers(2, 9, size=200),
                }
            )
            store_wide(session, survey, mini, frame, source="test", customer_of=ids)
            stored.append(frame.assign(wave=w))
    return pd.concat(stored, ignore_index=True)


def test_builtin_kpis_cover_every_measure() -> None:
    kpis = builtin_kpis()
    assert {k.measure for k in kpis} == set(MEASURES)
    assert {k.id: k.chart_kind() for k in kpis}["complaint_rate"] == "u"
    assert {k.id: k.chart_kind() for k in kpis}["csat"] == "p"
    assert {k.id: k.chart_kind() for k in kpis}["nps"] == "ewma"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kpis:\n  - {id: a, measure: speed, direction: higher}",
         r"KPI 1 \('a'\), field 'measure'.*got 'speed'.*allowed: 'satisfaction_index'"),
        ("kpis:\n  - {id: a, measure: nps, direction: higher, colour: red}",
         r"KPI 1 \('a'\), field 'colour'.*allowed: only the fields"),
        ("kpis:\n  - {id: a, measure: nps, direction: higher}\n"
         "  - {id: a, measure: csat, direction: higher}", "KPI 2: id 'a' is used twice"),
        ("kpis:\n  - {id: a, measure: nps, direction: higher, tolerance: -1}",
         r"field 'tolerance'.*greater than or equal to 0"),
        ("kpis:\n  - {id: a, measure: below_adequate, direction: higher}",
         "a share below adequate is better lower"),
        ("nothing: here", "no 'kpis:' list"),
        ("kpis:\n  - {id: A-1, measure: nps, direction: higher}",
         r"field 'id'.*allowed: lower-case letters"),
    ],
)  # fmt: skip
def test_kpi_file_mistakes_are_placed(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kpis.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        load_kpis(path)


def test_survey_kpis_match_brute_force(engine: Engine, mini: Instrument) -> None:
    answers = _waves(engine, mini, last_nps_drop=False)
    kpis = parse_kpis(
        {"kpis": [
            {"id": "nps", "measure": "nps", "direction": "higher", "target": 20},
            {"id": "below", "measure": "below_adequate", "direction": "lower", "target": 0.5},
            {"id": "nps_region", "measure": "nps", "direction": "higher", "segment_by": "region",
             "targets": [{"segment": "region=north", "target": 30, "tolerance": 2}]},
        ]},
        source="test",
    )  # fmt: skip
    series = {s.series: s for s in evaluate_kpis(engine, kpis)}
    nps = series["nps"].periods
    for w in range(WAVES):
        scores = answers[answers.wave == w].nps
        brute = 100 * ((scores >= 9).mean() - (scores <= 6).mean())
        assert nps.value.iloc[w] == pytest.approx(brute, abs=1e-9)
        assert nps.n.iloc[w] == 200
    below = series["below:reliability"].periods
    for w in range(WAVES):
        wave = answers[answers.wave == w]
        events = int((wave.rel1_perceived < wave.rel1_adequate).sum())
        low, high = proportion_confint(events, 200, alpha=0.05, method="wilson")
        assert below.events.iloc[w] == events and below.exposure.iloc[w] == 200
        assert (below.ci_low.iloc[w], below.ci_high.iloc[w]) == pytest.approx((low, high))
    north = series["nps_region [region=north]"]
    assert (north.target, north.tolerance) == (30, 2)
    assert series["nps_region [region=south]"].target is None
    assert north.periods.n.sum() + series["nps_region [region=south]"].periods.n.sum() == 1200
    assert series["nps"].chart is not None and series["nps"].chart.kind == "ewma"


def test_a_real_drop_alerts_the_owner_and_noise_does_not(engine: Engine, mini: Instrument) -> None:
    _waves(engine, mini, last_nps_drop=True)
    kpi = parse_kpis(
        {"kpis": [{"id": "nps", "measure": "nps", "direction": "higher", "target": 0,
                   "tolerance": 5, "owner": "cx@example.org"}]},
        source="test",
    )  # fmt: skip
    (series,) = evaluate_kpis(engine, kpi)
    kinds = {a.kind for a in series.alerts}
    assert kinds == {"shift", "target_missed"}  # NPS fell from about 20 to about -20
    (message, _) = outbox_messages(series.alerts)
    assert message.recipient == "cx@example.org" and message.template == "kpi_alert_shift"
    assert json.dumps(series.to_dict())  # plain JSON


def test_churn_and_complaint_rates_per_quarter(engine: Engine) -> None:
    spells = [
        ("request", {"customer": f"C{k}", "started_on": "2024-06-01",
                     "ended_on": None if k % 10 else f"2025-{1 + (k // 10) % 12:02d}-15"})
        for k in range(400)
    ]  # fmt: skip
    store_lifecycle(engine, "relationships", lifecycle_records("relationships", spells),
                    actor="t")  # fmt: skip
    complaints = [("request", {"channel": "hotline", "received_at": f"2025-{m:02d}-10"})
                  for m in (1, 1, 2, 4, 5, 5, 5, 8)]  # fmt: skip
    store_lifecycle(engine, "complaints", lifecycle_records("complaints", complaints), actor="t")
    kpis = parse_kpis({"kpis": [
        {"id": "churn", "measure": "churn_rate", "direction": "lower"},
        {"id": "complaints", "measure": "complaint_rate", "direction": "lower", "per": 1000},
    ]}, source="test")  # fmt: skip
    series = {s.series: s.periods.set_index("period") for s in evaluate_kpis(engine, kpis)}
    ended = pd.Series([pd.Timestamp(f"2025-{1 + (k // 10) % 12:02d}-15")
                       for k in range(0, 400, 10)])  # fmt: skip
    for quarter in ("2025Q1", "2025Q2", "2025Q3"):
        period = pd.Period(quarter)
        at_risk = 400 - int((ended < period.start_time).sum())
        churned = int(((ended >= period.start_time) & (ended <= period.end_time)).sum())
        row = series["churn"].loc[quarter]
        assert (row.events, row.exposure) == (churned, at_risk)
        received = {"2025Q1": 3, "2025Q2": 4, "2025Q3": 1}[quarter]
        rate = series["complaints"].loc[quarter]
        assert rate.value == pytest.approx(received / at_risk * 1000)
        _, high = poisson_interval(received, confidence=0.95)
        assert rate.ci_high == pytest.approx(high / at_risk * 1000)


def test_exact_poisson_limits_match_published_values() -> None:
    # Garwood (1936) limits as tabulated e.g. in Ulm (1990), Am J Epidemiol 131(2): 373-375
    assert poisson_interval(0, confidence=0.95) == pytest.approx((0.0, 3.689), abs=5e-4)
    assert poisson_interval(10, confidence=0.95) == pytest.approx((4.795, 18.390), abs=5e-4)


def test_kpis_of_other_modules_say_why_they_are_unavailable(engine: Engine) -> None:
    series = {s.kpi.id: s for s in evaluate_kpis(engine)}
    assert series["case_sla"].state == "unavailable"
    assert series["case_sla"].unavailable is not None
    assert "cases table" in series["case_sla"].unavailable.text
    assert series["nps"].unavailable is not None
    assert series["nps"].unavailable.text == "no data for this measure"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["p", "u", "ewma", "cusum"])
def test_simulated_false_alarm_rate_is_within_the_stated_rate(kind: str) -> None:
    """1,000 in-control series of 8 periods each: the share whose latest period raises a
    shift alert stays within the stated rate (5% here, so that 1,000 series measure it to
    0.7 percentage points; the tests of cxgap.stats.control_charts check the charts)."""
    rng = np.random.default_rng({"p": 1, "u": 2, "ewma": 3, "cusum": 4}[kind])
    measure = {"p": "csat", "u": "complaint_rate"}.get(kind, "ces")
    spec = {"id": "k", "measure": measure, "direction": "higher", "chart": kind, "alpha": 0.05,
            "arl0": 20}  # fmt: skip
    kpi = parse_kpis({"kpis": [spec]}, source="t")[0]
    alerts, reps, periods = 0, 1000, 8
    for _ in range(reps):
        if kind == "p":
            n = rng.integers(200, 400, size=periods)
            frame = pd.DataFrame({"events": rng.binomial(n, 0.3), "exposure": n})
        elif kind == "u":
            exposure = rng.uniform(2, 5, size=periods)
            frame = pd.DataFrame({"events": rng.poisson(10 * exposure), "exposure": exposure})
        else:
            se = rng.uniform(0.03, 0.08, size=periods)
            frame = pd.DataFrame({"value": 4 + rng.normal(scale=se), "se": se})
        test = shift_test(kpi, frame.reindex(columns=list(SERIES_COLUMNS)))
        assert test is not None
        alerts += test[0] <= test[1]
    rate = alerts / reps
    print(kind, "false-alarm rate", rate)
    assert rate <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / reps)
    if kind in ("ewma", "cusum"):  # exact tests: not just below, at the rate
        assert rate >= 0.05 - 2.5 * np.sqrt(0.05 * 0.95 / reps)


def test_cli_kpi_commands(
    cli: Callable[..., tuple[int, str, str]], engine: Engine, mini: Instrument, tmp_path: Path
) -> None:
    _waves(engine, mini, last_nps_drop=True)
    db = engine.url.render_as_string(hide_password=False)  # the test's SQLite file or server
    code, out, err = cli("--db", db, "kpi", "check", "--json")
    assert code == 0, err
    nps = next(s for s in json.loads(out) if s["kpi"] == "nps")
    assert nps["state"] == "alert" and len(nps["periods"]) == WAVES
    assert any("moved in" in reason for reason in nps["reasons"])
    code, out, err = cli("--db", db, "kpi", "check", "--lang", "fa")
    assert code == 0, err
    assert "تغییر کرد" in out
    code, out, _ = cli("--db", db, "kpi", "show", "nps")
    assert "2025Q1-0" in out
    code, out, err = cli("--db", db, "kpi", "show", "case_sla", "--lang", "zh", "--json")
    assert code == 0, err
    (sla,) = json.loads(out)["series"]
    assert sla["unavailable_code"] == "no_rows"
    assert sla["unavailable"] == "the cases table has no rows"
    assert sla["unavailable_reason"] == "cases 表中没有任何记录"
    code, out, err = cli("--db", db, "kpi", "show", "satisfaction_index", "--json")
    (index,) = json.loads(out)["series"]
    assert (index["unavailable_code"], index["unavailable_params"]) == (
        "no_index_items", {"instrument": mini.id})  # fmt: skip
    code, _, err = cli("--db", db, "kpi", "show", "speed")
    assert code == 4 and "KPI 'speed' is not defined" in err
    bad = tmp_path / "kpis.yaml"
    bad.write_text("kpis:\n  - {id: a, measure: nps, direction: up}\n", encoding="utf-8")
    code, _, err = cli("kpi", "validate", str(bad))
    assert code == 3 and "field 'direction'" in err and "Traceback" not in err
    code, out, _ = cli("kpi", "list")
    assert code == 0 and "complaint_rate" in out
