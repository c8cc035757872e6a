r"""Statistics across survey waves and over a whole battery.

* :func:`mean_interval`: the mean of one sample with its normal-approximation interval.
* :func:`perception_trend`: :func:`mean_interval` of every dimension in every wave.
* :func:`wave_change`: the change of a mean (or share) between two independent waves,
  with its two-sided z test.
* :func:`se_from_interval`: the standard error behind a symmetric normal interval.
* :func:`overall_gap`: the gap of all items taken together, and the share of respondents
  below their own reference level.

A change between two waves (independent samples) is

.. math:: \Delta = m_1 - m_0, \quad z = \Delta / \sqrt{SE_1^2 + SE_0^2},
   \quad p = 2\,(1 - \Phi(|z|))

Reference: Agresti, A., & Finlay, B. (2009). *Statistical Methods for the Social
Sciences* (4th ed.), sections 5.3 (interval for a mean, large samples) and 7.1-7.3
(comparing two means and two proportions with independent samples).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import ValidationError
from cxgap.stats.gaps import gap_scores
from cxgap.stats.loyalty import wilson_interval
from cxgap.stats.moments import Moments
from cxgap.stats.tolerance import tolerance_zone

TREND_COLUMNS = ("survey", "wave", "dimension", "n", "mean_perceived", "se", "ci_low", "ci_high")
"""Columns of :func:`perception_trend`, one row per wave and dimension."""


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2))


@dataclass(frozen=True)
class MeanInterval:
    """Result of :func:`mean_interval`. ``se`` and the interval are NaN below two values;
    every field is NaN (``n`` 0) for an empty sample."""

    n: int
    mean: float
    se: float
    ci_low: float
    ci_high: float


def mean_interval(
    values: pd.Series | np.ndarray | Moments, *, confidence: float = 0.95
) -> MeanInterval:
    r"""Mean of the non-missing ``values`` with the interval :math:`\bar x \pm z\,s/\sqrt n`.

    ``s`` is the sample standard deviation (``ddof=1``) and ``z`` the normal quantile of
    ``confidence``: the large-sample interval of Agresti & Finlay (2009, section 5.3).
    ``values`` may also be the one-column :class:`~cxgap.stats.Moments` of the values.

    >>> r = mean_interval(np.array([4.0, 5.0, 6.0, 5.0]), confidence=0.95)
    >>> r.n, round(r.mean, 3), round(r.se, 4), round(r.ci_low, 4), round(r.ci_high, 4)
    (4, 5.0, 0.4082, 4.1998, 5.8002)
    """
    z = _z(confidence)
    if not isinstance(values, Moments):
        array = np.asarray(values, dtype="float64")
        array = array[~np.isnan(array)]
        if not array.size:
            return MeanInterval(0, math.nan, math.nan, math.nan, math.nan)
        values = Moments.from_arrays(array)
    n = int(values.count()[0])
    mean = float(values.mean()[0]) if n else math.nan
    se = float(np.sqrt(max(values.var()[0], 0.0)) / np.sqrt(n)) if n > 1 else math.nan
    return MeanInterval(n, mean, se, mean - z * se, mean + z * se)


def perception_trend(
    waves: Sequence[tuple[str, str, pd.DataFrame | Moments]], *, confidence: float = 0.95
) -> pd.DataFrame:
    """Mean perception of each dimension in each wave, with its interval.

    Args:
        waves: oldest first, ``(survey key, wave name, scores)`` where ``scores`` has one
            row per respondent and one column per dimension, or the
            :class:`~cxgap.stats.Moments` of those columns (one group).

    Returns:
        One row per wave and dimension, columns :data:`TREND_COLUMNS`
        (:func:`mean_interval` of each column).
    """
    rows = []
    for survey, wave, scores in waves:
        for dim in scores.columns:
            column = scores.select([dim]) if isinstance(scores, Moments) else scores[dim]
            m = mean_interval(column, confidence=confidence)
            rows.append(
                {
                    "survey": survey,
                    "wave": wave,
                    "dimension": dim,
                    "n": m.n,
                    "mean_perceived": m.mean,
                    "se": m.se,
                    "ci_low": m.ci_low,
                    "ci_high": m.ci_high,
                }
            )
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))


@dataclass(frozen=True)
class WaveChange:
    """Result of :func:`wave_change`; ``p`` is NaN when the standard error is not positive."""

    change: float
    se: float
    z: float
    p: float


def wave_change(
    current: float, current_se: float, previous: float, previous_se: float
) -> WaveChange:
    r"""Change from an earlier wave and its two-sided z test for independent samples.

    :math:`\Delta = m_1 - m_0`, :math:`SE = \sqrt{SE_1^2 + SE_0^2}`, :math:`z = \Delta/SE`
    (Agresti & Finlay, 2009, sections 7.1-7.3).

    >>> c = wave_change(6.1, 0.05, 6.3, 0.05)
    >>> round(c.change, 2), round(c.se, 4), round(c.z, 3), round(c.p, 4)
    (-0.2, 0.0707, -2.828, 0.0047)
    """
    change = float(current - previous)
    se = float(np.hypot(current_se, previous_se))
    if se > 0:
        z = change / se
        return WaveChange(change, se, z, float(2 * sps.norm.sf(abs(z))))
    return WaveChange(change, se, math.nan, math.nan)


def se_from_interval(low: float, high: float, confidence: float) -> float:
    r"""Standard error behind a symmetric normal interval: :math:`(high - low) / 2z`.

    >>> round(se_from_interval(-0.196, 0.196, 0.95), 4)
    0.1
    """
    return float((high - low) / (2 * _z(confidence)))


@dataclass(frozen=True)
class OverallGap:
    """Result of :func:`overall_gap`.

    ``value`` is the overall gap (overall MSA against the adequate level, or perceived
    minus expected) with its interval and standard error; ``share_below`` the share of
    respondents whose mean perception is below their mean reference level, with its
    Wilson interval and binomial standard error.
    """

    reference: Literal["adequate", "expected"]
    n: int
    value: float
    ci_low: float
    ci_high: float
    se: float
    share_below: float
    share_ci_low: float
    share_ci_high: float
    share_se: float


def overall_gap(
    perceived: pd.DataFrame,
    *,
    adequate: pd.DataFrame | None = None,
    desired: pd.DataFrame | None = None,
    expected: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> OverallGap:
    """The gap of all items of a battery taken together.

    With ``adequate`` and ``desired`` (a zone-of-tolerance battery) every item forms one
    ``overall`` dimension of :func:`cxgap.stats.tolerance_zone`: the overall MSA and the
    share of respondents whose mean perception is below their mean adequate level.
    With ``expected`` (an expectation/perception battery) the overall row of
    :func:`cxgap.stats.gap_scores` and the share of respondents whose mean perception is
    below their mean expectation. The gap's ``se`` is that of its t interval (SD over
    :math:`\\sqrt n`). The share's interval is Wilson's
    (:func:`cxgap.stats.loyalty.wilson_interval`).
    """
    reference: Literal["adequate", "expected"]
    if adequate is not None and desired is not None:
        zone = tolerance_zone(
            adequate,
            desired,
            perceived,
            dimensions=dict.fromkeys(perceived.columns, "overall"),
            confidence=confidence,
        )
        return overall_gap_of_zone(
            zone.summary[zone.summary["level"] == "dimension"].iloc[0], confidence=confidence
        )
    if expected is not None:
        gaps = gap_scores(perceived, expected, confidence=confidence)
        row = gaps.summary[gaps.summary["level"] == "overall"].iloc[0]
        per_respondent = (perceived.mean(axis=1) - expected.mean(axis=1)).dropna()
        n, share = len(per_respondent), float((per_respondent < 0).mean())
        gap = (float(row["mean_gap"]), float(row["ci_low"]), float(row["ci_high"]))
        se = float(row["se"])
        reference = "expected"
    else:
        raise ValidationError("overall_gap needs adequate and desired levels, or expectations")
    return _overall(reference, n, gap, se, share, confidence)


def overall_gap_of_zone(row: pd.Series, *, confidence: float = 0.95) -> OverallGap:
    """:func:`overall_gap` of a zone-of-tolerance battery from the row of
    :attr:`~cxgap.stats.ToleranceZone.summary` that takes all its items as one dimension
    (from arrays, or from sums: :func:`cxgap.stats.tolerance.zone_from_sums`)."""
    n, share = int(row["n"]), float(row["share_below_adequate"])
    gap = (float(row["msa"]), float(row["msa_ci_low"]), float(row["msa_ci_high"]))
    # The MSA interval is a t interval with n - 1 degrees of freedom.
    t = float(sps.t.ppf(0.5 + confidence / 2, n - 1))
    return _overall("adequate", n, gap, (gap[2] - gap[1]) / (2 * t), share, confidence)


def _overall(
    reference: Literal["adequate", "expected"],
    n: int,
    gap: tuple[float, float, float],
    se: float,
    share: float,
    confidence: float,
) -> OverallGap:
    low, high = wilson_interval(share * n, n, confidence=confidence)
    return OverallGap(
        reference=reference,
        n=n,
        value=gap[0],
        ci_low=gap[1],
        ci_high=gap[2],
        se=float(se),
        share_below=share,
        share_ci_low=float(low),
        share_ci_high=float(high),
        share_se=float(np.sqrt(share * (1 - share) / max(n, 1))),
    )
