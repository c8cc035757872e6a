"""The analysis a user gets does not change when the code behind it is reorganised.

``cxgap analyze --json`` on a small demo organisation (fixed seed) is compared, key by
key, with the output recorded in ``analysis_demo.json``. Numbers must agree to 1e-9
(relative); everything else exactly. When a change is *meant* to alter the output,
regenerate the file with ``python -m tests.pinned.test_analysis_output`` and say why in
the commit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

from tests.databases import load_demo_copy

from cxgap.store.database import get_engine, upgrade

PINNED = Path(__file__).with_name("analysis_demo.json")
SURVEY = "heating-2026q4"
ANCHOR = dt.date(2027, 1, 1)
"""The demo is dated before this day (waves 2025Q1-2026Q4), whatever today is."""
ARGS = ["analyze", "--survey", SURVEY, "--by", "age_band", "--by", "region"]


def run_analysis(folder: Path) -> Any:
    from cxgap.cli import main

    db = folder / "pinned.db"
    engine = get_engine(str(db))
    upgrade(engine)
    load_demo_copy(engine, seed=11, customers=400, anchor=ANCHOR)
    out = folder / "analysis.json"
    try:
        main(["--db", str(db), *ARGS, "--json", str(out)])
    except SystemExit as exc:
        assert not exc.code, f"cxgap analyze exited {exc.code}"
    return json.loads(out.read_text(encoding="utf-8"))


def differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where two JSON values differ (numbers to 1e-9 relative)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = (
            [f"{where}: keys {sorted(set(expected) ^ set(actual))}"]
            if set(expected) != set(actual)
            else []
        )
        for key in expected.keys() & actual.keys():
            found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items, now {len(actual)}"]
        return [
            d
            for k, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{where}[{k}]")
        ]
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
    ):
        if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12):
            return []
        return [f"{where}: {expected!r}, now {actual!r}"]
    return [] if expected == actual else [f"{where}: {expected!r}, now {actual!r}"]


def test_analysis_json_is_unchanged(tmp_path: Path) -> None:
    expected = json.loads(PINNED.read_text(encoding="utf-8"))
    actual = run_analysis(tmp_path)
    found = differences(expected, actual)
    assert not found, "\n".join(found[:40])


def test_the_comparison_sees_a_change() -> None:
    pinned = {"a": [1.0, {"b": "x"}], "c": 2}
    assert differences(pinned, {"a": [1.0 + 1e-12, {"b": "x"}], "c": 2}) == []
    assert differences(pinned, {"a": [1.001, {"b": "x"}], "c": 2})
    assert differences(pinned, {"a": [1.0, {"b": "y"}], "c": 2})
    assert differences(pinned, {"a": [1.0], "c": 2})
    assert differences(pinned, {"a": [1.0, {"b": "x"}]})


if __name__ == "__main__":  # regenerate the pinned output
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = run_analysis(Path(folder))
    PINNED.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}", file=sys.stderr)
