"""Zone of tolerance: adequate and desired service levels against perceived service."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.errors import DataError
from cxgap.stats._validate import (
    Scale,
    as_matrix,
    check_confidence,
    dimension_map,
    match_matrices,
)
from cxgap.stats.gaps import describe_columns, dimension_counts, dimension_means
from cxgap.stats.result import StatResult

__all__ = ["ToleranceZone", "tolerance_zone"]


@dataclass(frozen=True)
class ToleranceZone(StatResult):
    """Result of :func:`tolerance_zone`.

    ``summary`` has one row per item and per dimension, with columns: ``level`` ("item" or
    "dimension"), ``name``, ``dimension`` (NaN without dimensions), ``n`` (respondents
    used), ``n_inverted`` (respondents excluded because adequate > desired; for a dimension,
    those with at least one inverted item in it), ``mean_adequate``, ``mean_desired``,
    ``mean_perceived``, ``zone_width`` (mean desired - mean adequate), ``msa`` (mean of
    perceived - adequate) with ``msa_ci_low``/``msa_ci_high``, ``mss`` (mean of perceived -
    desired) with ``mss_ci_low``/``mss_ci_high``, ``position`` of the mean perception
    relative to the mean zone ("below", "within" or "above"), ``share_below_adequate`` and
    ``share_above_desired`` (shares of respondents below their own adequate level / above
    their own desired level).

    Scalars: ``n_inverted`` (item answers with adequate > desired, over all items),
    ``n_respondents_inverted`` (respondents with at least one), ``n_respondents``,
    ``n_items``, ``confidence``.
    """

    n_inverted: int
    n_respondents_inverted: int
    n_respondents: int
    n_items: int
    confidence: float


def _position(mean_a: np.ndarray, mean_d: np.ndarray, mean_p: np.ndarray) -> np.ndarray:
    return np.where(mean_p < mean_a, "below", np.where(mean_p > mean_d, "above", "within"))


def _zone_frame(
    level: str,
    names: list[Hashable],
    dims: list[Any],
    n_inverted: np.ndarray,
    adequate: np.ndarray,
    desired: np.ndarray,
    perceived: np.ndarray,
    present: np.ndarray | None,
    confidence: float,
) -> pd.DataFrame:
    """Zone statistics of each column.

    ``present`` marks usable answers (``None``: all); the three tables must hold 0
    elsewhere, so that sums and comparisons need no mask.
    """
    describe = {"confidence": confidence, "present": present, "has_missing": False}
    msa = describe_columns(perceived - adequate, zeroed=True, **describe)  # type: ignore[arg-type]
    mss = describe_columns(perceived - desired, zeroed=True, **describe)  # type: ignore[arg-type]
    n = msa["n"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a, mean_d, mean_p = (v.sum(axis=0) / n for v in (adequate, desired, perceived))
        below = np.count_nonzero(perceived < adequate, axis=0) / n
        above = np.count_nonzero(perceived > desired, axis=0) / n
    return pd.DataFrame(
        {
            "level": level,
            "name": pd.Series(names, dtype=object),
            "dimension": pd.Series(dims, dtype=object),
            "n": msa["n"],
            "n_inverted": n_inverted.astype(np.int64),
            "mean_adequate": mean_a,
            "mean_desired": mean_d,
            "mean_perceived": mean_p,
            "zone_width": mean_d - mean_a,
            "msa": msa["mean"],
            "msa_ci_low": msa["ci_low"],
            "msa_ci_high": msa["ci_high"],
            "mss": mss["mean"],
            "mss_ci_low": mss["ci_low"],
            "mss_ci_high": mss["ci_high"],
            "position": _position(mean_a, mean_d, mean_p),
            "share_below_adequate": below,
            "share_above_desired": above,
        }
    )


def tolerance_zone(
    adequate: Any,
    desired: Any,
    perceived: Any,
    *,
    dimensions: Mapping[Hashable, Any] | None = None,
    confidence: float = 0.95,
    scale: Scale | None = None,
) -> ToleranceZone:
    """Zone of tolerance per item and dimension, with adequacy and superiority gaps.

    .. math::

        \\mathrm{MSA}_{ij} = P_{ij} - A_{ij}, \\qquad
        \\mathrm{MSS}_{ij} = P_{ij} - D_{ij}, \\qquad
        \\text{width}_j = \\bar D_j - \\bar A_j

    MSA and MSS get t intervals (see :func:`cxgap.stats.gaps.describe_columns`). The mean
    perception is "below" the zone when :math:`\\bar P < \\bar A`, "above" when
    :math:`\\bar P > \\bar D`, else "within"; the shares count respondents with
    :math:`P < A` and :math:`P > D` (their own levels).

    Inverted answers: an answer whose adequate level exceeds its desired level
    (:math:`A_{ij} > D_{ij}`) describes no zone. It is excluded from that item's
    statistics (and from the respondent's dimension means) and counted: per item in
    ``n_inverted``, overall in the scalar ``n_inverted``.

    Missing answers (NaN): a respondent counts for an item when all three answers are
    present and not inverted; a respondent's dimension levels are the means of the
    dimension's usable items (the respondent is left out of the dimension if none).

    Args:
        adequate: respondents x items, minimum acceptable service level.
        desired: respondents x items, desired service level.
        perceived: respondents x items, perceived service.
        dimensions: ``{item: dimension}`` or ``{dimension: [items]}``.
        confidence: level of the intervals.
        scale: ``(low, high)`` answer scale to check; ``None`` skips it.

    References:
        Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1994). Alternative scales for
        measuring service quality: a comparative assessment based on psychometric and
        diagnostic criteria. *Journal of Retailing*, 70(3), 201-230.

    Example:
        >>> a = [[4], [5], [3]]; d = [[6], [7], [6]]; p = [[5], [4], [6]]
        >>> res = tolerance_zone(a, d, p)
        >>> row = res.summary.iloc[0]
        >>> float(row["msa"]), round(float(row["mss"]), 3), row["position"]
        (1.0, -1.333, 'within')
    """
    confidence = check_confidence(confidence)
    a_matrix, d_matrix, p_matrix = match_matrices(
        as_matrix(adequate, name="adequate", scale=scale, min_rows=2),
        as_matrix(desired, name="desired", scale=scale, min_rows=2),
        as_matrix(perceived, name="perceived", scale=scale, min_rows=2),
    )
    columns = p_matrix.columns
    a, d, p = a_matrix.values, d_matrix.values, p_matrix.values
    inverted = a > d  # False where either is missing
    any_missing = a_matrix.has_missing or d_matrix.has_missing or p_matrix.has_missing
    n_inverted_items = inverted.sum(axis=0)
    present: np.ndarray | None = None
    if any_missing or n_inverted_items.any():
        present = ~inverted
        if any_missing:
            present &= ~(np.isnan(a) | np.isnan(d) | np.isnan(p))
    if present is not None:
        # Zero the unusable answers once; every later sum and comparison then needs no mask.
        a, d, p = (np.where(present, v, 0.0) for v in (a, d, p))
    dims_of_items: list[Any] = [np.nan] * len(columns)
    frames = []
    if dimensions is not None:
        groups = dimension_map(columns, dimensions)
        for dim, positions in groups.items():
            for j in positions:
                dims_of_items[j] = dim
    item_frame = _zone_frame(
        "item", columns, dims_of_items, n_inverted_items, a, d, p, present, confidence
    )
    frames.append(item_frame)
    too_few = np.flatnonzero(item_frame["n"].to_numpy() < 2)
    if too_few.size:
        j = int(too_few[0])
        raise DataError(
            f"adequate/desired/perceived: item {columns[j]!r} has {item_frame['n'].iloc[j]} "
            "respondent(s) with three usable answers (adequate <= desired); at least 2 needed"
        )
    if dimensions is not None:
        counts = dimension_counts(present, groups) if present is not None else None
        levels = [
            dimension_means(v, present, groups, zeroed=True, counts=counts) for v in (a, d, p)
        ]
        dim_present = None
        if present is not None:
            dim_present = ~np.isnan(levels[2])
            levels = [np.where(dim_present, v, 0.0) for v in levels]
        dim_inverted = np.array(
            [np.count_nonzero(inverted[:, pos].any(axis=1)) for pos in groups.values()]
        )
        frames.append(
            _zone_frame(
                "dimension",
                list(groups),
                list(groups),
                dim_inverted,
                levels[0],
                levels[1],
                levels[2],
                dim_present,
                confidence,
            )
        )
    n_usable = present.any(axis=1).sum() if present is not None else p.shape[0]
    return ToleranceZone(
        summary=pd.concat(frames, ignore_index=True),
        n_inverted=int(n_inverted_items.sum()),
        n_respondents_inverted=int(inverted.any(axis=1).sum()),
        n_respondents=int(n_usable),
        n_items=len(columns),
        confidence=confidence,
    )
