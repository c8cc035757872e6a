"""Input coercion and checks shared by every module of :mod:`cxgap.stats`.

Statistics accept what analysts have at hand: a DataFrame with one column per item, a 2-D
numpy array (respondents x items), a Series or a 1-D array / list for a single variable.
Everything is turned into ``float64`` numpy arrays with ``NaN`` marking a missing answer
(``None``, ``NaN`` and ``pd.NA`` all count as missing). Anything else (strings, booleans,
infinities, values outside a declared scale, mismatched shapes, too few respondents) raises
:class:`cxgap.errors.DataError` with a message that names the argument, the column and row
of the offending value and what is allowed.

Column labels are kept as given: a DataFrame's column labels, a Series' name, or the
positions ``0 .. k-1`` for plain arrays (the pandas convention).

The checks are vectorised (one scan for each column's minimum and maximum finds missing
values, infinities and out-of-scale values at once) so that they stay cheap on millions of
rows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.errors import DataError
from cxgap.text import counted

__all__ = [
    "Matrix",
    "as_matrix",
    "as_vector",
    "check_choice",
    "check_confidence",
    "check_integer_values",
    "dimension_map",
    "match_matrices",
    "normalised_weights",
    "require_count",
]

Scale = tuple[float, float]

_MISSING_NAMES = "NaN or None for a missing answer"


@dataclass(frozen=True)
class Matrix:
    """A validated respondents x variables table.

    Attributes:
        values: ``float64`` array of shape (n, k); ``NaN`` marks a missing answer. It may
            share memory with the caller's data: never modify it in place.
        columns: the k column labels.
        index: the row labels of a pandas input, else ``None`` (rows are positions).
        has_missing: whether any value is ``NaN``.
        name: the argument name, used in error messages.
        single: whether the input was a single variable (Series, 1-D array, list); error
            messages then name rows only.
    """

    values: np.ndarray
    columns: list[Hashable]
    index: pd.Index | None
    has_missing: bool
    name: str
    single: bool = False

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    def row_label(self, position: int) -> str:
        """Describe row ``position`` for an error message."""
        return _Place(self.columns, self.index, self.single).row(position)

    def where(self, row: int, column: int) -> str:
        """Describe the cell at positions (``row``, ``column``) for an error message."""
        return _Place(self.columns, self.index, self.single)(row, column)

    def select(self, columns: Sequence[Hashable]) -> Matrix:
        """The sub-table of the given columns (a copy of those columns)."""
        positions = [self.columns.index(c) for c in columns]
        values = self.values[:, positions]
        has_missing = bool(self.has_missing and np.isnan(values).any())
        return Matrix(values, list(columns), self.index, has_missing, self.name, self.single)


@dataclass(frozen=True)
class _Place:
    """Names a cell as people look for it: column label, row position and index label."""

    columns: Sequence[Hashable]
    index: pd.Index | None
    single: bool

    def row(self, position: int) -> str:
        if self.index is None:
            return f"row {position}"
        return f"row {position} (index {self.index[position]!r})"

    def __call__(self, row: int, column: int) -> str:
        if self.single:
            return self.row(row)
        return f"column {self.columns[column]!r}, {self.row(row)}"


def _show(value: float) -> str:
    """A number as people write it (``7``, ``7.5``, ``inf``), for error messages."""
    return format(float(value), ".15g")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _object_column_to_float(column: np.ndarray, j: int, *, name: str, place: _Place) -> np.ndarray:
    """Convert an object column element by element, naming the first bad element."""
    out = np.empty(column.shape[0], dtype=np.float64)
    for position, value in enumerate(column):
        if _is_missing(value):
            out[position] = np.nan
        elif _is_number(value):
            out[position] = float(value)
        else:
            what = "a true/false value" if isinstance(value, bool | np.bool_) else "not numeric"
            raise DataError(
                f"{name}: {place(position, j)}: value {value!r} is {what}; allowed: numbers, "
                f"or {_MISSING_NAMES}"
            )
    return out


def _frame_to_float(frame: pd.DataFrame, *, name: str, place: _Place) -> np.ndarray:
    if all(isinstance(dt, np.dtype) and dt.kind in "iuf" for dt in frame.dtypes):
        return frame.to_numpy(dtype=np.float64)
    out = np.empty(frame.shape, dtype=np.float64, order="F")
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        ):
            out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            raw = series.to_numpy(dtype=object)
            out[:, j] = _object_column_to_float(raw, j, name=name, place=place)
    return out


def _array_to_float(array: np.ndarray, *, name: str, place: _Place) -> np.ndarray:
    if array.dtype.kind in "iuf":
        return array.astype(np.float64, copy=False)
    out = np.empty(array.shape, dtype=np.float64)
    as_objects = array.astype(object)
    for j in range(array.shape[1]):
        out[:, j] = _object_column_to_float(as_objects[:, j], j, name=name, place=place)
    return out


_is_boolean = np.frompyfunc(lambda value: isinstance(value, bool | np.bool_), 1, 1)


def _keep_booleans(data: Any, array: np.ndarray) -> np.ndarray:
    """``array`` as objects when the sequence ``data`` holds a true/false value.

    numpy turns ``[True, 10, 9]`` into the numbers ``[1, 10, 9]``; kept as objects, the
    element-wise conversion refuses the boolean and names its place, as for boolean arrays.
    """
    objects = np.array(data, dtype=object)
    if objects.shape == array.shape and np.asarray(_is_boolean(objects), dtype=bool).any():
        return objects
    return array


#: Elements per piece of the one-pass minimum/maximum scan: small enough that a piece
#: read for its minimum is still in cache for its maximum.
_SCAN_PIECE = 1 << 16


def _column_ranges(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column minimum and maximum (NaN where a column has one).

    ``min`` then ``max`` over a large column-major table reads it twice from memory;
    taken piece by piece, the second reduction finds the piece in cache.
    """
    n, k = values.shape
    if values.flags.f_contiguous:
        starts = range(0, n, _SCAN_PIECE)
        lows, highs = np.empty((k, len(starts))), np.empty((k, len(starts)))
        for j in range(k):
            column = values[:, j]
            for c, start in enumerate(starts):
                piece = column[start : start + _SCAN_PIECE]
                lows[j, c] = np.minimum.reduce(piece)
                highs[j, c] = np.maximum.reduce(piece)
        return np.minimum.reduce(lows, axis=1), np.maximum.reduce(highs, axis=1)
    # Row-major tables: numpy reduces along rows in one sweep already.
    return np.minimum.reduce(values, axis=0), np.maximum.reduce(values, axis=0)


