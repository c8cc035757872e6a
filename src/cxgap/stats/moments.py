"""Sufficient statistics: the moment and count inputs of the statistics core.

Most statistics cxgap reports depend on the answers only through a few sums: counts, sums,
sums of squares and cross-products per group (means, variances, covariance and
correlation matrices), or, on a bounded answer scale, how often each value occurs. A
database, DuckDB or Spark can compute those sums where the answers are stored; the
statistics then never see a single answer row.

:class:`Moments` holds the sums of several numeric columns per group, in a form that
serves both missing-value policies of the package: for every pair of columns ``(i, j)``
the number of rows where both are present, the sum and the sum of squares of column
``i`` over those rows, and the sum of products. With complete data these reduce to the
usual ``n``, sums, sums of squares and cross-products. :class:`Counts` holds the value
counts of one column per group.

Both are built either from arrays (``from_arrays`` / ``from_values``) or from an
aggregated table (``from_frame``; its columns are named by :meth:`Moments.frame_columns`),
and the statistics that accept them (:func:`~cxgap.stats.cronbach_alpha`,
:func:`~cxgap.stats.importance`, :func:`~cxgap.stats.compare_segments`,
:func:`~cxgap.stats.mean_interval`, :func:`~cxgap.stats.perception_trend`,
:func:`~cxgap.stats.nps`, :func:`~cxgap.stats.csat`, :func:`~cxgap.stats.ces`) turn
arrays into these objects first, so that arrays and pre-aggregated sums go through one
code path and give the same numbers.

Example:
    >>> import pandas as pd
    >>> m = Moments.from_arrays(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [2.0, 2.0, 5.0]}))
    >>> m.mean().tolist(), round(float(m.cov()[0, 1]), 4)
    ([2.3333333333333335, 3.0], 2.5)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.errors import DataError
from cxgap.stats._validate import Matrix, as_matrix, as_vector

__all__ = ["ALL", "ROW_LEVEL", "Counts", "Moments"]

ALL = "(all)"
"""The group label of moments or counts that are not grouped."""

_PARTS = ("n", "sum", "sq", "prod")

ROW_LEVEL: dict[str, str] = {
    "expectation_profiles": "one row per respondent with every profile column (a mixture "
    "model is fitted to the rows; a random sample of respondents may stand in for all)",
    "satisfaction_index": "one row per respondent with every indicator of the path model "
    "(PLS weights are iterated on the rows; the bootstrap and its BCa jackknife resample "
    "and leave out respondents)",
    "signed_rank_p": "the paired differences themselves, or their value counts on a bounded scale",
    "stated_importance": "one row per respondent with the points of every dimension (each "
    "respondent's points are rescaled to the total first, and ``off_total_rows`` names the "
    "rows off it)",
    "kano.classes": "one row per respondent with both answers of each feature (each "
    "respondent's category; the summary takes pair counts: ``kano_from_pairs``)",
}
"""What the statistics that do not (yet) take :class:`Moments` or :class:`Counts` need:
these are given the rows, or a sample of them, explicitly."""


def _group_codes(by: Any, n_rows: int) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    """Integer group code per row (-1 for a missing label) and the sorted labels."""
    if by is None:
        return np.zeros(n_rows, dtype=np.intp), (ALL,)
    if isinstance(by, pd.Categorical) and len(by) == n_rows:  # every category is a group
        return np.asarray(by.codes, dtype=np.intp), tuple(by.categories.tolist())
    labels = pd.Series(np.asarray(by, dtype=object))
    if len(labels) != n_rows:
        raise DataError(
            f"by: has {len(labels)} labels but the data have {n_rows} rows; allowed: one "
            "group label per row"
        )
    codes, uniques = pd.factorize(labels, sort=True)
    return np.asarray(codes, dtype=np.intp), tuple(uniques.tolist())


@dataclass(frozen=True)
class Moments:
    """Sums of numeric columns per group, enough for means, covariances and correlations.

    Attributes (``g`` groups, ``k`` columns):
        columns: the column labels.
        groups: the group labels (:data:`ALL` when not grouped).
        n_rows: ``(g,)`` rows with at least one value.
        n: ``(g, k, k)`` rows where columns ``i`` and ``j`` are both present (the diagonal:
            the answers of each column).
        sums: ``(g, k, k)`` sum of column ``i`` over the rows where ``j`` is present.
        squares: ``(g, k, k)`` sum of squares of column ``i`` over the rows where ``j`` is
            present.
        products: ``(g, k, k)`` sum of ``x_i * x_j`` over the rows where both are present.
        shift: ``(k,)`` the values were summed as ``x - shift`` (arrays are shifted by their
            column means, which keeps the sums of squares free of cancellation; sums from a
            database are usually unshifted, ``shift`` 0).

    .. math::

        \\bar x_i = \\mathrm{shift}_i + S_{ii}/n_{ii}, \\qquad
        c_{ij} = \\frac{P_{ij} - S_{ij} S_{ji} / n_{ij}}{n_{ij} - 1}

    (pairwise covariance, as ``pandas.DataFrame.cov``; with complete data the ordinary
    sample covariance).
    """

    columns: tuple[Hashable, ...]
    groups: tuple[Hashable, ...]
    n_rows: np.ndarray
    n: np.ndarray
    sums: np.ndarray
    squares: np.ndarray
    products: np.ndarray
    shift: np.ndarray

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_arrays(cls, data: Any, *, by: Any = None, name: str = "data") -> Moments:
        """Moments of a respondents x columns table (DataFrame, 2-D array, Series or list),
        grouped by the labels ``by`` (one per row; rows without a label are left out)."""
        matrix = data if isinstance(data, Matrix) else as_matrix(data, name=name)
        return cls._from_matrix(matrix, by)

    @classmethod
    def _from_matrix(cls, matrix: Matrix, by: Any) -> Moments:
        x = matrix.values
        codes, groups = _group_codes(by, x.shape[0])
        if (codes < 0).any():
            x, codes = x[codes >= 0], codes[codes >= 0]
        present = ~np.isnan(x) if matrix.has_missing else np.ones(x.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            counted = present.sum(axis=0)
            shift = np.where(present, x, 0.0).sum(axis=0) / np.maximum(counted, 1)
        centred = np.where(present, x - shift, 0.0)
        g, k = len(groups), x.shape[1]
        n = np.zeros((g, k, k))
        sums, squares, products = np.zeros((g, k, k)), np.zeros((g, k, k)), np.zeros((g, k, k))
        n_rows = np.zeros(g, dtype=np.int64)
        single = g == 1
        for code in range(g):
            rows = slice(None) if single else codes == code
            c, p = centred[rows], present[rows].astype(np.float64)
            n[code] = p.T @ p
            sums[code] = c.T @ p
            squares[code] = (c * c).T @ p
            products[code] = c.T @ c
            n_rows[code] = int(present[rows].any(axis=1).sum())
        return cls(tuple(matrix.columns), groups, n_rows, n, sums, squares, products, shift)

    @staticmethod
    def frame_columns(k: int) -> list[str]:
        """Names of the columns of an aggregated table of ``k`` columns, in the order
        :meth:`from_frame` reads them: ``n_rows``, then ``n_i_j``, ``sum_i_j``, ``sq_i_j``
        and ``prod_i_j`` for every pair (``i``, ``j`` positions from 0; ``prod`` only for
        ``i <= j``)."""
        names = ["n_rows"]
        for part in _PARTS:
            names += [
                f"{part}_{i}_{j}" for i in range(k) for j in range(k) if part != "prod" or i <= j
            ]
        return names

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, columns: Sequence[Hashable], by: str | None = None
    ) -> Moments:
        """Moments from an aggregated table: one row per group (group label in column
        ``by``), the sums in the columns :meth:`frame_columns` names (missing sums, as SQL
        gives for empty groups, count as 0). Groups are sorted by label."""
        k = len(columns)
        missing = [c for c in cls.frame_columns(k) if c not in frame.columns]
        if by is not None and by not in frame.columns:
            missing.append(by)
        if missing:
            raise DataError(
                f"aggregated moments: missing column(s) {missing[:5]!r}; allowed: a "
                "table with the columns Moments.frame_columns(k) names"
            )
        table = frame.sort_values(by) if by is not None else frame
        groups = tuple(table[by].tolist()) if by is not None else (ALL,)
        g = len(table)
        if by is None and g != 1:
            raise DataError(f"aggregated moments: got {g} rows without a group column; allowed: 1")

        def part(name: str) -> np.ndarray:
            out = np.zeros((g, k, k))
            for i in range(k):
                for j in range(k):
                    a, b = (min(i, j), max(i, j)) if name == "prod" else (i, j)
                    values = pd.to_numeric(table[f"{name}_{a}_{b}"], errors="coerce")
                    out[:, i, j] = values.fillna(0.0).to_numpy(dtype=np.float64)
            return out

        n_rows = pd.to_numeric(table["n_rows"]).fillna(0).to_numpy(dtype=np.int64)
        return cls(
            tuple(columns),
            groups,
            n_rows,
            part("n"),
            part("sum"),
            part("sq"),
            part("prod"),
            np.zeros(k),
        )

    # -- selection ------------------------------------------------------------------

    def group(self, label: Hashable) -> Moments:
        """The moments of one group (its label becomes :data:`ALL`)."""
        if label not in self.groups:
            raise DataError(f"group: got {label!r}; allowed: {list(self.groups)!r}")
        g = self.groups.index(label)
        pick = slice(g, g + 1)
        return Moments(
            self.columns,
            (ALL,),
            self.n_rows[pick],
            self.n[pick],
            self.sums[pick],
            self.squares[pick],
            self.products[pick],
            self.shift,
        )

    def select(self, columns: Sequence[Hashable]) -> Moments:
        """The moments of some of the columns (``n_rows`` stays that of all columns)."""
        unknown = [c for c in columns if c not in self.columns]
        if unknown:
            raise DataError(f"columns: {unknown!r} not among {list(self.columns)!r}")
        at = np.array([self.columns.index(c) for c in columns], dtype=np.intp)
        cut = np.ix_(np.arange(len(self.groups)), at, at)
        return Moments(
            tuple(columns),
            self.groups,
            self.n_rows,
            self.n[cut],
            self.sums[cut],
            self.squares[cut],
            self.products[cut],
            self.shift[at],
        )

    # -- statistics -----------------------------------------------------------------

    def _only(self) -> int:
        if len(self.groups) != 1:
            raise DataError(
                f"moments: {len(self.groups)} groups; allowed: one (pick one with .group())"
            )
        return 0

    def count(self) -> np.ndarray:
        """Answers per column (one group)."""
        return np.diag(self.n[self._only()]).copy()

    def mean(self) -> np.ndarray:
        """Mean of each column over its own answers (one group; NaN without answers)."""
        g = self._only()
        n = np.diag(self.n[g])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.shift + np.diag(self.sums[g]) / n)

    def cov(self) -> np.ndarray:
        """Pairwise sample covariance matrix (``ddof=1``; one group)."""
        g = self._only()
        n, s = self.n[g], self.sums[g]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray((self.products[g] - s * s.T / n) / (n - 1))

    def var(self) -> np.ndarray:
        """Sample variance of each column (``ddof=1``; one group)."""
        return np.diag(self.cov()).copy()

    def corr(self) -> np.ndarray:
        """Pairwise correlation matrix: each pair's covariance over the standard deviations
        of the two columns on the rows where both are present (as ``DataFrame.corr``)."""
        g = self._only()
        n, s, sq = self.n[g], self.sums[g], self.squares[g]
        with np.errstate(invalid="ignore", divide="ignore"):
            var_given = (sq - s**2 / n) / (n - 1)
            return np.asarray(self.cov() / np.sqrt(var_given * var_given.T))

    def complete(self) -> bool:
        """Whether every row with a value has all columns (no missing answers)."""
        return bool(np.all(self.n == self.n_rows[:, None, None]))

    def to_frame(self) -> pd.DataFrame:
        """Means, standard deviations and counts per group and column (a readable view)."""
        rows = []
        for label in self.groups:
            one = self.group(label)
            for column, n, mean, var in zip(
                self.columns, one.count(), one.mean(), one.var(), strict=True
            ):
                rows.append(
                    {"group": label, "column": column, "n": int(n), "mean": mean, "sd": var**0.5}
                )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Counts:
    """How often each value of one column occurs, per group.

    Attributes:
        values: ``(v,)`` the distinct values, ascending.
        counts: ``(g, v)`` occurrences per group and value.
        groups: the group labels (:data:`ALL` when not grouped).
        name: what is counted (used in messages).

    On a bounded answer scale these are the whole data as far as any statistic that does
    not link a respondent's answers is concerned: shares, means and variances, and the
    rank statistics (mid-ranks of tied values) follow exactly.
    """

    values: np.ndarray
    counts: np.ndarray
    groups: tuple[Hashable, ...]
    name: str = "scores"

    @classmethod
    def from_values(cls, values: Any, *, by: Any = None, name: str = "scores") -> Counts:
        """Value counts of one column (missing values left out), grouped by ``by``."""
        vector = values if isinstance(values, Matrix) else as_vector(values, name=name)
        x = vector.values[:, 0]
        codes, groups = _group_codes(by, x.size)
        keep = (codes >= 0) & ~np.isnan(x) if vector.has_missing or by is not None else None
        if keep is not None:
            x, codes = x[keep], codes[keep]
        distinct, position = np.unique(x, return_inverse=True)
        g = len(groups)
        flat = np.bincount(codes * distinct.size + position, minlength=g * distinct.size)
        return cls(distinct, flat.reshape(g, distinct.size).astype(np.int64), groups, vector.name)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        value: str = "value",
        count: str = "count",
        by: str | None = None,
        name: str = "scores",
    ) -> Counts:
        """Counts from an aggregated table with one row per (group,) value and its count;
        rows with a missing value are left out. Groups are sorted by label."""
        needed = [c for c in (value, count, by) if c is not None and c not in frame.columns]
        if needed:
            raise DataError(
                f"aggregated counts: missing column(s) {needed!r}; allowed: a table with "
                f"{value!r}, {count!r}" + (f" and {by!r}" if by else "")
            )
        table = frame[frame[value].notna()]
        values = pd.to_numeric(table[value]).to_numpy(dtype=np.float64)
        amounts = pd.to_numeric(table[count]).to_numpy(dtype=np.int64)
        distinct, position = np.unique(values, return_inverse=True)
        if by is None:
            codes, groups = np.zeros(len(table), dtype=np.intp), (ALL,)
        else:
            found, uniques = pd.factorize(table[by], sort=True)
            codes, groups = np.asarray(found, dtype=np.intp), tuple(uniques.tolist())
        g = len(groups)
        flat = np.bincount(
            codes * distinct.size + position, weights=amounts, minlength=g * distinct.size
        )
        return cls(distinct, flat.reshape(g, distinct.size).round().astype(np.int64), groups, name)

    def group(self, label: Hashable) -> Counts:
        """The counts of one group."""
        if label not in self.groups:
            raise DataError(f"group: got {label!r}; allowed: {list(self.groups)!r}")
        g = self.groups.index(label)
        return Counts(self.values, self.counts[g : g + 1], (ALL,), self.name)

    def total(self) -> Counts:
        """All groups together."""
        return Counts(self.values, self.counts.sum(axis=0, keepdims=True), (ALL,), self.name)

    @property
    def n(self) -> np.ndarray:
        """Answers per group."""
        return np.asarray(self.counts.sum(axis=1))

    def moments(self) -> Moments:
        """The one-column :class:`Moments` of these counts (shifted by each group's mean)."""
        n = self.counts.sum(axis=1).astype(np.float64)
        total = max(float(n.sum()), 1.0)
        shift = float(self.counts.sum(axis=0) @ self.values) / total
        d = self.values - shift
        s = self.counts @ d
        sq = self.counts @ (d * d)
        cube = np.ones((len(self.groups), 1, 1))
        return Moments(
            (self.name,),
            self.groups,
            n.astype(np.int64),
            n[:, None, None] * cube,
            s[:, None, None] * cube,
            sq[:, None, None] * cube,
            sq[:, None, None] * cube,
            np.array([shift]),
        )

    def check_values(self, *, low: float, high: float, whole: bool) -> None:
        """Raise unless every counted value lies in ``low..high`` (and is whole)."""
        seen = self.values[self.counts.sum(axis=0) > 0]
        bad = seen[(seen < low) | (seen > high) | ((seen != np.round(seen)) if whole else False)]
        if bad.size:
            kind = "whole numbers" if whole else "values"
            raise DataError(
                f"{self.name}: value {bad[0]:g} is counted; allowed: {kind} from {low:g} to "
                f"{high:g}"
            )
