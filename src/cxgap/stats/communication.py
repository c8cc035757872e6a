r"""Gap 4, the communication gap: what was promised outside against what was delivered.

For a promise with a promised level :math:`L` (e.g. "a technician within 4 hours") and the
delivered values :math:`x_{ut}` of the same metric per unit :math:`u` and period :math:`t`:

- the promise is **broken** when the delivered mean is worse than :math:`L`, overall or in
  a unit: a one-sample t test of the unit-period values against :math:`L` (two-sided p
  below ``alpha`` and the mean on the wrong side); each unit is tested the same way, its
  p-value adjusted with Benjamini-Hochberg across units, which names the units that break
  it;
- the promise **raises expectations** when customers exposed to it expect more of the
  item than customers who were not (Welch's t test on their expectation levels; "more"
  is a higher level on the survey's scale);
- it is **over-promising** when it is both broken and raises expectations: the promise
  lifts expectations above what is delivered.

References: Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1988). Communication and
control processes in the delivery of service quality. *Journal of Marketing*, 52(2), 35-48.
Benjamini, Y., & Hochberg, Y. (1995). *JRSS B*, 57(1), 289-300.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import check_confidence
from cxgap.stats.knowledge import welch
from cxgap.stats.result import StatResult
from cxgap.stats.segments import fdr_bh

__all__ = ["PROMISE_UNIT_COLUMNS", "PromiseCheck", "promise_check"]

PROMISE_UNIT_COLUMNS = (
    "unit",
    "periods",
    "delivered_mean",
    "ci_low",
    "ci_high",
    "p_adjusted",
    "broken",
)
"""Columns of :attr:`PromiseCheck.summary`, one row per unit."""


@dataclass(frozen=True)
class PromiseCheck(StatResult):
    """Result of :func:`promise_check`.

    Scalars: ``promised``, ``delivered_mean`` with its t interval ``ci_low``/``ci_high``
    and ``p`` (against the promised level), ``broken`` (overall or in a unit),
    ``share_broken`` (of unit-periods
    worse than promised), ``exposure_difference`` (exposed minus unexposed expectation,
    NaN without exposure data) with ``exposure_p``, ``raises_expectations`` and
    ``finding`` (``over_promising``, ``broken`` or ``none``).
    """

    promised: float
    delivered_mean: float
    ci_low: float
    ci_high: float
    p: float
    broken: bool
    share_broken: float
    exposure_difference: float
    exposure_p: float
    raises_expectations: bool
    finding: str


def _one_sample(values: np.ndarray, level: float, confidence: float) -> tuple[float, ...]:
    n = values.size
    mean = float(values.mean()) if n else math.nan
    if n < 2 or float(values.std(ddof=1)) == 0:
        return mean, math.nan, math.nan, math.nan
    se = float(values.std(ddof=1) / math.sqrt(n))
    q = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
    p = float(sps.ttest_1samp(values, level).pvalue)
    return mean, mean - q * se, mean + q * se, p


def promise_check(
    promised: float,
    delivered: pd.DataFrame,
    *,
    higher_is_better: bool,
    exposed: np.ndarray | None = None,
    unexposed: np.ndarray | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> PromiseCheck:
    """Check one promise against delivery and, when given, customers' exposure to it.

    Args:
        promised: the promised level, in the units of the delivered values.
        delivered: columns ``unit``, ``period`` and ``value`` (one row per unit-period).
        higher_is_better: whether a higher value is better service (a first-time fix rate)
            or a lower one (hours to arrive).
        exposed, unexposed: expectation levels of customers who saw the promise and of
            those who did not.

    >>> d = pd.DataFrame({"unit": ["a", "a", "b", "b"], "period": ["1", "2", "1", "2"],
    ...                   "value": [5.8, 6.1, 5.9, 6.3]})
    >>> r = promise_check(4.0, d, higher_is_better=False)
    >>> r.broken, r.share_broken, r.finding
    (True, 1.0, 'broken')
    """
    check_confidence(confidence)
    check_confidence(alpha)
    if not isinstance(promised, int | float) or not math.isfinite(promised):
        raise DataError(f"promised: got {promised!r}; allowed: a finite number")
    lacking = [c for c in ("unit", "period", "value") if c not in delivered.columns]
    if lacking:
        raise DataError(f"delivered: lacks column(s) {lacking!r}; allowed: unit, period, value")
    values = pd.to_numeric(delivered["value"], errors="coerce").to_numpy(dtype=np.float64)
    keep = ~np.isnan(values)
    frame = delivered.loc[keep, ["unit", "period"]].assign(value=values[keep])

    def worse(x: np.ndarray | float) -> Any:
        return np.less(x, promised) if higher_is_better else np.greater(x, promised)

    mean, low, high, p = _one_sample(frame["value"].to_numpy(), promised, confidence)
    overall_broken = bool(p < alpha and worse(mean))
    rows: list[dict[str, Any]] = []
    for unit, part in frame.groupby("unit", sort=True):
        u_mean, u_low, u_high, u_p = _one_sample(part["value"].to_numpy(), promised, confidence)
        rows.append(
            {
                "unit": str(unit),
                "periods": len(part),
                "delivered_mean": u_mean,
                "ci_low": u_low,
                "ci_high": u_high,
                "p": u_p,
                "worse": bool(worse(u_mean)),
            }
        )
    summary = pd.DataFrame(
        rows, columns=["unit", "periods", "delivered_mean", "ci_low", "ci_high", "p", "worse"]
    )
    summary["p_adjusted"] = fdr_bh(summary["p"].to_numpy(dtype=np.float64))
    summary["broken"] = (summary["p_adjusted"] < alpha) & summary["worse"].astype(bool)
    broken = overall_broken or bool(summary["broken"].any())
    share = float(np.mean(worse(frame["value"].to_numpy()))) if len(frame) else math.nan
    exposure_difference = exposure_p = math.nan
    raises = False
    if exposed is not None and unexposed is not None:
        w = welch(np.asarray(exposed, float), np.asarray(unexposed, float), confidence=confidence)
        exposure_difference, exposure_p = w.difference, w.p
        raises = bool(w.p < alpha and w.difference > 0)
    finding = "over_promising" if broken and raises else "broken" if broken else "none"
    return PromiseCheck(
        summary=summary[list(PROMISE_UNIT_COLUMNS)],
        promised=float(promised),
        delivered_mean=mean,
        ci_low=low,
        ci_high=high,
        p=p,
        broken=broken,
        share_broken=share,
        exposure_difference=exposure_difference,
        exposure_p=exposure_p,
        raises_expectations=raises,
        finding=finding,
    )
