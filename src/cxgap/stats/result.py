"""The one way statistics return results.

Every public statistic returns a frozen dataclass derived from :class:`StatResult`:
scalar fields for headline numbers, a ``summary`` DataFrame with documented columns,
``to_dict()`` for JSON and ``_repr_html_`` for notebooks.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Convert numpy / pandas values into plain JSON-compatible Python values.

    NaN and infinities become ``None`` so the output is strict JSON.
    """
    if isinstance(value, StatResult):
        return value.to_dict()
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index() if not isinstance(value.index, pd.RangeIndex) else value
        if frame.shape[1] == 0:
            return [{} for _ in range(len(frame))]
        names = [str(k) for k in frame.columns]
        columns = [_column_values(frame.iloc[:, j]) for j in range(frame.shape[1])]
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _column_values(column: pd.Series) -> list[Any]:
    """One column's values as :func:`to_jsonable` makes them, numbers and text a whole
    column at a time (some tables have a row per respondent)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        array = column.to_numpy()
        values: list[Any] = array.tolist()
        if array.dtype.kind == "f":
            for position in np.flatnonzero(~np.isfinite(array)).tolist():
                values[position] = None
        return values
    if isinstance(column.dtype, pd.StringDtype):  # text, missing as None
        values = column.tolist()
        for position in np.flatnonzero(column.isna().to_numpy()).tolist():
            values[position] = None
        return values
    return [to_jsonable(v) for v in column.tolist()]


@dataclasses.dataclass(frozen=True)
class StatResult:
    """Base class of statistical results.

    Subclasses are frozen dataclasses; their ``summary`` field is the main table.
    """

    summary: pd.DataFrame

    def __post_init__(self) -> None:
        # numpy scalars become Python numbers: the values compare and print plainly
        # (``0.93``, not ``np.float64(0.93)``) in reprs, notebooks and JSON alike.
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.generic) and isinstance(value.item(), bool | int | float):
                object.__setattr__(self, field.name, value.item())

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-compatible values (DataFrames become lists of records)."""
        return {
            field.name: to_jsonable(getattr(self, field.name)) for field in dataclasses.fields(self)
        }

    def _repr_html_(self) -> str:
        scalars = [
            (f.name, getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name != "summary" and np.isscalar(getattr(self, f.name))
        ]
        head = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in scalars)
        title = type(self).__name__
        table = self.summary.to_html(float_format=lambda x: f"{x:.4g}", escape=True)
        return f"<div><strong>{title}</strong><table>{head}</table>{table}</div>"
