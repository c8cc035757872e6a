"""Acknowledged writes survive a SIGKILL of a real server that also serves analyses.

The sequence that once lost data: a write, an analysis read (answers read as columns), a
read by another process, more writes, then SIGKILL and a restart. Two SQLite libraries in
one server process (a second one statically linked into a driver) broke SQLite's locking:
the WAL file was deleted under the writer and the writes acknowledged after the analysis
vanished. The server must never have deleted WAL/SHM files open, and every write
acknowledged with 201 must be in the file after the kill.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.databases import load_demo_copy
from tests.durability.processes import sqlite_libraries

from cxgap.services import accounts
from cxgap.store.database import get_engine, transaction, upgrade

SURVEY = "heating-2026q4"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(db: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "--db", str(db), "serve", "--port", str(port), "--no-demo"],
        env={**os.environ, "CXGAP_ARROW_READER_MIN_ROWS": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def _deleted_database_files(pid: int, db: Path) -> list[str]:
    """Files of the database (main, -wal, -shm) the process holds open after deletion."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(db)) and target.endswith("(deleted)"):
            found.append(target)
    return found


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "cx.db"
    engine = get_engine(str(db))
    upgrade(engine)
    load_demo_copy(engine, seed=5, customers=200)
    with transaction(engine) as session:
        user = accounts.create_user(
            session, "admin@example.org", "durable writes under kill 9", role="admin"
        )
        key = accounts.create_api_key(session, user, "durability", actor="test").key
    engine.dispose()
    return db, key


def _customers(db: Path) -> set[str]:
    with sqlite3.connect(db) as con:
        return {row[0] for row in con.execute("SELECT external_id FROM customers")}


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc (Linux)")
def test_writes_after_analysis_survive_sigkill(world: tuple[Path, str]) -> None:
    db, key = world
    headers = {"Authorization": f"Bearer {key}"}
    acknowledged: list[str] = []
    with (
        _server(db) as (process, base),
        httpx.Client(base_url=base, headers=headers, timeout=60) as http,
    ):

        def create(name: str) -> None:
            answer = http.post("/api/v1/customers", json={"id": name, "region": "north"})
            assert answer.status_code == 201, answer.text
            acknowledged.append(name)

        create("before-analysis")
        analysis = http.post("/api/v1/analyses", json={"survey": SURVEY}, timeout=120)
        assert analysis.status_code == 200, analysis.text
        overview = http.get("/dashboard", follow_redirects=False)
        assert overview.status_code in (200, 303, 307)
        # another process reads the file while the server runs
        reader = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sqlite3; sqlite3.connect({str(db)!r})"
                ".execute('select count(*) from customers').fetchone()",
            ],
            check=True,
        )
        assert reader.returncode == 0
        for n in range(5):
            create(f"after-analysis-{n}")
        # a second analysis read, then one more write
        analysis = http.post(
            "/api/v1/analyses", json={"survey": SURVEY, "by": ["region"]}, timeout=120
        )
        assert analysis.status_code == 200, analysis.text
        create("last")
        assert _deleted_database_files(process.pid, db) == []
        # the analyses read through the Arrow reader process, and its driver never
        # entered the server: one SQLite library per process
        readers = _children(process.pid)
        assert readers, "the analysis did not use the reader process"
        assert any("adbc" in lib for r in readers for lib in sqlite_libraries(r))
        libraries = sqlite_libraries(process.pid)
        assert not any("adbc" in lib for lib in libraries), libraries
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        # the reader process does not outlive the server it served
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{r}").exists() for r in readers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [r for r in readers if Path(f"/proc/{r}").exists()], "reader orphaned"
    stored = _customers(db)
    missing = [name for name in acknowledged if name not in stored]
    assert missing == [], f"acknowledged but lost after SIGKILL: {missing}"
    # and a restarted server serves them
    with _server(db) as (_, base):
        for name in acknowledged:
            answer = httpx.get(f"{base}/api/v1/customers/{name}", headers=headers)
            assert answer.status_code == 200, (name, answer.text)
