"""KPIs evaluated per period with intervals, a control chart each, and alerts that mean
something.

For every KPI (:mod:`cxgap.services.kpi_definitions`) :func:`evaluate_kpis` builds the
series of periods (survey waves for survey measures, calendar quarters for the others,
:mod:`cxgap.services.kpi_measures`) with the value, its interval and the sample behind
it, draws the control chart suited to it with the earlier periods as the reference
(p-chart for shares, u-chart for rates, EWMA or CUSUM for means), and raises a typed
:class:`KpiAlert` for the latest complete period when

* ``shift``: the latest period differs from the earlier ones beyond what chance gives,
  by an exact test on the chart's statistic at the stated false-alarm rate
  (:func:`shift_test`), or
* ``target_missed``: the value is worse than the target by more than the tolerance.

:func:`outbox_messages` turns alerts into messages for the KPI owners (the one place to
connect a notification outbox).

A period that has not ended at the time of evaluation (the current quarter, a wave still
collecting) is shown with ``partial`` true but is left out of the chart's reference, the
shift test and the target check: its value is not yet comparable with whole periods.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy import Engine, select

from cxgap.engine.cache import VersionedCache
from cxgap.engine.frames import SurveyData, data_version, load_survey, surveys_of_instrument
from cxgap.errors import CxgapError, ValidationError
from cxgap.services.analysis import dimension_scores
from cxgap.services.kpi_definitions import SURVEY_MEASURES, KpiDefinition, builtin_kpis
from cxgap.services.kpi_measures import QUARTER_COUNTS, Unavailable
from cxgap.services.satisfaction_index import (
    index_from_survey,
    index_indicators,
    respondent_index_scores,
)
from cxgap.stats import ControlChart, ces, csat, nps, overall_gap
from cxgap.stats.control_charts import cusum_chart, ewma_chart, p_chart, u_chart
from cxgap.stats.loyalty import wilson_interval
from cxgap.store.database import transaction
from cxgap.store.lifecycle import Complaint, Relationship
from cxgap.store.models import Survey
from cxgap.times import as_utc, now

SERIES_COLUMNS = ("period", "value", "ci_low", "ci_high", "n", "events", "exposure", "se",
                  "partial")  # fmt: skip
"""Columns of :attr:`KpiSeries.periods`: ``n`` is the sample (respondents, customers at
risk, cases), ``events``/``exposure`` the counts behind a share or rate, ``se`` the
standard error of a mean, ``partial`` whether the period had not ended when evaluated."""

MIN_REFERENCE_PERIODS = 3
"""Periods before the latest needed to set a chart's reference level."""


@dataclass(frozen=True)
class KpiAlert:
    """An alert for one KPI series in its latest period (texts: ``kpi.po``)."""

    kpi: str
    series: str
    period: str
    kind: Literal["shift", "target_missed"]
    value: float
    ci_low: float
    ci_high: float
    target: float | None
    tolerance: float
    direction: str
    owner: str | None
    chart: str | None
    false_alarm_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class KpiSeries:
    """One KPI series (a KPI, or one dimension or segment of it) with its chart and state."""

    kpi: KpiDefinition
    series: str
    segment: str | None
    periods: pd.DataFrame
    target: float | None
    tolerance: float
    chart: ControlChart | None
    alerts: tuple[KpiAlert, ...] = ()
    unavailable: Unavailable | None = None
    """Why the KPI has no values (its data does not exist yet), else ``None``."""
    notes: tuple[str, ...] = field(default=())

    @property
    def latest(self) -> pd.Series | None:
        return None if self.periods.empty else self.periods.iloc[-1]

    @property
    def state(self) -> str:
        """``unavailable``, ``alert`` or ``ok``."""
        if self.unavailable:
            return "unavailable"
        return "alert" if self.alerts else "ok"

    def to_dict(self) -> dict[str, Any]:
        from cxgap.stats.result import to_jsonable

        return {
            "kpi": self.kpi.id,
            "measure": self.kpi.measure,
            "series": self.series,
            "segment": self.segment,
            "direction": self.kpi.direction,
            "target": self.target,
            "tolerance": self.tolerance,
            "owner": self.kpi.owner,
            "state": self.state,
            "unavailable": None if self.unavailable is None else self.unavailable.text,
            "unavailable_code": None if self.unavailable is None else self.unavailable.code,
            "unavailable_params": {} if self.unavailable is None else dict(self.unavailable.params),
            "chart": None
            if self.chart is None
            else {
                "kind": self.chart.kind,
                "signals": list(self.chart.signals),
                "false_alarm_rate": self.chart.false_alarm_rate,
                "reference": self.chart.reference,
            },
            "periods": to_jsonable(self.periods),
            "alerts": [a.to_dict() for a in self.alerts],
        }


