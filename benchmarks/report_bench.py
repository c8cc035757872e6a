"""Report benchmark: the PDF report of a survey of 100,000 respondents.

Builds a database once: the demo organisation (eight small quarterly waves, for the
trend) plus one more wave of the same questionnaire with ``--respondents`` responses,
resampled from the demo's last wave and stored through the bulk path the demo loader
uses. Then times, in the same run:

- ``analysis``: :func:`cxgap.services.analysis.analyze_survey` alone (load, statistics,
  segment comparison, trend), as the baseline the report adds to;
- the report: :func:`cxgap.reports.build_report` to PDF with a compared wave and a
  segment heatmap, split into its own ``analysis``, ``headline`` and ``render`` phases.

Target: the PDF report in at most 15 s.

    python benchmarks/report_bench.py [--respondents 100000] [--db FILE] [--lang fa]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np

SURVEY = "bench-2027q1"
PREVIOUS = "heating-2026q4"
DEMO_ANCHOR = dt.date(2027, 1, 1)
"""The demo is dated before this day (waves 2025Q1-2026Q4), whatever today is."""
TARGET_SECONDS = 15.0


def build_database(path: Path, respondents: int) -> None:
    from cxgap.engine.frames import load_survey
    from cxgap.services.demo import load_demo, store_wide
    from cxgap.services.surveys import create_survey
    from cxgap.store.database import get_engine, transaction, upgrade
    from cxgap.store.models import Customer

    engine = get_engine(str(path))
    upgrade(engine)
    load_demo(engine, seed=7, customers=5000, anchor=DEMO_ANCHOR)
    last = load_survey(engine, PREVIOUS)
    rng = np.random.default_rng(3)
    frame = last.frame.iloc[rng.integers(0, len(last.frame), respondents)].reset_index(drop=True)
    frame["respondent_id"] = [f"B{i:07d}" for i in range(respondents)]
    frame["submitted_at"] = dt.datetime(2027, 2, 1)
    with transaction(engine) as session:
        ids = dict(session.query(Customer.external_id, Customer.id).all())
        survey = create_survey(
            session,
            SURVEY,
            instrument=last.instrument,
            name="Customer survey 2027Q1",
            wave="2027Q1",
            period_start=dt.date(2027, 1, 1),
            period_end=dt.date(2027, 3, 31),
        )
        store_wide(session, survey, last.instrument, frame, source="benchmark", customer_of=ids)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    parser.add_argument("--lang", default="en", choices=["en", "zh", "fa"])
    parser.add_argument("--out", type=Path, help="keep the PDF here")
    args = parser.parse_args()

    from cxgap.engine import frames
    from cxgap.reports import build_report
    from cxgap.services.analysis import analyze_survey
    from cxgap.store.database import get_engine

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        if not db.exists():
            start = time.perf_counter()
            build_database(db, args.respondents)
            print(f"database built in {time.perf_counter() - start:.1f} s: {db}")
        engine = get_engine(str(db))
        start = time.perf_counter()
        analysis = analyze_survey(engine, SURVEY, by="age_band")
        analysis_only = time.perf_counter() - start
        frames.clear_cache()  # the report is timed cold: it loads and analyses again
        start = time.perf_counter()
        report = build_report(
            engine,
            SURVEY,
            compare=PREVIOUS,
            by="age_band",
            lang=args.lang,
            format="pdf",
            out=args.out,
        )
        total = time.perf_counter() - start
        figures = {
            "respondents": analysis.survey.n_responses,
            "analysis_alone_s": round(analysis_only, 2),
            "report_total_s": round(total, 2),
            **{f"report_{k}_s": round(v, 2) for k, v in report.timings.items()},
            "pdf_bytes": len(report.content),
            "target_s": TARGET_SECONDS,
            "within_target": total <= TARGET_SECONDS,
        }
        print(json.dumps(figures, indent=1))
        engine.dispose()


if __name__ == "__main__":
    main()
