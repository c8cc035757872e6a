r"""The gap model's organisational factors against each unit's gaps.

Employees of each unit answer the employee survey (management commitment, goal setting,
task standardisation, perceived feasibility, teamwork, employee-job fit, technology-job
fit, perceived control, supervisory control, role conflict, role ambiguity, horizontal
communication, propensity to over-promise). Each unit's mean factor score is related to
the unit's gap (for instance its shortfall from a standard's compliance) with Spearman's
rank correlation

.. math:: \rho = 1 - \frac{6 \sum d_u^2}{k(k^2 - 1)}

(ties get mid-ranks), its p-value, and Benjamini-Hochberg across factors. With few units
the test has little power: a factor is named only when its adjusted p-value is below
``alpha``.

References: Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1988). Communication and
control processes in the delivery of service quality. *Journal of Marketing*, 52(2), 35-48.
Spearman, C. (1904). *American Journal of Psychology*, 15, 72-101.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix
from cxgap.stats.result import StatResult
from cxgap.stats.segments import fdr_bh

__all__ = ["FACTOR_COLUMNS", "FactorRelation", "factor_relation"]

FACTOR_COLUMNS = ("factor", "units", "rho", "p", "p_adjusted", "related")
"""Columns of :attr:`FactorRelation.summary`, one row per factor."""


@dataclass(frozen=True)
class FactorRelation(StatResult):
    """Result of :func:`factor_relation`; ``summary`` has :data:`FACTOR_COLUMNS`.
    Scalars: ``units`` (how many units had both scores and a gap), ``alpha``."""

    units: int
    alpha: float


def factor_relation(
    factors: pd.DataFrame, gap: pd.Series, *, alpha: float = 0.05
) -> FactorRelation:
    """Spearman correlation of each factor's unit means with the units' gap.

    Args:
        factors: one row per unit (index = unit), one column per factor (mean scores).
        gap: the gap per unit (same index labels); larger = a bigger gap.

    >>> f = pd.DataFrame({"teamwork": [4.1, 3.2, 2.5, 3.9, 2.0]}, index=list("abcde"))
    >>> g = pd.Series([0.02, 0.08, 0.15, 0.03, 0.2], index=list("abcde"))
    >>> float(round(factor_relation(f, g).summary.loc[0, "rho"], 3))
    -1.0
    """
    matrix = as_matrix(factors, name="factors", min_rows=1)
    gap_values = pd.to_numeric(pd.Series(gap), errors="coerce")
    unknown = [u for u in factors.index if u not in gap_values.index]
    if unknown:
        raise DataError(
            f"gap: has no value for unit(s) {unknown!r}; allowed: a gap for every unit of factors"
        )
    y = gap_values.reindex(factors.index).to_numpy(dtype=np.float64)
    rows: list[dict[str, Any]] = []
    for j, column in enumerate(matrix.columns):
        x = matrix.values[:, j]
        ok = ~np.isnan(x) & ~np.isnan(y)
        k = int(ok.sum())
        rho = p = math.nan
        if k >= 3 and np.ptp(x[ok]) > 0 and np.ptp(y[ok]) > 0:
            result = sps.spearmanr(x[ok], y[ok])
            rho, p = float(result.statistic), float(result.pvalue)
        rows.append({"factor": str(column), "units": k, "rho": rho, "p": p})
    summary = pd.DataFrame(rows)
    summary["p_adjusted"] = fdr_bh(summary["p"].to_numpy(dtype=np.float64))
    summary["related"] = summary["p_adjusted"] < alpha
    units = int((~np.isnan(y)).sum())
    return FactorRelation(summary=summary[list(FACTOR_COLUMNS)], units=units, alpha=alpha)
