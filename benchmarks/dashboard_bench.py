"""Dashboard benchmark: the overview page and the analysis endpoint over 1,000,000 answers.

Builds a database once: the demo organisation (eight quarterly waves, for the trends)
plus one more wave of the same questionnaire, resampled from the demo's last wave and
stored through the bulk path the demo loader uses, sized so the database holds at least
``--answers`` answer rows. Then, through the real application in-process:

- ``GET /dashboard`` for the large wave (signed-in manager),
- ``GET /dashboard/priorities?part=1``, the overview's priority list, which the page's
  script fetches after it, and
- ``POST /api/v1/analyses`` for the same wave (API key),

each timed once cold (every per-process cache emptied) and ``--repeat`` times warm, and
once more right after new responses arrive (the caches must notice and recompute).

Targets for the overview: cold under 1 s, p95 of the warm requests under 100 ms.
Before the first request the application is warmed up as ``cxgap serve`` does before it
accepts requests (``cxgap.web.dashboard.analysis_pages.warm_up``; ``serve_warm_up_ms``).

What is cached, per process: the survey tables (``cxgap.engine.frames``, keyed by each
survey's data version), whole analyses (``cxgap.services.analysis.cached_analysis``, keyed
by the data versions of the survey and its waves), the earlier waves' headline figures
summed in the database (``headline_analyses``, keyed by each wave's data version), and
chart SVGs (keyed by their Vega-Lite specification). A data version is the response count,
highest response id, customer links and the newest customer change, so new responses,
erasure and customer edits all invalidate.

Each wave's headline sums are kept in the database (``wave_sums``) and survive the
emptied caches, as they survive a restart; ``cold_nothing_kept_ms`` times one more first
request with none kept (every wave's sums formed from its answers).

``--postgres`` stores the data in a throw-away PostgreSQL server instead of a SQLite file
(``tests/postgres_server.py``: PostgreSQL's binaries must be installed).

    python benchmarks/dashboard_bench.py [--answers 1000000] [--repeat 30] [--db FILE]
    python benchmarks/dashboard_bench.py --postgres [--answers 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SURVEY = "bench-2027q1"
LAST_DEMO_WAVE = "heating-2026q4"
DEMO_ANCHOR = dt.date(2027, 1, 1)
"""The demo is dated before this day (waves 2025Q1-2026Q4), whatever today is."""
TARGET_COLD_MS = 1000.0
TARGET_MS = 100.0
PASSWORD = "walrus umbrella quietly orbits 4711"


def build_database(path: Path | str, answers: int) -> None:
    from sqlalchemy import func, select

    from cxgap.engine.frames import load_survey
    from cxgap.services.demo import load_demo, store_wide
    from cxgap.services.surveys import create_survey
    from cxgap.store.database import get_engine, transaction, upgrade
    from cxgap.store.models import Answer, Customer, Response

    engine = get_engine(str(path))
    upgrade(engine)
    load_demo(engine, seed=7, customers=5000, anchor=DEMO_ANCHOR)
    last = load_survey(engine, LAST_DEMO_WAVE)
    with transaction(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Answer)) or 0
        per_response = stored / max(session.scalar(select(func.count(Response.id))) or 1, 1)
    respondents = max(int(np.ceil((answers - stored) / per_response)), 100)
    rng = np.random.default_rng(3)
    frame = last.frame.iloc[rng.integers(0, len(last.frame), respondents)].reset_index(drop=True)
    frame["respondent_id"] = [f"B{i:07d}" for i in range(respondents)]
    frame["submitted_at"] = dt.datetime(2027, 2, 1)
    with transaction(engine) as session:
        ids = {ext: id_ for ext, id_ in session.execute(select(Customer.external_id, Customer.id))}
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


def has_benchmark_survey(db: Path | str) -> bool:
    """Whether ``db`` holds the benchmark's data already (a new one is migrated here)."""
    if isinstance(db, Path) and not db.exists():
        return False
    from sqlalchemy import select

    from cxgap.store.database import get_engine, transaction, upgrade
    from cxgap.store.models import Survey

    engine = get_engine(str(db))
    upgrade(engine)
    with transaction(engine) as session:
        found = session.scalar(select(Survey.id).where(Survey.key == SURVEY))
    engine.dispose()
    return found is not None


def clear_caches() -> None:
    from cxgap.engine import frames
    from cxgap.services import analysis
    from cxgap.web.dashboard import common, summary

    frames.clear_cache()
    analysis.clear_analysis_cache()
    summary.clear_cache()
    common.clear_chart_cache()


def forget_kept_sums(engine: Any) -> bool:
    """Delete every wave's kept headline sums; False when the code keeps none."""
    from sqlalchemy import text

    from cxgap.store.database import transaction

    try:
        with transaction(engine) as session:
            session.execute(text("DELETE FROM wave_sums"))
    except Exception:  # the code measured keeps no sums (a baseline)
        return False
    return True


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code} {response.text[:300]}")
    return elapsed


def figures(cold: float, warm: list[float], after: float) -> dict[str, Any]:
    ordered = sorted(warm)
    p95 = ordered[min(len(ordered) - 1, int(np.ceil(0.95 * len(ordered))) - 1)]
    return {
        "cold_ms": round(cold, 1),
        "warm_p50_ms": round(statistics.median(warm), 1),
        "warm_p95_ms": round(p95, 1),
        "warm_max_ms": round(max(warm), 1),
        "after_new_responses_ms": round(after, 1),
        "within_target": p95 < TARGET_MS and cold < TARGET_COLD_MS,
    }


