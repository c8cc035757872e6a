"""Crash test: SIGKILL the server during submission load, restart it, check the data.

Clients submit to single-use links like browsers do: when a request fails because the
server died, they retry the same submission (same submission id) once it is back. Mixed
into the writes, readers run analyses through the API (``POST /api/v1/analyses``, which
reads answers through the Arrow reader process: ``CXGAP_ARROW_READER_MIN_ROWS=0``) and
load dashboard pages as a signed-in analyst. A watcher looks at the server's open files
every 0.1 s for database, WAL or SHM files that were deleted under it. The server is
killed with SIGKILL at random moments (``--kills``, at least 5) and restarted.
Afterwards:

- every submission the server acknowledged (303) is stored exactly once;
- every stored response is whole: its invitation completed, its submission row there,
  22 answers with adequate, desired and perceived each; nothing else is stored;
- the server never held a deleted database, WAL or SHM file open;
- reads were answered during the load (their count is printed).

    python benchmarks/crash_test.py [--links 8000] [--clients 64] [--readers 4] [--kills 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
from submit_load import SURVEY, Connection, answers, csrf_for, free_port, prepare, start_server

READER_EMAIL = "reader@example.org"
READER_PASSWORD = "crash-test reader passphrase 7"


def add_reader(db: str) -> str:
    """An analyst account for the readers; returns its API key."""
    from cxgap.services import accounts
    from cxgap.store.database import get_engine, transaction

    engine = get_engine(db)
    with transaction(engine) as session:
        user = accounts.create_user(session, READER_EMAIL, READER_PASSWORD, role="analyst")
        key = accounts.create_api_key(session, user, "crash test", actor="crash test").key
    engine.dispose()
    return key


def deleted_files(pid: int, db: str) -> list[str]:
    """The database's files (main, -wal, -shm) that process ``pid`` holds open deleted."""
    found = []
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(db) and target.endswith("(deleted)"):
            found.append(target)
    return found


class Load:
    def __init__(self, port: int, tokens: list[str], clients: int, key: str = "") -> None:
        self.port = port
        self.queue = list(tokens)
        self.clients = clients
        self.key = key
        self.acknowledged: dict[str, str] = {}  # submission id -> redirect
        self.errors = 0
        self.retried_after_crash = 0
        self.reads: dict[str, int] = {"analysis": 0, "dashboard": 0}
        self.read_errors = 0
        self.unexpected: Counter[str] = Counter()
        self.read_failures: Counter[str] = Counter()
        self.server_deaths = 0
        self.deleted_seen: set[str] = set()
        self.done = asyncio.Event()

    async def reader(self, seed: int) -> None:
        """Analyses through the API and dashboard pages, until the writers are done."""
        rng = random.Random(seed)
        base = f"http://127.0.0.1:{self.port}"
        headers = {"Authorization": f"Bearer {self.key}"}
        while len(self.acknowledged) < 20 and self.queue:  # an analysis needs responses
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            signed_in = False
            while self.queue:
                try:
                    if rng.random() < 0.5:
                        answer = await http.post(
                            "/api/v1/analyses",
                            json={"survey": SURVEY},
                            headers=headers,
                        )
                        kind = "analysis"
                    else:
                        if not signed_in:
                            await self.sign_in(http)
                            signed_in = True
                        answer = await http.get(f"/dashboard?survey={SURVEY}")
                        kind = "dashboard"
                except (httpx.HTTPError, OSError) as exc:
                    self.read_errors += 1
                    self.read_failures[type(exc).__name__] += 1
                    await asyncio.sleep(0.1)
                    continue
                if answer.status_code == 200:
                    self.reads[kind] += 1
                else:
                    self.unexpected[f"{kind} {answer.status_code}"] += 1
                    signed_in = False
                await asyncio.sleep(rng.uniform(0.05, 0.3))

    async def sign_in(self, http: httpx.AsyncClient) -> None:
        form = await http.get("/login")
        found = re.search(r'name="_csrf" value="([^"]+)"', form.text)
        if found is None:
            raise httpx.HTTPError("no sign-in form")
        answer = await http.post(
            "/login",
            data={
                "_csrf": found.group(1),
                "email": READER_EMAIL,
                "password": READER_PASSWORD,
                "next": "/dashboard",
            },
        )
        if answer.status_code not in (200, 303):
            raise httpx.HTTPError(f"sign-in answered {answer.status_code}")

    async def watch(self, pid: Callable[[], int], db: str) -> None:
        """Look for deleted database files held open by the server."""
        while self.queue:
            self.deleted_seen.update(deleted_files(pid(), db))
            await asyncio.sleep(0.1)

    async def client(self, seed: int) -> None:
        rng = random.Random(seed)
        payload = answers(rng)
        connection = Connection(self.port)
        csrf = ""
        while self.queue:
            token = self.queue.pop()
            key = uuid.uuid4().hex
            while True:
                try:
                    if not csrf:
                        csrf = await csrf_for(connection, token)
                    body = urlencode(
                        {"_csrf": csrf, "_submission": key, "_action": "submit", **payload}
                    ).encode()
                    status, headers, _ = await connection.request("POST", f"/s/{token}", body)
                except (ConnectionError, OSError, RuntimeError):
                    self.errors += 1
                    connection.close()  # the cookie and form token stay valid after a restart
                    await asyncio.sleep(0.05)
                    continue
                if status == 303:
                    self.acknowledged[key] = headers["location"]
                    break
                raise AssertionError(f"unexpected status {status} for a valid submission")
        connection.close()


