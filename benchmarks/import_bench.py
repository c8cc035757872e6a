"""Import benchmark: 100,000 respondents on the 22-item zone-of-tolerance battery.

Times the full import (parse, validate, store) of a CSV with 66 answer columns, and a
baseline that only bulk-inserts the same already-parsed rows (responses and answers) with
the same driver, into a fresh SQLite file, in the same run. Each phase runs in its own
process so its peak memory can be reported.

    python benchmarks/import_bench.py [--respondents 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

INSTRUMENT = "servqual-zot"


def make_csv(path: Path, respondents: int, seed: int = 1) -> None:
    from cxgap.instruments import get_instrument

    instrument = get_instrument(INSTRUMENT)
    rng = np.random.default_rng(seed)
    columns = {"respondent_id": [f"R{i:07d}" for i in range(respondents)]}
    for column in instrument.answer_columns():
        columns[column.name] = rng.integers(1, 10, respondents)
    pd.DataFrame(columns).to_csv(path, index=False)


def phase_full(csv_path: Path, db: Path) -> dict[str, float]:
    from cxgap.services.imports import import_file
    from cxgap.services.surveys import ensure_survey
    from cxgap.store.database import get_engine, upgrade

    engine = get_engine(str(db))
    upgrade(engine)
    ensure_survey(engine, "bench", instrument=INSTRUMENT)
    start = time.perf_counter()
    summary = import_file(engine, csv_path, survey="bench")
    seconds = time.perf_counter() - start
    assert summary.rejected == 0 and summary.accepted == summary.rows
    return {"seconds": seconds, "rows": summary.accepted, "answers": summary.answers_stored}


def phase_baseline(csv_path: Path, db: Path) -> dict[str, float]:
    """Parse outside the clock, then time only the driver's bulk inserts."""
    from cxgap.instruments import get_instrument
    from cxgap.services.imports import ANSWER_COLUMNS, answer_rows
    from cxgap.services.surveys import ensure_survey
    from cxgap.store.bulk import bulk_insert
    from cxgap.store.database import get_engine, upgrade

    engine = get_engine(str(db))
    upgrade(engine)
    ensure_survey(engine, "bench", instrument=INSTRUMENT)
    instrument = get_instrument(INSTRUMENT)
    frame = pd.read_csv(csv_path)
    n = len(frame)
    responses = [
        (1, key, "0" * 16, "import", "complete", "2026-01-01 00:00:00")
        for key in frame["respondent_id"]
    ]
    # The same rows the import stores, in the same (key) order, built before the clock.
    columns = instrument.answer_columns()
    values = {c.name: frame[c.name].astype("float64") for c in columns}
    answers = list(
        answer_rows(values, columns, np.arange(n), list(range(1, n + 1)), nan_is_null=True)
    )
    start = time.perf_counter()
    with engine.begin() as conn:
        bulk_insert(
            conn,
            "responses",
            ("survey_id", "respondent_key", "fingerprint", "source", "status", "created_at"),
            [responses],
        )
        bulk_insert(conn, "answers", ANSWER_COLUMNS, answers)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": n, "answers": sum(len(c) for c in answers)}


def run_phase(name: str, csv_path: Path, db: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--csv", str(csv_path), "--db", str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--phase", choices=["full", "baseline"])
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.phase:
        fn = phase_full if args.phase == "full" else phase_baseline
        result = fn(args.csv, args.db)
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "zot.csv"
        make_csv(csv_path, args.respondents)
        size = csv_path.stat().st_size / 2**20
        baseline = run_phase("baseline", csv_path, folder / "baseline.db")
        full = run_phase("full", csv_path, folder / "full.db")
    ratio = full["seconds"] / baseline["seconds"]
    print(f"file: {args.respondents:,} respondents x 66 answer columns, {size:.1f} MiB CSV")
    print(f"{'phase':<34}{'seconds':>9}{'resp/s':>11}{'peak MiB':>10}")
    for name, res in (
        ("baseline (bulk insert only)", baseline),
        ("full import (parse+validate+store)", full),
    ):
        print(
            f"{name:<34}{res['seconds']:>9.2f}{res['rows'] / res['seconds']:>11,.0f}"
            f"{res['peak_rss_mib']:>10.0f}"
        )
    print(
        f"ratio full / baseline: {ratio:.2f}x (target <= 2x); full import "
        f"{full['seconds']:.1f} s (target <= 15 s)"
    )


if __name__ == "__main__":
    main()
