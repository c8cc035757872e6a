"""Load test of survey submission over loopback.

Submits N responses (default 50,000) to the 22-item zone-of-tolerance survey from C
concurrent keep-alive clients (default 64), one single-use link each, with 5% deliberate
retries of the same submission (same submission id: must get the same answer and store
nothing new). Then posts the same payloads to the baseline endpoint (stores without any
check) and reports throughput, p50/p99 latency and the ratio. The server runs in its own
process (``--serve``), as ``cxgap serve`` runs it, with the baseline endpoint switched on.

    python benchmarks/submit_load.py [--n 50000] [--clients 64] [--retry 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

SURVEY = "zot-load"
INSTRUMENT = "servqual-zot"


def application() -> Any:
    """The app on ``$CXGAP_LOAD_DB``, baseline endpoint on, limits out of the way."""
    from cxgap.cli.serve_cmd import freeze_loaded_objects
    from cxgap.store.database import ensure_schema, get_engine
    from cxgap.web.limits import WebOptions
    from cxgap.web.main import create_app

    engine = get_engine(os.environ["CXGAP_LOAD_DB"])
    ensure_schema(engine)
    options = WebOptions(
        baseline=True, link_posts_per_minute=1_000_000, address_posts_per_minute=100_000_000
    )
    app = create_app(engine, options=options)
    freeze_loaded_objects()
    return app


def serve(db: str, port: int, workers: int) -> None:
    """Run the app until killed, as ``cxgap serve`` does (uvloop, httptools, no access log)."""
    import uvicorn

    os.environ["CXGAP_LOAD_DB"] = db
    uvicorn.run(
        "submit_load:application" if workers > 1 else application(),
        factory=workers > 1,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def prepare(db: str, links: int) -> list[str]:
    """A fresh database with the survey and ``links`` single-use links."""
    from cxgap.services.collection import create_invitations, signing_secret
    from cxgap.services.surveys import ensure_survey
    from cxgap.store.database import get_engine, upgrade

    engine = get_engine(db)
    upgrade(engine)
    ensure_survey(engine, SURVEY, instrument=INSTRUMENT)
    secret = signing_secret(engine.url.render_as_string(hide_password=False))
    return [i.token for i in create_invitations(engine, secret, SURVEY, unassigned=links)]


def answers(rng: random.Random) -> dict[str, str]:
    """A valid answer to every item: adequate <= desired, all on 1..9."""
    from cxgap.instruments import get_instrument

    values: dict[str, str] = {}
    for item in get_instrument(INSTRUMENT).ordered_items():
        adequate = rng.randint(1, 7)
        values[f"{item.id}_adequate"] = str(adequate)
        values[f"{item.id}_desired"] = str(rng.randint(adequate, 9))
        values[f"{item.id}_perceived"] = str(rng.randint(1, 9))
    return values


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(db: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, __file__, "--serve", db, str(port), str(workers)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start")


class Connection:
    """A minimal HTTP/1.1 keep-alive client (cheap, so the server is what is measured)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookie = ""

    async def request(
        self, method: str, path: str, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if self.cookie:
            head += f"Cookie: {self.cookie}\r\n"
        if body:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        try:
            status_line = await self.reader.readuntil(b"\r\n")
            headers: dict[str, str] = {}
            while True:
                line = await self.reader.readuntil(b"\r\n")
                if line == b"\r\n":
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "set-cookie":
                    self.cookie = value.strip().split(";", 1)[0]
                headers[name] = value.strip()
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise ConnectionError("connection closed") from None
        return int(status_line.split()[1]), headers, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    retry_mismatches: int = 0
    failures: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def csrf_for(connection: Connection, token: str) -> str:
    status, _, body = await connection.request("GET", f"/s/{token}")
    if status != 200:
        raise RuntimeError(f"form page answered {status}")
    found = re.search(rb'name="_csrf" value="([^"]+)"', body)
    assert found
    return found.group(1).decode()


async def submit_worker(
    port: int, tokens: list[str], payload: dict[str, str], retry: float, stats: Stats, seed: int
) -> None:
    rng = random.Random(seed)
    connection = Connection(port)
    csrf = await csrf_for(connection, tokens[0])
    for token in tokens:
        key = uuid.uuid4().hex
        body = urlencode(
            {"_csrf": csrf, "_submission": key, "_action": "submit", **payload}
        ).encode()
        start = time.perf_counter()
        status, headers, _ = await connection.request("POST", f"/s/{token}", body)
        stats.latencies.append(time.perf_counter() - start)
        if status != 303:
            stats.failures += 1
            continue
        stats.acknowledged[token] = headers["location"]
        if rng.random() < retry:  # the browser sends the very same submission again
            stats.retries += 1
            again, again_headers, _ = await connection.request("POST", f"/s/{token}", body)
            if again != 303 or again_headers.get("location") != headers["location"]:
                stats.retry_mismatches += 1
    connection.close()


async def baseline_worker(port: int, count: int, payload: dict[str, str], stats: Stats) -> None:
    connection = Connection(port)
    body = urlencode(payload).encode()
    for _ in range(count):
        start = time.perf_counter()
        status, _, _ = await connection.request("POST", f"/baseline/{SURVEY}", body)
        stats.latencies.append(time.perf_counter() - start)
        if status != 201:
            stats.failures += 1
    connection.close()


def count(db: str, where: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"select count(*) from responses where {where}").fetchone()[0])


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its worker processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Phase:
    """Wall time and CPU of one load phase, of the load generator and of the server."""

    wall: float
    client_cpu: float
    server_cpu: float

    @classmethod
    def run(cls, pid: int, jobs: list[Any]) -> Phase:
        wall, client, server = time.perf_counter(), os.times(), server_cpu(pid)
        asyncio.run(_gather(jobs))
        after = os.times()
        return cls(
            wall=time.perf_counter() - wall,
            client_cpu=after.user + after.system - client.user - client.system,
            server_cpu=server_cpu(pid) - server,
        )

    def describe(self, requests: int) -> str:
        return (
            f"CPU: server {self.server_cpu / requests * 1e3:.2f} ms/request "
            f"({self.server_cpu / self.wall:.0%} of a core), "
            f"load generator {self.client_cpu / self.wall:.0%} of a core"
        )


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--retry", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--db", default=None, help="database file (default: a temporary one)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cxgap-load-")
    db = args.db or os.path.join(folder, "load.db")
    started = time.perf_counter()
    tokens = prepare(db, args.n)
    payload = answers(random.Random(1))
    print(f"prepared {len(tokens):,} links in {time.perf_counter() - started:.1f} s; db {db}")
    print(f"load average (1/5/15 min) at start: {load()} on {os.cpu_count()} CPUs")
    port = free_port()
    server = start_server(db, port, args.workers)
    try:
        per = [tokens[k :: args.clients] for k in range(args.clients)]
        stats = Stats()
        phase = Phase.run(
            server.pid,
            [
                submit_worker(port, chunk, payload, args.retry, stats, k)
                for k, chunk in enumerate(per)
            ],
        )
        stored = count(db, "source = 'web'")
        rate = len(stats.latencies) / phase.wall
        print(
            f"submit:   {len(stats.latencies):,} submissions + {stats.retries:,} retries from "
            f"{args.clients} clients to {args.workers} server process(es) in {phase.wall:.1f} s "
            f"= {rate:,.0f}/s; p50 {stats.percentile(0.5):.1f} ms, "
            f"p99 {stats.percentile(0.99):.1f} ms; failures {stats.failures}, "
            f"retry answers differing {stats.retry_mismatches}; stored {stored:,}"
        )
        print("          " + phase.describe(len(stats.latencies) + stats.retries))
        base = Stats()
        shares = [args.n // args.clients + (k < args.n % args.clients) for k in range(args.clients)]
        base_phase = Phase.run(
            server.pid, [baseline_worker(port, c, payload, base) for c in shares]
        )
        base_rate = len(base.latencies) / base_phase.wall
        print(
            f"baseline: {len(base.latencies):,} unchecked stores in {base_phase.wall:.1f} s = "
            f"{base_rate:,.0f}/s; p50 {base.percentile(0.5):.1f} ms, p99 "
            f"{base.percentile(0.99):.1f} ms; failures {base.failures}"
        )
        print("          " + base_phase.describe(len(base.latencies)))
        print(f"ratio submit/baseline throughput: {rate / base_rate:.2f}")
        print(f"load average at end: {load()}")
        ok = (
            stored == args.n
            and stats.failures == 0
            and stats.retry_mismatches == 0
            and rate >= 500
            and stats.percentile(0.99) < 200
            and rate / base_rate >= 0.5
        )
        print(
            "targets (>= 500/s, p99 < 200 ms, >= 0.5x baseline, exactly N stored):",
            "met" if ok else "NOT met",
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _gather(jobs: list) -> None:  # type: ignore[type-arg]
    await asyncio.gather(*jobs)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