async def run(
    db: str, tokens: list[str], clients: int, kills: int, seed: int, readers: int, key: str
) -> Load:
    port = free_port()
    server = start_server(db, port)
    load = Load(port, tokens, clients, key)
    rng = random.Random(seed)

    async def restart_if_died() -> None:
        """A server that ended without being killed is a failure; it is restarted so
        that the clients can finish and the data can still be checked."""
        nonlocal server
        if server.poll() is not None:
            load.server_deaths += 1
            print(f"the server ended by itself (exit code {server.returncode}); restarting")
            server = await asyncio.to_thread(start_server, db, port)

    async def killer() -> None:
        nonlocal server
        for n in range(kills):
            await asyncio.sleep(rng.uniform(0.5, 2.5))
            await restart_if_died()
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            stored = _count(db, "select count(*) from responses")
            print(f"kill {n + 1}: SIGKILL at {stored:,} stored responses; restarting")
            server = await asyncio.to_thread(start_server, db, port)
        while load.queue:
            await asyncio.sleep(0.5)
            await restart_if_died()

    try:
        await asyncio.gather(
            killer(),
            load.watch(lambda: server.pid, db),
            *(load.client(k) for k in range(clients)),
            *(load.reader(seed + k) for k in range(readers)),
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return load


def _count(db: str, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=8000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--readers", type=int, default=4, help="analysis/dashboard readers")
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    db = os.path.join(tempfile.mkdtemp(prefix="cxgap-crash-"), "crash.db")
    tokens = prepare(db, args.links)
    key = add_reader(db)
    os.environ["CXGAP_ARROW_READER_MIN_ROWS"] = "0"  # every analysis read takes the Arrow path
    started = time.perf_counter()
    load = asyncio.run(
        run(db, tokens, args.clients, max(args.kills, 5), args.seed, args.readers, key)
    )
    elapsed = time.perf_counter() - started
    with sqlite3.connect(db) as conn:
        stored_keys = dict(conn.execute("select key, count(*) from submissions group by key"))
        responses = conn.execute("select count(*) from responses").fetchone()[0]
        submissions = conn.execute("select count(*) from submissions").fetchone()[0]
        completed = conn.execute(
            "select count(*) from invitations where status = 'completed'"
        ).fetchone()[0]
        orphans = conn.execute(
            "select count(*) from responses r where not exists "
            "(select 1 from submissions s where s.response_id = r.id)"
        ).fetchone()[0]
        unlinked = conn.execute(
            "select count(*) from invitations where status = 'completed' and response_id is null"
        ).fetchone()[0]
        partial = conn.execute(
            "select count(*) from responses r where (select count(*) from answers a where "
            "a.response_id = r.id and a.adequate is not null and a.desired is not null "
            "and a.perceived is not null) != 22"
        ).fetchone()[0]
    missing = [k for k in load.acknowledged if stored_keys.get(k) != 1]
    print(
        f"{args.links:,} links, {args.clients} clients, {max(args.kills, 5)} SIGKILLs in "
        f"{elapsed:.1f} s; {load.errors:,} request attempts failed while the server was "
        "down and were retried"
    )
    print(
        f"acknowledged {len(load.acknowledged):,}; stored responses {responses:,}, "
        f"submission rows {submissions:,}, completed links {completed:,}"
    )
    print(
        f"acknowledged but not stored exactly once: {len(missing)}; responses without "
        f"submission: {orphans}; completed links without response: {unlinked}; responses "
        f"without all 22 x 3 answers: {partial}"
    )
    print(
        f"reads answered during the load: {load.reads['analysis']:,} analyses, "
        f"{load.reads['dashboard']:,} dashboard pages ({load.read_errors:,} failed while "
        f"the server was down: {dict(load.read_failures)}); "
        f"unexpected answers: {dict(load.unexpected) or 'none'}; "
        f"deleted database files seen open: {sorted(load.deleted_seen) or 'none'}; "
        f"server ends not caused by the test: {load.server_deaths}"
    )
    ok = (
        not missing
        and not load.deleted_seen
        and not load.unexpected
        and load.server_deaths == 0
        and (args.readers == 0 or min(load.reads.values()) > 0)
        and orphans == 0
        and unlinked == 0
        and partial == 0
        and responses == submissions == completed == len(load.acknowledged) == args.links
    )
    print("crash test:", "passed" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
