"""``cxgap serve --workers N``: several processes on PostgreSQL, refused on SQLite, and
rate limits shared out among the processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from tests.postgres_server import TEST_SECRET_KEY, PostgresServer

from cxgap.instruments import Instrument
from cxgap.services import accounts
from cxgap.services.imports import import_file
from cxgap.services.surveys import create_survey
from cxgap.settings import WebSettings, get_settings
from cxgap.store.database import get_engine, transaction
from cxgap.web.workers import RATE_LIMITS, share_limits, worker_environment

Cli = Callable[..., tuple[int, str, str]]
API_LIMIT = 10


def test_several_workers_on_sqlite_are_refused_with_a_reason(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("--db", tmp_path / "one.db", "serve", "--workers", "2", "--no-demo")
    assert code != 0
    message = " ".join((out + err).split())
    assert "--workers 2" in message and "need PostgreSQL" in message
    assert "one writer" in message and "--workers 1" in message
    assert "Traceback" not in out + err
    assert not (tmp_path / "one.db").exists()  # refused before anything was created


def test_limits_are_divided_among_the_processes() -> None:
    options = WebSettings(login_attempts_per_minute=10, api_requests_per_minute=601)
    shared = share_limits(options, 3)
    assert shared.login_attempts_per_minute == 3
    assert shared.api_requests_per_minute == 200
    assert shared.link_posts_per_minute == options.link_posts_per_minute // 3
    assert share_limits(WebSettings(login_attempts_per_minute=1), 4).login_attempts_per_minute == 1
    env = worker_environment("postgresql+psycopg://u@h/d", options, "http://x", 2)
    assert env["CXGAP_DATABASE_URL"] == "postgresql+psycopg://u@h/d"
    assert env["CXGAP_LOGIN_ATTEMPTS_PER_MINUTE"] == "5"
    assert {f"CXGAP_{name.upper()}" for name in RATE_LIMITS} <= set(env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _worker_processes(parent: int) -> list[int]:
    """Processes started by ``parent`` (uvicorn's supervisor) that run a worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return found


@dataclass
class Served:
    base: str
    url: str


@pytest.fixture
def two_workers(
    request: pytest.FixtureRequest, postgres_server: PostgresServer, tmp_path: Path
) -> Iterator[Served]:
    """``cxgap serve --workers 2`` on a fresh PostgreSQL database (its URL as ``url``), with
    ``CXGAP_API_REQUESTS_PER_MINUTE`` set to the parameter (default :data:`API_LIMIT`)."""
    url = postgres_server.new_database()
    port = _free_port()
    env = {
        **os.environ,
        "CXGAP_SECRET_KEY": TEST_SECRET_KEY,
        "CXGAP_API_REQUESTS_PER_MINUTE": str(getattr(request, "param", API_LIMIT)),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "cxgap", "--db", url, "serve"),
            *("--workers", "2", "--no-demo", "--port", str(port)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("cxgap serve --workers 2 did not answer within 90 s")
        yield Served(base, url)
        output = (tmp_path / "serve.log").read_text()
        assert "workers: 2 processes" in output and "1/2 of every per-minute limit" in output
        assert len(_worker_processes(server.pid)) == 2
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        postgres_server.drop_database(url)


@pytest.mark.slow  # starts a two-process server (about 10-40 s)
def test_two_workers_on_postgresql_share_the_rate_limit(two_workers: Served) -> None:
    headers = {"Authorization": "Bearer cxg_not-a-real-key"}

    def allowed(codes: list[int]) -> int:
        assert set(codes) <= {401, 429}, codes
        return sum(code != 429 for code in codes)

    # a new connection for every request: the kernel spreads them over both processes,
    # which together never allow more than the configured limit
    spread = [
        httpx.get(f"{two_workers.base}/api/v1/surveys", headers=headers, timeout=10).status_code
        for _ in range(3 * API_LIMIT)
    ]
    assert API_LIMIT // 2 <= allowed(spread) <= API_LIMIT
    # one kept-alive connection stays with one process: it gets that process's share
    other = {"Authorization": "Bearer cxg_another-key"}
    with httpx.Client(base_url=two_workers.base, timeout=10) as client:
        kept = [client.get("/api/v1/surveys", headers=other).status_code for _ in range(API_LIMIT)]
    assert allowed(kept) == API_LIMIT // 2


def _import(engine: Engine, folder: Path, start: int, count: int) -> None:
    lines = [
        "respondent_id,rel1_adequate,rel1_desired,rel1_perceived,nps,comment",
        *(f"r{n},3,8,{1 + n % 9},{n % 11},ok" for n in range(start, start + count)),
    ]
    path = folder / f"batch-{start}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_file(engine, path, survey="mini-w1").accepted == count


@pytest.mark.slow
@pytest.mark.parametrize("two_workers", [10_000], indirect=True)
def test_each_worker_caches_but_follows_the_database(
    two_workers: Served, mini: Instrument, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXGAP_SECRET_KEY", TEST_SECRET_KEY)
    get_settings.cache_clear()
    engine = get_engine(two_workers.url)
    with transaction(engine) as session:
        create_survey(session, "mini-w1", instrument=mini, wave="W1")
        user = accounts.create_user(
            session, "analyst@example.org", "a long pass phrase 4 tests", role="analyst"
        )
        key = accounts.create_api_key(session, user, "workers", actor="test").key
    _import(engine, tmp_path, 0, 12)

    def analysed() -> set[int]:
        """``n_responses`` as answered over new connections (both processes answer)."""
        seen = set()
        for _ in range(8):
            response = httpx.post(
                f"{two_workers.base}/api/v1/analyses",
                json={"survey": "mini-w1"},
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
            assert response.status_code == 200, response.text
            seen.add(response.json()["survey"]["n_responses"])
        return seen

    assert analysed() == {12}
    _import(engine, tmp_path, 100, 3)  # written by another process than the servers
    assert analysed() == {15}  # no process serves its cached analysis of 12
    engine.dispose()
    get_settings.cache_clear()
