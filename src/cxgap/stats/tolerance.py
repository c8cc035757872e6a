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
from cxgap.stats.gaps import t_statistics
from cxgap.stats.result import StatResult
from cxgap.text import counted

__all__ = [
    "ZONE_SUMS",
    "ToleranceZone",
    "tolerance_zone",
    "tolerance_zone_from_sums",
    "zone_from_sums",
]


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


#: Sums of squares as sum of squares minus squared sum lose digits when the values are far
#: from their mean; past this ratio of magnitude to result they are recomputed from
#: deviations.
_CANCELLATION_LIMIT = 1e6

#: Per column figures gathered by :func:`_zone_column`, in this order.
_FIELDS = ("n", "sum_a", "sum_d", "sum_p", "ss_msa", "ss_mss", "below", "above")

ZONE_SUMS = ("n", "sum_a", "sum_d", "sum_p", "sq_msa", "sq_mss", "below", "above", "n_inverted")
"""The columns :func:`zone_from_sums` reads, per dimension: respondents with a usable item
(``n``), the sums over them of their mean adequate, desired and perceived levels, the sums
of squares of their MSA and MSS (uncentred), how many are below their adequate / above
their desired level, and how many answered some item of the dimension inverted."""


def _inner(x: np.ndarray, y: np.ndarray) -> float:
    """Sum of products. einsum's single-threaded loop: BLAS threads stall when the cores
    are busy, and at this size they gain nothing."""
    return float(np.einsum("i,i->", x, y))