# ---------------------------------------------------------------------------- periods


def _row(period: str, value: float, low: float, high: float, n: float, **extra: float) -> dict:
    return {"period": period, "value": value, "ci_low": low, "ci_high": high, "n": n,
            "events": extra.get("events", math.nan), "exposure": extra.get("exposure", math.nan),
            "se": extra.get("se", math.nan), "partial": False}  # fmt: skip


def _share(period: str, events: int, trials: int, confidence: float) -> dict:
    low, high = wilson_interval(events, trials, confidence=confidence)
    return _row(period, events / trials, float(low), float(high), trials, events=events,
                exposure=trials)  # fmt: skip


def poisson_interval(count: int, *, confidence: float) -> tuple[float, float]:
    r"""Exact (Garwood) interval of a Poisson count:
    :math:`[\tfrac12\chi^2_{2x,\alpha/2},\ \tfrac12\chi^2_{2x+2,1-\alpha/2}]`.

    Reference: Garwood, F. (1936). Fiducial limits for the Poisson distribution.
    *Biometrika* 28, 437-442.
    """
    alpha = 1 - confidence
    low = 0.0 if count == 0 else float(sps.chi2.ppf(alpha / 2, 2 * count)) / 2
    return low, float(sps.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2


def _survey_values(
    kpi: KpiDefinition, data: SurveyData, frame: pd.DataFrame, confidence: float
) -> dict[str, dict]:
    """Series name -> this wave's row for a survey measure (empty when not measurable)."""
    instrument, period = data.instrument, data.wave or data.key
    role = {i.role: i.id for i in instrument.items if i.role}
    measure = kpi.measure
    if measure == "satisfaction_index":
        return {kpi.id: row} if (row := _index_row(data, frame, period, confidence)) else {}
    if measure in ("nps", "csat", "ces") and measure in role:
        scores = frame[role[measure]].dropna()
        if scores.empty:
            return {}
        if measure == "nps":
            r = nps(scores, confidence=confidence)
            return {kpi.id: _row(period, r.nps, r.ci_low, r.ci_high, r.n, se=r.se)}
        scale = instrument.item_scale(instrument.item(role[measure]))
        bounds = (float(scale.min), float(scale.max)) if scale else (1.0, 5.0)
        if measure == "csat":
            c = csat(scores, scale=bounds, confidence=confidence)
            return {kpi.id: _share(period, round(c.top_box_share * c.n), c.n, confidence)}
        e = ces(scores, scale=bounds, confidence=confidence)
        return {kpi.id: _row(period, e.mean, e.mean_ci_low, e.mean_ci_high, e.n,
                             se=e.sd / math.sqrt(e.n))}  # fmt: skip
    zone = [i.id for i in instrument.items_of_format("tolerance_zone")]
    if not zone or frame.empty:
        return {}
    if measure == "overall_gap":
        block = {f: frame[[f"{i}_{f}" for i in zone]].astype("float64").set_axis(zone, axis=1)
                 for f in ("perceived", "adequate", "desired")}  # fmt: skip
        g = overall_gap(block["perceived"], adequate=block["adequate"],
                        desired=block["desired"], confidence=confidence)  # fmt: skip
        return {kpi.id: _row(period, g.value, g.ci_low, g.ci_high, g.n, se=g.se)}
    if measure == "below_adequate":
        perceived = dimension_scores(frame, instrument, "perceived")
        adequate = dimension_scores(frame, instrument, "adequate")
        rows = {}
        for dim in perceived.columns.intersection(adequate.columns):
            if kpi.dimension is not None and dim != kpi.dimension:
                continue
            both = pd.concat([perceived[dim], adequate[dim]], axis=1).dropna()
            if len(both):
                below = int((both.iloc[:, 0] < both.iloc[:, 1]).sum())
                rows[f"{kpi.id}:{dim}"] = _share(period, below, len(both), confidence)
        return rows
    return {}


def _index_row(data: SurveyData, frame: pd.DataFrame, period: str, confidence: float) -> dict:
    """The wave's satisfaction index (ACSI, the SAT construct, 0-100) with a normal interval
    from its respondents' scores (empty when the wave cannot give one)."""
    part = SurveyData(data.key, data.name, data.wave, data.period_start, data.instrument, frame)
    try:
        scores = respondent_index_scores(index_from_survey(part), part)
    except CxgapError:  # no index items, too few respondents, an item without variance
        return {}
    n = len(scores)
    se = float(scores.std(ddof=1)) / math.sqrt(n)
    half = float(sps.norm.ppf(0.5 + confidence / 2)) * se
    value = float(scores.mean())
    return _row(period, value, value - half, value + half, n, se=se)


def _wave_ends(engine: Engine, keys: list[str]) -> dict[str, dt.date | None]:
    with transaction(engine) as session:
        rows = session.execute(select(Survey.key, Survey.period_end).where(Survey.key.in_(keys)))
        return {key: end for key, end in rows}


def _survey_series(
    engine: Engine, kpi: KpiDefinition, instrument: str, confidence: float, as_of: dt.datetime
) -> dict[tuple[str, str | None], list[dict]]:
    series: dict[tuple[str, str | None], list[dict]] = {}
    keys = surveys_of_instrument(engine, instrument)
    ends = _wave_ends(engine, keys)
    for key in keys:
        data = load_survey(engine, key)
        end = ends.get(key)
        partial = end is not None and end >= as_of.date()
        groups: list[tuple[str | None, pd.DataFrame]] = [(None, data.frame)]
        if kpi.segment_by is not None:
            if kpi.segment_by not in data.frame:
                raise ValidationError(
                    f"KPI {kpi.id!r}: segment_by {kpi.segment_by!r} is not an attribute of "
                    f"survey {key!r}'s respondents"
                )
            groups = [(f"{kpi.segment_by}={value}", part)
                      for value, part in data.frame.groupby(kpi.segment_by)]  # fmt: skip
        for segment, frame in groups:
            for name, row in _wave_values(engine, kpi, data, frame, segment, confidence).items():
                series.setdefault((name, segment), []).append(row | {"partial": partial})
    return series


INDEX_CACHE_SIZE = 256
"""Most waves' satisfaction-index rows kept per process (a PLS fit each)."""

_index_cache: VersionedCache[dict[str, dict]] = VersionedCache(max_entries=INDEX_CACHE_SIZE)


def _wave_values(
    engine: Engine, kpi: KpiDefinition, data: SurveyData, frame: pd.DataFrame,
    segment: str | None, confidence: float,
) -> dict[str, dict]:  # fmt: skip
    """:func:`_survey_values`; the satisfaction index (a model fit) is kept while the
    wave's data version is unchanged."""
    if kpi.measure != "satisfaction_index":
        return _survey_values(kpi, data, frame, confidence)
    key = (engine.url.render_as_string(hide_password=False), data.key, kpi.id, segment,
           confidence)  # fmt: skip
    version = data_version(engine, data.key)
    return _index_cache.get_or_compute(
        key, version, lambda: _survey_values(kpi, data, frame, confidence)
    )


def _quarters(first: pd.Timestamp, last: pd.Timestamp) -> list[pd.Period]:
    return list(pd.period_range(first.to_period("Q"), last.to_period("Q"), freq="Q"))


def _quarter_partial(rows: list[dict], as_of: dt.datetime) -> list[dict]:
    """The rows with ``partial`` set: the quarter had not ended at ``as_of``."""
    moment = pd.Timestamp(as_utc(as_of)).tz_localize(None)
    return [row | {"partial": bool(pd.Period(row["period"], freq="Q").end_time > moment)}
            for row in rows]  # fmt: skip


def _counted_series(
    engine: Engine, kpi: KpiDefinition, confidence: float, as_of: dt.datetime
) -> list[dict] | Unavailable:
    """A share per calendar quarter from the counts of another module's table."""
    counts = QUARTER_COUNTS[kpi.measure](engine, as_of=as_of)
    if isinstance(counts, Unavailable):
        return counts
    return [_share(str(period), int(events), int(trials), confidence)
            for period, events, trials in zip(counts.period, counts.events, counts.trials,
                                              strict=True)]  # fmt: skip


def _lifecycle_series(engine: Engine, kpi: KpiDefinition, confidence: float) -> list[dict]:
    """Churn rate or complaint rate per calendar quarter (population at risk: customers
    whose relationship was open at the quarter's start)."""
    with transaction(engine) as session:
        spells = pd.DataFrame(
            session.execute(select(Relationship.started_on, Relationship.ended_on)).all(),
            columns=["started_on", "ended_on"],
        )
        complaints = pd.Series(session.scalars(select(Complaint.received_at)).all(), dtype=object)
    if spells.empty:
        return []
    started = pd.to_datetime(spells.started_on)
    ended = pd.to_datetime(spells.ended_on)
    last = ended.max() if ended.notna().any() else started.max()
    if not complaints.empty:
        last = max(last, pd.to_datetime(complaints, utc=True).dt.tz_localize(None).max())
    rows = []
    received = pd.to_datetime(complaints, utc=True).dt.tz_localize(None)
    # records cover the quarters from the first recorded event on (earlier quarters
    # without any churn or complaint would set a false reference level)
    recorded = ended if kpi.measure == "churn_rate" else received
    if recorded.notna().sum() == 0:
        return []
    for quarter in _quarters(recorded.min(), last):
        begin, end = quarter.start_time, quarter.end_time
        at_risk = (started < begin) & (ended.isna() | (ended >= begin))
        trials = int(at_risk.sum())
        if trials == 0:
            continue
        if kpi.measure == "churn_rate":
            events = int((at_risk & (ended <= end)).sum())
            rows.append(_share(str(quarter), events, trials, confidence))
        else:
            count = int(((received >= begin) & (received <= end)).sum())
            exposure = trials / kpi.per
            low, high = poisson_interval(count, confidence=confidence)
            rows.append(_row(str(quarter), count / exposure, low / exposure, high / exposure,
                             trials, events=count, exposure=exposure))  # fmt: skip
    return rows


# ---------------------------------------------------------------------------- charts


def _chart(kpi: KpiDefinition, periods: pd.DataFrame) -> ControlChart | None:
    """The KPI's chart, its reference estimated from the periods before the latest."""
    if len(periods) <= MIN_REFERENCE_PERIODS:
        return None
    earlier = periods.iloc[:-1]
    kind = kpi.chart_kind()
    if kind == "p":
        p0 = float(earlier.events.sum() / earlier.exposure.sum())
        if not 0 < p0 < 1:
            return None
        return p_chart(periods.events, periods.exposure, p0=p0, alpha=kpi.alpha)
    if kind == "u":
        rate0 = float(earlier.events.sum() / earlier.exposure.sum())
        if not rate0 > 0:
            return None
        return u_chart(periods.events, periods.exposure, rate0=rate0, alpha=kpi.alpha)
    if periods.se.isna().any() or not (periods.se > 0).all():
        return None
    weights = 1 / earlier.se**2
    target = float((earlier.value * weights).sum() / weights.sum())
    chart = cusum_chart if kind == "cusum" else ewma_chart
    se = periods.se.to_numpy(dtype="float64")
    return chart(periods.value, target=target, se=se, arl0=kpi.arl0)


def shift_test(kpi: KpiDefinition, periods: pd.DataFrame) -> tuple[float, float] | None:
    r"""``(p_value, rate)``: whether the latest period differs from the earlier ones, by an
    exact test at the stated false-alarm ``rate`` (``None`` with too few periods).

    The chart's reference level is estimated from the earlier periods, and a chart drawn
    with an estimated reference signals more often than its nominal rate (about twice as
    often with seven earlier periods). So the alert uses a test whose size accounts for it:

    * p-chart (shares): the latest period's events given the total, hypergeometric;
    * u-chart (rates): the latest count given the total, binomial with the latest share of
      the exposure;
    * EWMA (means): the latest EWMA of the standardised means around the
      inverse-variance mean of the earlier periods, divided by its exact standard
      deviation (a linear combination of independent normal means), two-sided normal;
    * CUSUM (means): the latest mean against that reference (:math:`\lambda = 1`).

    ``rate`` is ``alpha`` for p and u charts and :math:`1/\mathrm{ARL}_0` for the others.
    """
    if len(periods) <= MIN_REFERENCE_PERIODS:
        return None
    kind = kpi.chart_kind()
    if kind in ("p", "u"):
        events = periods.events.to_numpy(dtype="float64")
        exposure = periods.exposure.to_numpy(dtype="float64")
        x, total = int(events[-1]), int(events.sum())
        if kind == "p":
            shape: tuple[float, ...] = (int(exposure.sum()), total, int(exposure[-1]))
            low, high = sps.hypergeom.cdf(x, *shape), sps.hypergeom.sf(x - 1, *shape)
        else:
            shape = (total, exposure[-1] / exposure.sum())
            low, high = sps.binom.cdf(x, *shape), sps.binom.sf(x - 1, *shape)
        p_value = min(1.0, 2 * min(float(low), float(high)))
        return p_value, kpi.alpha
    se = periods.se.to_numpy(dtype="float64")
    if not (np.isfinite(se).all() and (se > 0).all()):
        return None
    value = periods.value.to_numpy(dtype="float64")
    lam = 1.0 if kind == "cusum" else 0.2
    ages = np.arange(len(value))[::-1]
    weight = lam * (1 - lam) ** ages / se  # EWMA weight of each period's raw mean
    reference = np.zeros_like(value)
    reference[:-1] = 1 / se[:-1] ** 2 / np.sum(1 / se[:-1] ** 2)
    coefficients = weight - weight.sum() * reference
    statistic = float(coefficients @ value)
    spread = float(np.sqrt(np.sum(coefficients**2 * se**2)))
    return float(2 * sps.norm.sf(abs(statistic) / spread)), 1 / kpi.arl0


def _alerts(
    kpi: KpiDefinition, name: str, periods: pd.DataFrame, chart: ControlChart | None,
    target: float | None, tolerance: float,
) -> tuple[KpiAlert, ...]:  # fmt: skip
    if periods.empty:
        return ()
    last = periods.iloc[-1]
    common: dict[str, Any] = {
        "kpi": kpi.id, "series": name, "period": str(last.period), "value": float(last.value),
        "ci_low": float(last.ci_low), "ci_high": float(last.ci_high), "target": target,
        "tolerance": tolerance, "direction": kpi.direction, "owner": kpi.owner,
    }  # fmt: skip
    alerts = []
    shift = shift_test(kpi, periods)
    if shift is not None and shift[0] <= shift[1]:
        alerts.append(KpiAlert(kind="shift", chart=kpi.chart_kind(), false_alarm_rate=shift[1],
                               **common))  # fmt: skip
    if target is not None:
        worse = last.value < target - tolerance if kpi.direction == "higher" else (
            last.value > target + tolerance)  # fmt: skip
        if worse:
            alerts.append(KpiAlert(kind="target_missed", chart=None, false_alarm_rate=None,
                                   **common))  # fmt: skip
    return tuple(alerts)


# ---------------------------------------------------------------------------- evaluation


def _default_instrument(engine: Engine) -> str | None:
    with transaction(engine) as session:
        newest = session.scalars(
            select(Survey).order_by(Survey.period_start.desc().nulls_last(), Survey.id.desc())
        ).first()
        return None if newest is None else newest.instrument.key


def evaluate_kpis(
    engine: Engine,
    definitions: Sequence[KpiDefinition] | None = None,
    *,
    confidence: float = 0.95,
    as_of: dt.datetime | None = None,
) -> list[KpiSeries]:
    """Every KPI's series (built-in definitions by default), chart and alerts, as of
    ``as_of`` (default: now), which decides the periods that are still ``partial``."""
    kpis = builtin_kpis() if definitions is None else list(definitions)
    moment = as_utc(as_of) if as_of is not None else now()
    fallback = _default_instrument(engine)
    out: list[KpiSeries] = []
    for kpi in kpis:
        target, tolerance = kpi.target_for(None)
        found: Mapping[tuple[str, str | None], list[dict]] | Unavailable
        if kpi.measure in SURVEY_MEASURES:
            instrument = kpi.instrument or fallback
            found = {} if instrument is None else _survey_series(
                engine, kpi, instrument, confidence, moment)  # fmt: skip
        elif kpi.measure in ("churn_rate", "complaint_rate"):
            found = {(kpi.id, None): _quarter_partial(
                _lifecycle_series(engine, kpi, confidence), moment)}  # fmt: skip
        else:
            counted = _counted_series(engine, kpi, confidence, moment)
            found = counted if isinstance(counted, Unavailable) else {
                (kpi.id, None): _quarter_partial(counted, moment)}  # fmt: skip
        if isinstance(found, Unavailable) or not any(found.values()):
            reason = found if isinstance(found, Unavailable) else _no_values(engine, kpi, fallback)
            out.append(_empty(kpi, target, tolerance, reason))
            continue
        for (name, segment), rows in found.items():
            periods = pd.DataFrame(rows, columns=list(SERIES_COLUMNS))
            periods["partial"] = periods["partial"].astype(bool)
            complete = periods[~periods["partial"]].reset_index(drop=True)
            target, tolerance = kpi.target_for(segment)
            chart = _chart(kpi, complete)
            label = name if segment is None else f"{name} [{segment}]"
            out.append(
                KpiSeries(
                    kpi=kpi,
                    series=label,
                    segment=segment,
                    periods=periods,
                    target=target,
                    tolerance=tolerance,
                    chart=chart,
                    alerts=_alerts(kpi, label, complete, chart, target, tolerance),
                )
            )
    return out


def _no_values(engine: Engine, kpi: KpiDefinition, fallback: str | None) -> Unavailable:
    """Why a survey measure gave no period: an instrument without index items, else no
    data."""
    instrument = kpi.instrument or fallback
    if kpi.measure == "satisfaction_index" and instrument is not None:
        keys = surveys_of_instrument(engine, instrument)
        try:
            if keys:
                index_indicators(load_survey(engine, keys[-1]).instrument, "acsi")
        except ValidationError:
            return Unavailable("no_index_items", {"instrument": instrument})
    return Unavailable("no_data")


def _empty(
    kpi: KpiDefinition, target: float | None, tolerance: float, reason: Unavailable
) -> KpiSeries:
    return KpiSeries(kpi=kpi, series=kpi.id, segment=None,
                     periods=pd.DataFrame(columns=list(SERIES_COLUMNS)), target=target,
                     tolerance=tolerance, chart=None, unavailable=reason)  # fmt: skip


# ---------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class OutboxMessage:
    """A message to a KPI owner about an alert, ready for a notification outbox."""

    recipient: str
    key: str
    """Idempotency key: one message per KPI series, period and kind."""
    template: str
    params: dict[str, Any]


def outbox_messages(alerts: Sequence[KpiAlert]) -> list[OutboxMessage]:
    """Alerts with an owner as outbox messages (template = the ``kpi.po`` message key)."""
    return [
        OutboxMessage(
            recipient=a.owner,
            key=f"kpi:{a.series}:{a.period}:{a.kind}",
            template=f"kpi_alert_{a.kind}",
            params=a.to_dict(),
        )
        for a in alerts
        if a.owner
    ]
