"""Tables become JSON records a column at a time; each value must be what converting it
on its own gives (numbers as Python numbers, NaN and infinities as None, text as text,
missing text as None)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from cxgap.stats.result import to_jsonable


def one_by_one(value: object) -> object:
    """The plain conversion of one cell, written independently of ``to_jsonable``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def test_table_records_match_cell_by_cell_conversion() -> None:
    rng = np.random.default_rng(7)
    n = 2_000
    floats = rng.normal(size=n)
    floats[rng.integers(0, n, 50)] = np.nan
    floats[3], floats[4] = np.inf, -np.inf
    text = pd.Series(rng.choice(["M", "I", "A", "O"], n), dtype="str")
    text[rng.integers(0, n, 40)] = None
    frame = pd.DataFrame(
        {
            "x": floats,
            "k": rng.integers(-5, 5, n),
            "u": rng.integers(0, 9, n).astype(np.uint8),
            "flag": rng.random(n) < 0.5,
            "category": text,
            "mixed": pd.Series([None if i % 7 == 0 else ("a" if i % 2 else 1.5) for i in range(n)]),
            "f32": rng.normal(size=n).astype(np.float32),
        },
        index=pd.Index([f"r{i}" for i in range(n)], name="row"),
    )
    records = to_jsonable(frame)
    assert isinstance(records, list) and len(records) == n
    flat = frame.reset_index()
    for i in (0, 3, 4, *rng.integers(0, n, 200).tolist()):
        expected = {str(c): one_by_one(flat[c].iloc[i]) for c in flat.columns}
        got = records[i]
        assert list(got) == list(expected)
        for key, value in expected.items():
            assert type(got[key]) is type(value), (i, key, got[key], value)
            assert got[key] == value, (i, key, got[key], value)
    json.dumps(records, allow_nan=False)  # strict JSON


def test_empty_tables() -> None:
    assert to_jsonable(pd.DataFrame(index=range(2))) == [{}, {}]
    assert to_jsonable(pd.DataFrame({"a": pd.Series([], dtype="float64")})) == []
