"""Headline loyalty and satisfaction scores: NPS, CSAT and CES with their intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.errors import DataError
from cxgap.stats._validate import (
    as_vector,
    check_confidence,
    check_integer_values,
    require_count,
)
from cxgap.stats.gaps import t_statistics
from cxgap.stats.moments import Counts
from cxgap.stats.result import StatResult

__all__ = [
    "CES",
    "CSAT",
    "NPS",
    "NPSComparison",
    "ces",
    "compare_nps",
    "csat",
    "nps",
    "wilson_interval",
]

_CATEGORIES = ("promoters", "passives", "detractors")


def wilson_interval(
    successes: np.ndarray | float, n: np.ndarray | float, *, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (vectorised).

    .. math::

        \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Reference: Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA*, 22, 209-212.
    """
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    n = np.asarray(n, dtype=np.float64)
    p = np.asarray(successes, dtype=np.float64) / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def _tally(
    scores: Any, *, name: str, scale: tuple[float, float] | None = None, whole: bool = False
) -> Counts:
    """The value counts of one set of answers: given :class:`~cxgap.stats.Counts` (one
    group) are checked against the scale, anything else is validated and counted. Every
    score below is computed from these counts, whichever the input was."""
    low, high = scale if scale is not None else (-np.inf, np.inf)
    if isinstance(scores, Counts):
        if len(scores.groups) != 1:
            raise DataError(
                f"{name}: counts of {len(scores.groups)} groups; allowed: one (use .group())"
            )
        seen = scores.counts[0] > 0
        tally = Counts(scores.values[seen], scores.counts[:, seen], scores.groups, name)
        tally.check_values(low=low, high=high, whole=whole)
    else:
        matrix = as_vector(scores, name=name, scale=None if whole else scale)
        if whole:
            check_integer_values(matrix, low=int(low), high=int(high))
        tally = Counts.from_values(matrix, name=name)
    require_count(int(tally.n[0]), 1, name=name, what="the number of non-missing answers")
    return tally


@dataclass(frozen=True)
class NPS(StatResult):
    """Result of :func:`nps`.

    ``summary`` has a first row ``nps`` (``count`` = n, ``share`` = the NPS as a fraction
    -1..1, its interval in ``ci_low``/``ci_high``), then one row per category (promoters,
    passives, detractors): ``category``, ``count``, ``share`` and its Wilson interval
    ``ci_low``/``ci_high``. Scalars: ``nps`` in
    points (-100..100), its ``se`` and interval ``ci_low``/``ci_high`` in points, ``n`` and
    the category shares.
    """

    nps: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    share_promoters: float
    share_passives: float
    share_detractors: float
    confidence: float


def _nps_counts(scores: Any, *, name: str) -> np.ndarray:
    tally = _tally(scores, name=name, scale=(0, 10), whole=True)
    values, counts = tally.values, tally.counts[0]
    return np.array(
        [
            counts[values >= 9].sum(),
            counts[(values >= 7) & (values < 9)].sum(),
            counts[values < 7].sum(),
        ],
        dtype=np.int64,
    )


def _nps_estimate(counts: np.ndarray) -> tuple[float, float, int]:
    """NPS and its standard error, both in points, from category counts."""
    n = int(counts.sum())
    p_promoter, p_detractor = counts[0] / n, counts[2] / n
    score = p_promoter - p_detractor
    variance = (p_promoter + p_detractor - score**2) / n
    return 100.0 * float(score), 100.0 * float(np.sqrt(variance)), n


#: Pseudo-counts of the adjusted Wald interval: 3/4 promoter, 3/4 detractor, 3 answers.
_ADJUST_EACH, _ADJUST_N = 0.75, 3.0


def _nps_adjusted(counts: np.ndarray) -> tuple[float, float]:
    """Adjusted Wald NPS and its variance (as shares, -1..1) from category counts."""
    n = counts.sum() + _ADJUST_N
    p_promoter = (counts[0] + _ADJUST_EACH) / n
    p_detractor = (counts[2] + _ADJUST_EACH) / n
    centre = p_promoter - p_detractor
    return float(centre), float((p_promoter + p_detractor - centre**2) / n)