def add_responses(engine: Any, count: int, tag: str) -> None:
    from cxgap.engine.frames import load_survey
    from cxgap.services.demo import store_wide
    from cxgap.store.database import transaction
    from cxgap.store.lookups import get_survey

    data = load_survey(engine, SURVEY)
    frame = data.frame.head(count).drop(columns=["customer_id"]).copy()
    frame["respondent_id"] = [f"{tag}{time.time_ns()}-{i}" for i in range(count)]
    frame["submitted_at"] = dt.datetime(2027, 2, 1)
    with transaction(engine) as session:
        store_wide(session, get_survey(session, SURVEY), data.instrument, frame, source="test")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    parser.add_argument(
        "--postgres", action="store_true", help="store in a throw-away PostgreSQL server"
    )
    parser.add_argument(
        "--database-url", help="reuse (or fill) this database (e.g. postgresql+psycopg://...)"
    )
    args = parser.parse_args()
    server = None
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.postgres_server import PostgresServer

        server = PostgresServer().start()
        # a server database keeps no secret file beside it: sessions are signed with the setting
        os.environ.setdefault("CXGAP_SECRET_KEY", "benchmark-secret-key-for-a-throw-away-server")
    try:
        run(args, server)
    finally:
        if server is not None:
            server.stop()


def run(args: argparse.Namespace, server: Any) -> None:

    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from cxgap.services.accounts import create_api_key, create_user, get_user
    from cxgap.store.database import get_engine, transaction
    from cxgap.store.models import Answer, Response
    from cxgap.web.auth import SESSION_COOKIE, issue_session
    from cxgap.web.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        db: Path | str = args.database_url or args.db or Path(tmp) / "bench.db"
        if server is not None:
            server.execute("CREATE DATABASE bench")
            db = server.url("bench")
        if not has_benchmark_survey(db):
            start = time.perf_counter()
            build_database(db, args.answers)
            print(f"database built in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        engine = get_engine(str(db))
        with transaction(engine) as session:
            answers = session.scalar(select(func.count()).select_from(Answer))
            responses = session.scalar(select(func.count()).select_from(Response))
            try:
                user = get_user(session, "bench@example.org")
            except Exception:
                user = create_user(session, "bench@example.org", PASSWORD, role="analyst")
            key = create_api_key(session, user, "benchmark", actor="benchmark").key
            session.flush()
        app = create_app(engine)
        try:  # what `cxgap serve` does before it accepts requests
            from cxgap.web.dashboard.analysis_pages import warm_up
        except ImportError:
            warm_up = None
        warm_up_ms = None
        if warm_up is not None:
            start = time.perf_counter()
            warm_up(engine)
            warm_up_ms = round((time.perf_counter() - start) * 1000, 1)
        client = TestClient(app)
        with transaction(engine) as session:
            bench_user = get_user(session, "bench@example.org")
            session.expunge(bench_user)
        client.cookies.set(SESSION_COOKIE, issue_session(engine, app.state.secret, bench_user))
        probe = client.post("/api/v1/analyses", json={}, headers={"authorization": f"Bearer {key}"})
        has_api = probe.status_code != 404
        requests: dict[str, Callable[[], Any]] = {
            "overview_page": lambda: client.get(f"/dashboard?survey={SURVEY}"),
        }
        if warm_up is not None:
            # the overview's priority list, which its script fetches after the page
            requests["priorities_part"] = lambda: client.get(
                f"/dashboard/priorities?survey={SURVEY}&part=1"
            )
        if has_api:
            requests["analysis_endpoint"] = lambda: client.post(
                "/api/v1/analyses",
                json={"survey": SURVEY},
                headers={"authorization": f"Bearer {key}"},
                cookies={},
            )
        results: dict[str, Any] = {
            "database": engine.dialect.name,
            "answers": answers,
            "responses": responses,
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "serve_warm_up_ms": warm_up_ms,
        }
        for n, (name, call) in enumerate(requests.items()):
            clear_caches()
            cold = timed(call)
            warm = [timed(call) for _ in range(args.repeat)]
            add_responses(engine, 10, f"N{n}-")
            after = timed(call)
            results[name] = figures(cold, warm, after)
        overview = results["overview_page"]
        if forget_kept_sums(engine):  # the worst first request: no wave's sums kept
            clear_caches()
            overview["cold_nothing_kept_ms"] = round(timed(requests["overview_page"]), 1)
        if not has_api:
            # the endpoint's work without HTTP: the cached analysis as JSON
            from cxgap.services.analysis import cached_analysis

            def service() -> Any:
                body = json.dumps(cached_analysis(engine, SURVEY).to_dict(), allow_nan=False)
                return type("Done", (), {"status_code": 200, "text": body})()

            clear_caches()
            cold = timed(service)
            warm = [timed(service) for _ in range(args.repeat)]
            add_responses(engine, 10, "S-")
            results["analysis_service"] = figures(cold, warm, timed(service))
            results["analysis_endpoint"] = "POST /api/v1/analyses not mounted: service timed"
        results["target_cold_ms"] = TARGET_COLD_MS
        results["target_p95_ms"] = TARGET_MS
        print(json.dumps(results, indent=1))
        engine.dispose()


if __name__ == "__main__":
    main()
