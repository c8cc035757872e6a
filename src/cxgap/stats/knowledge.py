r"""Gap 1, the knowledge gap: what managers believe customers expect against what they expect.

Managers answer the customer questionnaire as they believe a typical customer would
(the management survey); customers answer it for themselves. For every item (and every
dimension, using each respondent's mean over the dimension's items) the difference

.. math:: d = \bar x_M - \bar x_C

is tested with Welch's t test (unequal variances), its interval uses the Welch-Satterthwaite
degrees of freedom

.. math:: \nu = \frac{(s_M^2/n_M + s_C^2/n_C)^2}
   {\frac{(s_M^2/n_M)^2}{n_M-1} + \frac{(s_C^2/n_C)^2}{n_C-1}},
   \qquad d \pm t_{\nu,1-\alpha/2}\sqrt{s_M^2/n_M + s_C^2/n_C}

and the effect size is Hedges' g (pooled standard deviation, small-sample correction
:math:`J = 1 - 3/(4(n_M+n_C)-9)`). p-values are adjusted across items (and, separately,
across dimensions) with Benjamini-Hochberg. An item is *underestimated* when managers' mean
is below customers' with an adjusted p-value under ``alpha``, *overestimated* when above.

When both surveys carry importance points, the agreement of the dimensions' importance
ranks is Kendall's tau-b.

References: Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1985). A conceptual model of
service quality and its implications for future research. *Journal of Marketing*, 49(4),
41-50. Welch, B. L. (1947). The generalization of "Student's" problem when several different
population variances are involved. *Biometrika*, 34, 28-35. Hedges, L. V. (1981).
Distribution theory for Glass's estimator of effect size. *Journal of Educational
Statistics*, 6(2), 107-128.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix, check_confidence, dimension_map
from cxgap.stats.result import StatResult
from cxgap.stats.segments import fdr_bh

__all__ = ["KNOWLEDGE_COLUMNS", "KnowledgeGap", "WelchDifference", "knowledge_gap", "welch"]

KNOWLEDGE_COLUMNS = (
    "level",
    "item",
    "dimension",
    "n_managers",
    "n_customers",
    "manager_mean",
    "customer_mean",
    "difference",
    "ci_low",
    "ci_high",
    "t",
    "df",
    "p",
    "p_adjusted",
    "hedges_g",
    "finding",
)
"""Columns of :attr:`KnowledgeGap.summary`: one row per item (``level`` ``item``), then one
per dimension (``level`` ``dimension``, ``item`` empty)."""


@dataclass(frozen=True)
class WelchDifference:
    """Difference of two independent means (``first - second``) with Welch's test."""

    n_first: int
    n_second: int
    mean_first: float
    mean_second: float
    difference: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p: float
    hedges_g: float


def welch(first: np.ndarray, second: np.ndarray, *, confidence: float = 0.95) -> WelchDifference:
    """Welch's two-sample t test of ``first - second`` on the non-missing values, with the
    interval of the difference and Hedges' g. Fields are NaN below two values in a group.

    >>> r = welch(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0, 7.0]))
    >>> round(r.difference, 3), round(r.t, 3), round(r.df, 2), round(r.p, 4)
    (-2.5, -2.611, 6.98, 0.0349)
    """
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    na, nb = int(a.size), int(b.size)
    ma = float(a.mean()) if na else math.nan
    mb = float(b.mean()) if nb else math.nan
    nan = math.nan
    if na < 2 or nb < 2:
        return WelchDifference(na, nb, ma, mb, ma - mb, nan, nan, nan, nan, nan, nan)
    va, vb = float(a.var(ddof=1)), float(b.var(ddof=1))
    se2 = va / na + vb / nb
    diff = ma - mb
    if se2 <= 0:  # both groups constant: no spread to test against
        return WelchDifference(na, nb, ma, mb, diff, diff, diff, nan, nan, nan, nan)
    se = math.sqrt(se2)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    t = diff / se
    p = float(2 * sps.t.sf(abs(t), df))
    q = float(sps.t.ppf(0.5 + confidence / 2, df))
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    j = 1 - 3 / (4 * (na + nb) - 9)
    g = diff / pooled * j if pooled > 0 else nan
    return WelchDifference(na, nb, ma, mb, diff, diff - q * se, diff + q * se, t, df, p, g)


@dataclass(frozen=True)
class KnowledgeGap(StatResult):
    """Result of :func:`knowledge_gap`.

    ``summary`` has the columns :data:`KNOWLEDGE_COLUMNS`. ``finding`` is
    ``underestimated``, ``overestimated`` or ``none``. Scalars: ``underestimated`` and
    ``overestimated`` (item counts), ``rank_tau`` and ``rank_p`` (Kendall's tau-b of the
    dimensions' importance and its p-value; NaN without importance data), ``alpha``.
    ``importance`` lists each dimension's mean importance points for managers and customers.
    """

    underestimated: int
    overestimated: int
    rank_tau: float
    rank_p: float
    alpha: float
    importance: pd.DataFrame


def _finding(difference: float, p_adjusted: float, alpha: float) -> str:
    if not p_adjusted < alpha:
        return "none"
    return "underestimated" if difference < 0 else "overestimated"


