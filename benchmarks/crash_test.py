"""Crash test: SIGKILL the server during submission load, restart it, check the data.

Clients submit to single-use links like browsers do: when a request fails because the
server died, they retry the same submission (same submission id) once it is back. The
server is killed with SIGKILL at random moments (``--kills``, at least 5) and restarted.
Afterwards:

- every submission the server acknowledged (303) is stored exactly once;
- every stored response is whole: its invitation completed, its submission row there,
  22 answers with adequate, desired and perceived each; nothing else is stored.

    python benchmarks/crash_test.py [--links 8000] [--clients 64] [--kills 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import tempfile
import time
import uuid
from urllib.parse import urlencode

from submit_load import Connection, answers, csrf_for, free_port, prepare, start_server


class Load:
    def __init__(self, port: int, tokens: list[str], clients: int) -> None:
        self.port = port
        self.queue = list(tokens)
        self.clients = clients
        self.acknowledged: dict[str, str] = {}  # submission id -> redirect
        self.errors = 0
        self.retried_after_crash = 0
        self.done = asyncio.Event()

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


async def run(db: str, tokens: list[str], clients: int, kills: int, seed: int) -> Load:
    port = free_port()
    server = start_server(db, port)
    load = Load(port, tokens, clients)
    rng = random.Random(seed)

    async def killer() -> None:
        nonlocal server
        for n in range(kills):
            await asyncio.sleep(rng.uniform(0.5, 2.5))
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            stored = _count(db, "select count(*) from responses")
            print(f"kill {n + 1}: SIGKILL at {stored:,} stored responses; restarting")
            server = await asyncio.to_thread(start_server, db, port)

    try:
        await asyncio.gather(killer(), *(load.client(k) for k in range(clients)))
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
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    db = os.path.join(tempfile.mkdtemp(prefix="cxgap-crash-"), "crash.db")
    tokens = prepare(db, args.links)
    started = time.perf_counter()
    load = asyncio.run(run(db, tokens, args.clients, max(args.kills, 5), args.seed))
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
    ok = (
        not missing
        and orphans == 0
        and unlinked == 0
        and partial == 0
        and responses == submissions == completed == len(load.acknowledged) == args.links
    )
    print("crash test:", "passed" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