def _zone_column(
    a: np.ndarray,
    d: np.ndarray,
    p: np.ndarray,
    excluded: np.ndarray,
    buffer: np.ndarray,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Count, sums, MSA/MSS sums of squared deviations and shares of one column.

    ``a``, ``d``, ``p`` are 1-D without missing values; ``excluded`` holds the positions of
    answers to leave out. Sums are taken over all rows and the (few) excluded answers'
    contributions subtracted afterwards, so no masked copy of the columns is made. MSA =
    P - A and MSS = P - D are formed in ``buffer`` (at least ``a.size`` floats); their sums
    follow from the level sums and their sums of squared deviations from
    :math:`\\sum g^2 - (\\sum g)^2 / n`, recomputed from deviations where that would
    cancel most digits. ``parts`` may pass the excluded answers (``a[excluded]``, ...).
    """
    xa, xd, xp = parts if parts is not None else (a[excluded], d[excluded], p[excluded])

    def used(whole: float, part: float) -> float:
        return whole - part if excluded.size else whole

    n = a.size - excluded.size
    sum_a = used(np.add.reduce(a), np.add.reduce(xa))
    sum_d = used(np.add.reduce(d), np.add.reduce(xd))
    sum_p = used(np.add.reduce(p), np.add.reduce(xp))
    figures = [n, sum_a, sum_d, sum_p]
    shares = []
    for base, x_base, total in ((a, xa, sum_p - sum_a), (d, xd, sum_p - sum_d)):
        gap = np.subtract(p, base, out=buffer[: a.size])
        x_gap = xp - x_base
        raw = used(_inner(gap, gap), _inner(x_gap, x_gap))
        squares = raw - total * total / n if n else np.nan
        if n and not (raw <= _CANCELLATION_LIMIT * squares):
            kept = np.delete(gap, excluded)
            squares = float(np.sum((kept - kept.mean()) ** 2))
        figures.append(squares)
        if base is a:  # below the adequate level
            shares.append(np.count_nonzero(gap < 0) - np.count_nonzero(x_gap < 0))
        else:  # above the desired level
            shares.append(np.count_nonzero(gap > 0) - np.count_nonzero(x_gap > 0))
    return np.array([*figures, *shares], dtype=np.float64)


def _zone_frame(
    level: str,
    names: list[Hashable],
    dims: list[Any],
    n_inverted: np.ndarray,
    figures: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    """Zone statistics of each column from the rows of :func:`_zone_column`."""
    n, sum_a, sum_d, sum_p, ss_msa, ss_mss, below, above = figures.T
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_a, mean_d, mean_p = sum_a / n, sum_d / n, sum_p / n
        # MSA and MSS are linear in the levels: their sums follow from the level sums.
        msa = t_statistics(n, (sum_p - sum_a) / n, ss_msa, confidence=confidence)
        mss = t_statistics(n, (sum_p - sum_d) / n, ss_mss, confidence=confidence)
        below, above = below / n, above / n
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


def zone_from_sums(
    sums: pd.DataFrame,
    *,
    confidence: float = 0.95,
    level: str = "dimension",
    dimensions: Mapping[Hashable, Any] | None = None,
) -> pd.DataFrame:
    """The rows of :attr:`ToleranceZone.summary` from sums formed elsewhere (a database):
    ``sums`` has one row per group (the index names it) and the columns :data:`ZONE_SUMS`,
    formed over the respondents' levels exactly as :func:`tolerance_zone` forms them: for
    a dimension (``level="dimension"``) the means of the respondent's usable items, for an
    item (``level="item"``, each item a group of its own) its usable answer, whose
    dimension ``dimensions`` names (NaN without one). The sums of squared deviations
    follow from the uncentred ones as in :func:`_zone_column`."""
    confidence = check_confidence(confidence)
    missing = [c for c in ZONE_SUMS if c not in sums.columns]
    if missing:
        raise DataError(f"zone sums: column(s) {', '.join(missing)} missing; needed: {ZONE_SUMS}")
    data = sums[list(ZONE_SUMS)].astype("float64")
    n = data["n"].to_numpy()
    figures = data[list(ZONE_SUMS[:-1])].to_numpy(copy=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column, base in ((4, 1), (5, 2)):  # MSA: P - A, MSS: P - D
            total = figures[:, 3] - figures[:, base]
            figures[:, column] = np.where(n > 0, figures[:, column] - total * total / n, np.nan)
    names = list(sums.index)
    if level == "dimension":
        dims: list[Any] = names
    else:
        dims = [dimensions.get(name, np.nan) if dimensions else np.nan for name in names]
    return _zone_frame(level, names, dims, data["n_inverted"].to_numpy(), figures, confidence)


def tolerance_zone_from_sums(
    items: pd.DataFrame,
    overall: Mapping[str, float],
    *,
    dimension_sums: pd.DataFrame | None = None,
    dimensions: Mapping[Hashable, Any] | None = None,
    confidence: float = 0.95,
) -> ToleranceZone:
    """:func:`tolerance_zone` from sums formed elsewhere, with the same numbers.

    Args:
        items: :data:`ZONE_SUMS` per item (the index names the items, in their order);
            each item is a group of its own.
        overall: the sums of every item taken as one group (:data:`ZONE_SUMS` plus
            ``inverted_answers``, the answers with adequate above desired): the scalars
            ``n_respondents``, ``n_respondents_inverted`` and ``n_inverted`` come from it.
        dimension_sums: :data:`ZONE_SUMS` per dimension (index: the dimension), or
            ``None`` without dimensions.
        dimensions: ``{item: dimension}`` for the items' ``dimension`` column.
        confidence: level of the intervals.

    ``cxgap.engine.aggregate.zone_sums`` forms all three in a database (the item sums
    with each item as its own dimension).
    """
    confidence = check_confidence(confidence)
    item_rows = zone_from_sums(items, confidence=confidence, level="item", dimensions=dimensions)
    too_few = np.flatnonzero(item_rows["n"].to_numpy() < 2)
    if too_few.size:
        j = int(too_few[0])
        raise DataError(
            f"adequate/desired/perceived: item {item_rows['name'].iloc[j]!r} has "
            f"{counted(int(item_rows['n'].iloc[j]), 'respondent')} with three usable answers "
            "(adequate <= desired); at least 2 needed"
        )
    frames = [item_rows]
    if dimension_sums is not None and len(dimension_sums):
        frames.append(zone_from_sums(dimension_sums, confidence=confidence))
    return ToleranceZone(
        summary=pd.concat(frames, ignore_index=True),
        n_inverted=int(overall["inverted_answers"]),
        n_respondents_inverted=int(overall["n_inverted"]),
        n_respondents=int(overall["n"]),
        n_items=len(items),
        confidence=confidence,
    )


def tolerance_zone(
    adequate: Any,
    desired: Any,
    perceived: Any,
    *,
    dimensions: Mapping[Any, Any] | None = None,
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
    # Column by column (contiguous in Fortran order): no respondents x items temporaries.
    a, d, p = (np.asfortranarray(m.values) for m in (a_matrix, d_matrix, p_matrix))
    any_missing = a_matrix.has_missing or d_matrix.has_missing or p_matrix.has_missing
    n_rows, k = p.shape
    dims_of_items: list[Any] = [np.nan] * k
    groups: dict[Hashable, np.ndarray] = {}
    if dimensions is not None:
        groups = dimension_map(columns, dimensions)
        for dim, positions in groups.items():
            for j in positions:
                dims_of_items[j] = dim
    # One dimension at a time, so that its per respondent sums of the usable levels and
    # their count are the only respondent-sized arrays (reused across dimensions).
    batches = list(groups.values()) if groups else [np.arange(k)]
    if groups:
        sums = [np.empty(n_rows) for _ in range(3)]
        count = np.empty(n_rows)
    buffer = np.empty(n_rows)
    respondent_inverted = np.zeros(n_rows, dtype=bool)
    inverted_in_dim = np.zeros(n_rows, dtype=bool)
    unusable_items = np.zeros(n_rows, dtype=np.intp) if any_missing else None
    all_excluded: list[np.ndarray] = []
    no_rows = np.empty(0, dtype=np.intp)
    n_inverted_items = np.zeros(k, dtype=np.int64)
    figures = np.empty((k, len(_FIELDS)))
    dim_figures = np.empty((len(groups), len(_FIELDS)))
    dim_inverted = np.zeros(len(groups), dtype=np.int64)
    for g, positions in enumerate(batches):
        if groups:
            for total in sums:
                total.fill(0.0)
            count.fill(float(len(positions)))
            inverted_in_dim.fill(False)
        for j in positions:
            levels = (a[:, j], d[:, j], p[:, j])
            inverted = levels[0] > levels[1]  # False where either is missing
            if any_missing:
                unusable = inverted | np.isnan(levels[0]) | np.isnan(levels[1])
                unusable |= np.isnan(levels[2])
                keep = ~unusable
                figures[j] = _zone_column(a[keep, j], d[keep, j], p[keep, j], no_rows, buffer)
                unusable_items += unusable
                n_inverted_items[j] = np.count_nonzero(inverted)
                respondent_inverted |= inverted
                if groups:
                    inverted_in_dim |= inverted
                    count -= unusable
                    for total, v in zip(sums, levels, strict=True):
                        np.add(total, v, out=total, where=keep)
            else:
                # Few answers are inverted: use whole columns, then take theirs back out.
                excluded = np.flatnonzero(inverted)
                parts = (levels[0][excluded], levels[1][excluded], levels[2][excluded])
                figures[j] = _zone_column(*levels, excluded, buffer, parts)
                all_excluded.append(excluded)
                n_inverted_items[j] = excluded.size
                respondent_inverted[excluded] = True
                if groups:
                    inverted_in_dim[excluded] = True
                    count[excluded] -= 1.0
                    for total, v, part in zip(sums, levels, parts, strict=True):
                        total += v
                        total[excluded] -= part
        if groups:
            empty = np.flatnonzero(count == 0)
            count[empty] = 1.0  # their sums are 0; left out below
            for total in sums:
                total /= count  # now the respondents' dimension levels
            dim_figures[g] = _zone_column(sums[0], sums[1], sums[2], empty, buffer)
            dim_inverted[g] = np.count_nonzero(inverted_in_dim)
    frames = [_zone_frame("item", columns, dims_of_items, n_inverted_items, figures, confidence)]
    too_few = np.flatnonzero(figures[:, 0] < 2)
    if too_few.size:
        j = int(too_few[0])
        raise DataError(
            f"adequate/desired/perceived: item {columns[j]!r} has "
            f"{counted(int(figures[j, 0]), 'respondent')} with three usable answers "
            "(adequate <= desired); at least 2 needed"
        )
    if groups:
        frames.append(
            _zone_frame(
                "dimension", list(groups), list(groups), dim_inverted, dim_figures, confidence
            )
        )
    if unusable_items is None:
        unusable_items = np.bincount(np.concatenate(all_excluded), minlength=n_rows)
    return ToleranceZone(
        summary=pd.concat(frames, ignore_index=True),
        n_inverted=int(n_inverted_items.sum()),
        n_respondents_inverted=int(np.count_nonzero(respondent_inverted)),
        n_respondents=int(n_rows - np.count_nonzero(unusable_items == k)),
        n_items=k,
        confidence=confidence,
    )