def _nps_adjusted_interval(counts: np.ndarray, z: float) -> tuple[float, float]:
    """Adjusted Wald interval of the NPS in points, within [-100, 100]."""
    centre, variance = _nps_adjusted(counts)
    half = z * np.sqrt(variance)
    return 100.0 * max(centre - half, -1.0), 100.0 * min(centre + half, 1.0)


def nps(scores: Any, *, confidence: float = 0.95) -> NPS:
    """Net Promoter Score with its multinomial standard error and adjusted Wald interval.

    .. math::

        \\mathrm{NPS} = 100\\,(\\hat p_P - \\hat p_D), \\qquad
        \\operatorname{Var} = 100^2\\,\\frac{\\hat p_P + \\hat p_D - (\\hat p_P - \\hat p_D)^2}{n}

    Promoters answer 9-10, passives 7-8, detractors 0-6. Scores must be whole numbers from 0
    to 10; missing answers (NaN/None) are left out. ``se`` is the standard error above.
    ``scores`` may also be their :class:`~cxgap.stats.Counts` (one group): everything here
    is computed from the value counts.

    The interval is the adjusted Wald interval (Rocks 2016): add 3/4 of a promoter and 3/4
    of a detractor to the counts and 3 to ``n``, then take
    :math:`\\tilde{\\mathrm{NPS}} \\pm z\\,\\widetilde{\\mathrm{SE}}` from the adjusted shares,
    within [-100, 100]. Unlike :math:`\\mathrm{NPS} \\pm z\\,\\mathrm{SE}` it keeps its
    coverage at small ``n`` and near the bounds: it is never of zero width, even when every
    respondent is a promoter or ``n`` is 1 (exact coverage of a 95% interval: at least 90%
    from n = 10, about 95% on average over true shares).

    References:
        Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
        Review*, 81(12), 46-54. Rocks, B. (2016). Interval estimation for the "net
        promoter score". *The American Statistician*, 70(4), 365-372.

    Example:
        >>> res = nps([10, 9, 8, 7, 6, 3, 10, 10])
        >>> res.nps
        25.0
    """
    confidence = check_confidence(confidence)
    counts = _nps_counts(scores, name="scores")
    score, se, n = _nps_estimate(counts)
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    low, high = wilson_interval(counts, n, confidence=confidence)
    nps_low, nps_high = _nps_adjusted_interval(counts, z)
    shares = counts / n
    interval = (nps_low, nps_high)
    summary = pd.DataFrame(
        {
            "category": ["nps", *_CATEGORIES],
            "count": [n, *counts],
            "share": [score / 100.0, *shares],
            "ci_low": [interval[0] / 100.0, *low],
            "ci_high": [interval[1] / 100.0, *high],
        }
    )
    return NPS(
        summary=summary,
        nps=score,
        se=se,
        ci_low=nps_low,
        ci_high=nps_high,
        n=n,
        share_promoters=float(shares[0]),
        share_passives=float(shares[1]),
        share_detractors=float(shares[2]),
        confidence=confidence,
    )


@dataclass(frozen=True)
class NPSComparison(StatResult):
    """Result of :func:`compare_nps`.

    ``summary`` has one row per group ("a", "b"): ``group``, ``n``, ``nps``, ``se``.
    Scalars: ``difference`` (NPS of ``a`` minus NPS of ``b``, in points), its ``se``,
    interval ``ci_low``/``ci_high``, the ``z`` statistic and two-sided ``p_value``.
    """

    difference: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    confidence: float