def _check_finite_and_scale(
    values: np.ndarray, *, name: str, place: _Place, scale: Scale | None
) -> bool:
    """Reject infinities and out-of-scale values; return whether any value is missing."""
    if values.size == 0:
        return False
    # NaN propagates through min/max, so one scan finds all three cases.
    low, high = _column_ranges(values)
    nan_cols = np.isnan(low) | np.isnan(high)
    if nan_cols.any():
        low[nan_cols] = np.nanmin(values[:, nan_cols], axis=0, initial=np.inf)
        high[nan_cols] = np.nanmax(values[:, nan_cols], axis=0, initial=-np.inf)
        low[nan_cols & np.isinf(low)] = np.nan  # all-missing columns
        high[nan_cols & np.isinf(high)] = np.nan
    lo_bound, hi_bound = (-np.inf, np.inf) if scale is None else scale
    bad = (low < lo_bound) | (high > hi_bound) | np.isinf(low) | np.isinf(high)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        column = values[:, j]
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero((column < lo_bound) | (column > hi_bound) | np.isinf(column))
        i = int(rows[0])
        allowed = (
            "finite numbers" if scale is None else f"numbers from {scale[0]:g} to {scale[1]:g}"
        )
        raise DataError(
            f"{name}: {place(i, j)}: value {_show(column[i])} is outside the allowed range; "
            f"allowed: {allowed}, or {_MISSING_NAMES}"
        )
    return bool(nan_cols.any())


def _check_scale_argument(scale: Scale | None) -> Scale | None:
    if scale is None:
        return None
    try:
        lo, hi = (float(scale[0]), float(scale[1]))
        valid = len(scale) == 2 and math.isfinite(lo) and math.isfinite(hi) and lo < hi
    except (TypeError, ValueError, IndexError):
        valid = False
    if not valid:
        raise DataError(
            f"scale: got {scale!r}; allowed: a pair (low, high) of finite numbers, low < high"
        )
    return (lo, hi)