def _rows(
    level: str,
    labels: list[tuple[str, str]],
    managers: np.ndarray,
    customers: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for j, (item, dimension) in enumerate(labels):
        w = welch(managers[:, j], customers[:, j], confidence=confidence)
        rows.append(
            {
                "level": level,
                "item": item,
                "dimension": dimension,
                "n_managers": w.n_first,
                "n_customers": w.n_second,
                "manager_mean": w.mean_first,
                "customer_mean": w.mean_second,
                "difference": w.difference,
                "ci_low": w.ci_low,
                "ci_high": w.ci_high,
                "t": w.t,
                "df": w.df,
                "p": w.p,
                "hedges_g": w.hedges_g,
            }
        )
    frame = pd.DataFrame(rows)
    frame["p_adjusted"] = fdr_bh(frame["p"].to_numpy())
    return frame


def _dimension_means(values: np.ndarray, groups: Mapping[Hashable, np.ndarray]) -> np.ndarray:
    columns = []
    for positions in groups.values():
        block = values[:, positions]
        counts = (~np.isnan(block)).sum(axis=1)
        sums = np.nansum(block, axis=1)
        columns.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    return np.column_stack(columns)


def _importance(
    managers: Mapping[Any, Any] | pd.DataFrame | None,
    customers: Mapping[Any, Any] | pd.DataFrame | None,
) -> tuple[pd.DataFrame, float, float]:
    empty = pd.DataFrame(columns=["dimension", "manager_points", "customer_points"])
    if managers is None or customers is None:
        return empty, math.nan, math.nan
    m = as_matrix(managers, name="manager_importance", min_rows=1)
    c = as_matrix(customers, name="customer_importance", min_rows=1)
    if m.columns != c.columns:
        raise DataError(
            f"manager_importance: columns {m.columns!r} differ from customer_importance "
            f"columns {c.columns!r}; allowed: the same dimensions in both"
        )
    mm, cm = np.nanmean(m.values, axis=0), np.nanmean(c.values, axis=0)
    frame = pd.DataFrame(
        {"dimension": [str(d) for d in m.columns], "manager_points": mm, "customer_points": cm}
    )
    if len(m.columns) < 3:
        return frame, math.nan, math.nan
    tau = sps.kendalltau(mm, cm)
    return frame, float(tau.statistic), float(tau.pvalue)


def knowledge_gap(
    managers: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    dimensions: Mapping[Any, Any],
    alpha: float = 0.05,
    confidence: float = 0.95,
    manager_importance: pd.DataFrame | None = None,
    customer_importance: pd.DataFrame | None = None,
) -> KnowledgeGap:
    """Compare managers' estimates of customer expectations with customers' own answers.

    Args:
        managers: one row per manager, one column per item (an expectation level, e.g.
            the desired or the adequate level).
        customers: one row per customer, the same item columns.
        dimensions: ``{item: dimension}`` or ``{dimension: [items]}`` for every item.
        alpha: the false discovery rate below which a difference counts as a finding.
        confidence: level of the intervals.
        manager_importance, customer_importance: optional importance points per
            dimension (one column per dimension) for the rank agreement.

    >>> m = pd.DataFrame({"a": [5, 6, 5, 6, 5, 6.0], "b": [7, 8, 7, 8, 7, 8.0]})
    >>> c = pd.DataFrame({"a": [7, 8, 7, 8, 7, 8.0], "b": [7, 8, 8, 7, 7, 8.0]})
    >>> r = knowledge_gap(m, c, dimensions={"a": "x", "b": "y"})
    >>> r.summary.loc[r.summary.level == "item", ["item", "finding"]].values.tolist()
    [['a', 'underestimated'], ['b', 'none']]
    """
    check_confidence(confidence)
    check_confidence(alpha)
    mat_m = as_matrix(managers, name="managers", min_rows=2)
    mat_c = as_matrix(customers, name="customers", min_rows=2)
    missing = [c for c in mat_m.columns if c not in mat_c.columns]
    if missing:
        raise DataError(
            f"customers: lacks item column(s) {missing!r} that managers has; allowed: the "
            "same item columns in both"
        )
    mat_c = mat_c.select(mat_m.columns)
    groups = dimension_map(mat_m.columns, dimensions)
    item_dim = {
        str(mat_m.columns[p]): str(dim) for dim, positions in groups.items() for p in positions
    }
    items = _rows(
        "item",
        [(str(c), item_dim[str(c)]) for c in mat_m.columns],
        mat_m.values,
        mat_c.values,
        confidence,
    )
    dims = _rows(
        "dimension",
        [("", str(d)) for d in groups],
        _dimension_means(mat_m.values, groups),
        _dimension_means(mat_c.values, groups),
        confidence,
    )
    summary = pd.concat([items, dims], ignore_index=True)
    summary["finding"] = [
        _finding(d, p, alpha)
        for d, p in zip(summary["difference"], summary["p_adjusted"], strict=True)
    ]
    summary = summary[list(KNOWLEDGE_COLUMNS)]
    importance, tau, tau_p = _importance(manager_importance, customer_importance)
    item_findings = summary.loc[summary["level"] == "item", "finding"]
    return KnowledgeGap(
        summary=summary,
        underestimated=int((item_findings == "underestimated").sum()),
        overestimated=int((item_findings == "overestimated").sum()),
        rank_tau=tau,
        rank_p=tau_p,
        alpha=alpha,
        importance=importance,
    )