def compare_nps(a: Any, b: Any, *, confidence: float = 0.95) -> NPSComparison:
    """Difference of the NPS of two independent groups or survey waves (``a - b``).

    .. math::

        \\Delta = \\mathrm{NPS}_a - \\mathrm{NPS}_b, \\qquad
        \\mathrm{SE}_\\Delta = \\sqrt{\\mathrm{SE}_a^2 + \\mathrm{SE}_b^2}, \\qquad
        z = \\Delta / \\mathrm{SE}_\\Delta

    with the multinomial standard errors of :func:`nps`. The interval, the ``z``
    statistic and the two-sided p-value use the adjusted Wald estimates of :func:`nps` (3/4
    promoter and 3/4 detractor added to each group, ``n + 3``):
    :math:`\\tilde\\Delta \\pm z_{(1+c)/2}\\,\\widetilde{\\mathrm{SE}}_\\Delta` within
    [-200, 200] and :math:`z = \\tilde\\Delta / \\widetilde{\\mathrm{SE}}_\\Delta`, which stay
    honest when a group is all promoters (where ``se`` is 0). The groups must be
    independent (different respondents); missing answers are left out.

    Reference: Rocks, B. (2016). Interval estimation for the "net promoter score". *The
    American Statistician*, 70(4), 365-372.

    Example:
        >>> res = compare_nps([10, 10, 9, 6], [10, 7, 6, 5])
        >>> res.difference
        75.0
    """
    confidence = check_confidence(confidence)
    counts_a, counts_b = _nps_counts(a, name="a"), _nps_counts(b, name="b")
    score_a, se_a, n_a = _nps_estimate(counts_a)
    score_b, se_b, n_b = _nps_estimate(counts_b)
    difference = score_a - score_b
    se = float(np.hypot(se_a, se_b))
    centre_a, variance_a = _nps_adjusted(counts_a)
    centre_b, variance_b = _nps_adjusted(counts_b)
    centre = centre_a - centre_b
    se_adjusted = float(np.sqrt(variance_a + variance_b))
    half = stats.norm.ppf(0.5 + confidence / 2.0) * se_adjusted
    z = centre / se_adjusted
    summary = pd.DataFrame(
        {"group": ["a", "b"], "n": [n_a, n_b], "nps": [score_a, score_b], "se": [se_a, se_b]}
    )
    return NPSComparison(
        summary=summary,
        difference=difference,
        se=se,
        ci_low=100.0 * max(centre - half, -2.0),
        ci_high=100.0 * min(centre + half, 2.0),
        z=z,
        p_value=float(2.0 * stats.norm.sf(abs(z))),
        confidence=confidence,
    )