def as_matrix(
    data: Any,
    *,
    name: str,
    scale: Scale | None = None,
    min_rows: int = 1,
) -> Matrix:
    """Coerce respondents x items data into a validated :class:`Matrix`.

    Args:
        data: DataFrame (columns = items), Series or 1-D array / list (one item), 2-D
            array-like.
        name: the argument name, used in error messages (e.g. ``"perceived"``).
        scale: ``(low, high)`` inclusive bounds every non-missing value must respect;
            ``None`` checks only that values are finite.
        min_rows: minimum number of rows.

    Raises:
        DataError: non-numeric, boolean or infinite values, values outside ``scale``, a
            table with more than two dimensions, no columns, or fewer than ``min_rows`` rows.
    """
    bounds = _check_scale_argument(scale)
    index: pd.Index | None = None
    single = isinstance(data, pd.Series)
    if single:
        data = data.to_frame(name=data.name if data.name is not None else 0)
    if isinstance(data, pd.DataFrame):
        index = data.index
        columns: list[Hashable] = list(data.columns)
        place = _Place(columns, index, single)
        values = _frame_to_float(data, name=name, place=place)
    else:
        array = np.asarray(data)
        if not isinstance(data, np.ndarray) and array.dtype.kind in "iuf":
            array = _keep_booleans(data, array)
        single = array.ndim == 1
        if single:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise DataError(
                f"{name}: got an array with {array.ndim} dimensions (shape {array.shape}); "
                "allowed: respondents x items (2 dimensions) or a single column (1 dimension)"
            )
        columns = list(range(array.shape[1]))
        place = _Place(columns, None, single)
        values = _array_to_float(array, name=name, place=place)
    if values.shape[1] == 0:
        raise DataError(f"{name}: has no columns; allowed: at least one item column")
    if values.shape[0] < min_rows:
        raise DataError(
            f"{name}: has {counted(values.shape[0], 'row')}; at least "
            f"{counted(min_rows, 'respondent')} needed"
        )
    has_missing = _check_finite_and_scale(values, name=name, place=place, scale=bounds)
    return Matrix(values, columns, index, has_missing, name, single)


def as_vector(data: Any, *, name: str, scale: Scale | None = None, min_rows: int = 1) -> Matrix:
    """Coerce a single variable (Series, 1-D array or list) into a one-column :class:`Matrix`.

    Raises:
        DataError: as :func:`as_matrix`, and when ``data`` has more than one column.
    """
    matrix = as_matrix(data, name=name, scale=scale, min_rows=min_rows)
    if matrix.values.shape[1] != 1:
        raise DataError(
            f"{name}: got {matrix.values.shape[1]} columns; allowed: one variable "
            "(a Series, a 1-D array or a list)"
        )
    return matrix


def match_matrices(*matrices: Matrix) -> list[Matrix]:
    """Check that tables describe the same respondents and items; align columns by label.

    Rows are paired by position. When all inputs are DataFrames their columns are matched
    by label (reordered to the first input's order) and their row indexes must be equal.

    Raises:
        DataError: unequal numbers of rows or columns, different column labels, different
            row indexes.
    """
    first = matrices[0]
    out = [first]
    for other in matrices[1:]:
        if other.n_rows != first.n_rows:
            raise DataError(
                f"{other.name}: has {counted(other.n_rows, 'row')} but {first.name} has "
                f"{first.n_rows:,}; "
                "allowed: one row per respondent in both, in the same order"
            )
        if other.values.shape[1] != first.values.shape[1]:
            raise DataError(
                f"{other.name}: has {counted(other.values.shape[1], 'column')} but "
                f"{first.name} has {first.values.shape[1]:,}; allowed: the same items in both"
            )
        if other.columns != first.columns:
            missing = [c for c in first.columns if c not in other.columns]
            if missing:
                raise DataError(
                    f"{other.name}: lacks column(s) {missing!r} that {first.name} has; "
                    "allowed: the same item columns in both"
                )
            other = other.select(first.columns)
        if (
            first.index is not None
            and other.index is not None
            and not first.index.equals(other.index)
        ):
            raise DataError(
                f"{other.name}: its row index differs from that of {first.name}; allowed: the "
                "same respondents in the same order (align the two tables first)"
            )
        out.append(other)
    return out


