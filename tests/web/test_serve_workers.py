"""``cxgap serve --workers N``: several processes on PostgreSQL, refused on SQLite, and
rate limits shared out among the processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from tests.postgres_server import PostgresServer

from cxgap.settings import WebSettings
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


@pytest.fixture
def two_workers(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[str]:
    """``cxgap serve --workers 2`` on a fresh PostgreSQL database; yields its address."""
    url = postgres_server.new_database()
    port = _free_port()
    env = {
        **os.environ,
        "CXGAP_SECRET_KEY": "a-secret-shared-by-every-worker-of-this-test",
        "CXGAP_API_REQUESTS_PER_MINUTE": str(API_LIMIT),
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
        yield base
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


def test_two_workers_on_postgresql_share_the_rate_limit(two_workers: str) -> None:
    headers = {"Authorization": "Bearer cxg_not-a-real-key"}

    def allowed(codes: list[int]) -> int:
        assert set(codes) <= {401, 429}, codes
        return sum(code != 429 for code in codes)

    # a new connection for every request: the kernel spreads them over both processes,
    # which together never allow more than the configured limit
    spread = [
        httpx.get(f"{two_workers}/api/v1/surveys", headers=headers, timeout=10).status_code
        for _ in range(3 * API_LIMIT)
    ]
    assert API_LIMIT // 2 <= allowed(spread) <= API_LIMIT
    # one kept-alive connection stays with one process: it gets that process's share
    other = {"Authorization": "Bearer cxg_another-key"}
    with httpx.Client(base_url=two_workers, timeout=10) as client:
        kept = [client.get("/api/v1/surveys", headers=other).status_code for _ in range(API_LIMIT)]
    assert allowed(kept) == API_LIMIT // 2