def _scale_summary(
    scores: Any,
    *,
    scale: tuple[float, float],
    counted: Callable[[np.ndarray], np.ndarray],
    confidence: float,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Distribution, mean and counted share of answers on a rating scale.

    The distribution has a row per whole scale point (for scales of up to 100 points) and per
    other value seen; ``counted`` flags the answers that count (top box, easy).
    """
    confidence = check_confidence(confidence)
    tally = _tally(scores, name="scores", scale=scale)
    values, counts = tally.values, tally.counts[0]
    n = int(counts.sum())
    moments = tally.moments()
    described = t_statistics(
        np.array([n]), moments.mean(), moments.var() * (n - 1), confidence=confidence
    )
    hits = int(counts[counted(values)].sum())
    low, high = wilson_interval(hits, n, confidence=confidence)
    lo, hi = scale
    points = values
    if hi - lo <= 100:
        points = np.union1d(np.arange(np.ceil(lo), np.floor(hi) + 1), points)
    counts = np.bincount(np.searchsorted(points, values), weights=counts, minlength=points.size)
    counts = counts.astype(np.int64)
    summary = pd.DataFrame(
        {"value": points, "count": counts, "share": counts / n, "in_box": counted(points)}
    )
    figures = {
        "share": hits / n,
        "share_ci_low": float(low),
        "share_ci_high": float(high),
        "mean": float(described["mean"][0]),
        "mean_ci_low": float(described["ci_low"][0]),
        "mean_ci_high": float(described["ci_high"][0]),
        "sd": float(described["sd"][0]),
        "n": float(n),
    }
    return summary, figures


@dataclass(frozen=True)
class CSAT(StatResult):
    """Result of :func:`csat`.

    ``summary`` has one row per answer value: ``value``, ``count``, ``share``, ``in_box``
    (counted as satisfied). Scalars: ``top_box_share`` with Wilson interval, ``mean`` with t
    interval, ``sd``, ``n``.
    """

    top_box_share: float
    top_box_ci_low: float
    top_box_ci_high: float
    mean: float
    mean_ci_low: float
    mean_ci_high: float
    sd: float
    n: int
    confidence: float


def _check_scale(scale: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = float(scale[0]), float(scale[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise DataError(f"scale: got {scale!r}; allowed: a pair (low, high)") from exc
    if not lo < hi:
        raise DataError(f"scale: got {scale!r}; allowed: a pair (low, high) with low < high")
    return lo, hi


def csat(
    scores: Any,
    *,
    top_box: Sequence[float] | None = None,
    scale: tuple[float, float] = (1, 5),
    confidence: float = 0.95,
) -> CSAT:
    """Customer satisfaction: top-box share (Wilson interval) and mean (t interval).

    .. math::

        \\mathrm{CSAT} = \\frac{\\#\\{i: x_i \\in B\\}}{n}, \\qquad
        \\bar x \\pm t_{(1+c)/2,\\,n-1}\\,s/\\sqrt n

    ``top_box`` lists the answer values counted as satisfied (default: the top two points
    of ``scale``, e.g. 4 and 5 on 1-5). Answers must lie within ``scale``; missing answers
    are left out. ``scores`` may also be their :class:`~cxgap.stats.Counts`. With
    a single answer ``sd`` and the mean's interval are NaN.

    Reference: Wilson, E. B. (1927), see :func:`wilson_interval`.

    Example:
        >>> res = csat([5, 4, 3, 5, 2])
        >>> res.top_box_share
        0.6
    """
    lo, hi = _check_scale(scale)
    box = (hi - 1, hi) if top_box is None else tuple(top_box)
    bad = [v for v in box if not lo <= float(v) <= hi]
    if bad or not box:
        raise DataError(
            f"top_box: got {top_box!r}; allowed: one or more answer values within the scale "
            f"{lo:g}..{hi:g}"
        )
    box_values = np.asarray(box, dtype=np.float64)
    summary, f = _scale_summary(
        scores,
        scale=(lo, hi),
        counted=lambda v: np.isin(v, box_values),
        confidence=confidence,
    )
    return CSAT(
        summary=summary,
        top_box_share=f["share"],
        top_box_ci_low=f["share_ci_low"],
        top_box_ci_high=f["share_ci_high"],
        mean=f["mean"],
        mean_ci_low=f["mean_ci_low"],
        mean_ci_high=f["mean_ci_high"],
        sd=f["sd"],
        n=int(f["n"]),
        confidence=confidence,
    )


@dataclass(frozen=True)
class CES(StatResult):
    """Result of :func:`ces`.

    ``summary`` as :class:`CSAT` (``in_box``: counted as easy). Scalars: ``mean`` with t
    interval, ``sd``, ``share_easy`` (answers above the scale midpoint) with Wilson
    interval, ``n``.
    """

    mean: float
    mean_ci_low: float
    mean_ci_high: float
    sd: float
    share_easy: float
    share_easy_ci_low: float
    share_easy_ci_high: float
    n: int
    confidence: float


def ces(scores: Any, *, scale: tuple[float, float] = (1, 7), confidence: float = 0.95) -> CES:
    """Customer Effort Score: mean agreement ("the company made it easy") and share agreeing.

    .. math::

        \\bar x \\pm t_{(1+c)/2,\\,n-1}\\,s/\\sqrt n, \\qquad
        \\text{share easy} = \\frac{\\#\\{i: x_i > (lo + hi)/2\\}}{n}

    On the usual 1-7 agreement scale the share easy counts the top three points (5, 6, 7);
    its interval is Wilson's. Answers must lie within ``scale``; missing answers are left
    out. ``scores`` may also be their :class:`~cxgap.stats.Counts`. With
    a single answer ``sd`` and the mean's interval are NaN.

    Reference: Dixon, M., Freeman, K., & Toman, N. (2010). Stop trying to delight your
    customers. *Harvard Business Review*, 88(7/8), 116-122.

    Example:
        >>> res = ces([7, 6, 5, 4, 2])
        >>> res.share_easy
        0.6
    """
    lo, hi = _check_scale(scale)
    midpoint = (lo + hi) / 2.0
    summary, f = _scale_summary(
        scores, scale=(lo, hi), counted=lambda v: v > midpoint, confidence=confidence
    )
    return CES(
        summary=summary,
        mean=f["mean"],
        mean_ci_low=f["mean_ci_low"],
        mean_ci_high=f["mean_ci_high"],
        sd=f["sd"],
        share_easy=f["share"],
        share_easy_ci_low=f["share_ci_low"],
        share_easy_ci_high=f["share_ci_high"],
        n=int(f["n"]),
        confidence=confidence,
    )