def require_count(count: int, minimum: int, *, name: str, what: str) -> None:
    """Raise unless ``count >= minimum``; ``what`` says what was counted and where."""
    if count < minimum:
        raise DataError(f"{name}: {what} is {count}; at least {minimum} needed")


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` as a float after checking 0 < confidence < 1."""
    if not _is_number(confidence) or not 0.0 < float(confidence) < 1.0:
        raise DataError(
            f"confidence: got {confidence!r}; allowed: a number between 0 and 1 (e.g. 0.95)"
        )
    return float(confidence)


def check_choice(value: Any, allowed: Sequence[Any], *, name: str) -> None:
    """Raise unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise DataError(f"{name}: got {value!r}; allowed: {', '.join(map(repr, allowed))}")


def check_integer_values(matrix: Matrix, *, low: int, high: int) -> None:
    """Raise unless every non-missing value is a whole number from ``low`` to ``high``."""
    values = matrix.values
    with np.errstate(invalid="ignore"):
        bad = (values != np.round(values)) | (values < low) | (values > high)
    if matrix.has_missing:
        bad &= ~np.isnan(values)
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(bad))
        raise DataError(
            f"{matrix.name}: {matrix.where(i, j)}: value {_show(values[i, j])} is not allowed; "
            "allowed: whole "
            f"numbers from {low} to {high}, or {_MISSING_NAMES}"
        )


def dimension_map(
    columns: Sequence[Hashable],
    dimensions: Mapping[Any, Any],
    *,
    name: str = "dimensions",
) -> dict[Hashable, np.ndarray]:
    """Resolve a dimension specification into ``{dimension: item positions}``.

    ``dimensions`` is either ``{item: dimension}`` or ``{dimension: [items, ...]}`` (a
    mapping whose values are lists or tuples). Every item must belong to exactly one
    dimension. Dimensions are ordered by their first item in ``columns``.

    Raises:
        DataError: an unknown item, an item without a dimension or in two dimensions.
    """
    values = list(dimensions.values())
    if values and all(isinstance(v, list | tuple) for v in values):
        item_to_dim: dict[Hashable, Hashable] = {}
        for dim, items in dimensions.items():
            for item in items:
                if item in item_to_dim:
                    raise DataError(
                        f"{name}: item {item!r} is listed under both {item_to_dim[item]!r} "
                        f"and {dim!r}; allowed: each item in one dimension"
                    )
                item_to_dim[item] = dim
    else:
        item_to_dim = dict(dimensions)
    unknown = [item for item in item_to_dim if item not in columns]
    if unknown:
        raise DataError(
            f"{name}: item(s) {unknown!r} are not columns of the data; allowed: {list(columns)!r}"
        )
    unassigned = [c for c in columns if c not in item_to_dim]
    if unassigned:
        raise DataError(
            f"{name}: item(s) {unassigned!r} have no dimension; allowed: a dimension for "
            "every item column"
        )
    groups: dict[Hashable, list[int]] = {}
    for position, column in enumerate(columns):
        groups.setdefault(item_to_dim[column], []).append(position)
    return {dim: np.asarray(pos, dtype=np.intp) for dim, pos in groups.items()}


def normalised_weights(
    weights: Mapping[Any, float] | pd.Series,
    keys: Sequence[Hashable],
    *,
    name: str = "weights",
) -> np.ndarray:
    """Importance weights for ``keys`` scaled to sum to one.

    Raises:
        DataError: a key without a weight, an unknown key, a negative or non-numeric weight,
            or a total that is not positive.
    """
    given = dict(weights.items())
    unknown = [k for k in given if k not in keys]
    missing = [k for k in keys if k not in given]
    if unknown or missing:
        raise DataError(
            f"{name}: unknown key(s) {unknown!r}, missing key(s) {missing!r}; allowed: one "
            f"weight for each of {list(keys)!r}"
        )
    out = np.empty(len(keys), dtype=np.float64)
    for position, key in enumerate(keys):
        value = given[key]
        if not _is_number(value) or not math.isfinite(float(value)) or float(value) < 0:
            raise DataError(
                f"{name}: weight {value!r} for {key!r} is not allowed; allowed: a finite "
                "number >= 0"
            )
        out[position] = float(value)
    total = out.sum()
    if total <= 0:
        raise DataError(f"{name}: the weights sum to {total:g}; allowed: a positive total")
    return out / total
