"""A throw-away PostgreSQL server for the tests.

:class:`PostgresServer` finds ``initdb`` and ``pg_ctl`` (on the ``PATH``, or Debian's
``/usr/lib/postgresql/<version>/bin``), creates a cluster in a temporary folder, starts it
on a free port of 127.0.0.1 (its unix socket in the same folder), and stops it and removes
the folder at the end. ``initdb`` refuses to run as root: as root the cluster belongs to
the ``postgres`` user that Debian's package creates (or to ``nobody``), and the server runs
as that user. The cluster is tuned for tests (no fsync), never for data worth keeping.

Each test gets its own database, copied from a migrated template (``CREATE DATABASE ...
TEMPLATE``), which takes a fraction of a second instead of running every migration again.

By hand::

    python -m tests.postgres_server start   # prints the folder and the URL; keeps running
    python -m tests.postgres_server stop DIR
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

BACKENDS = ("sqlite", "postgresql")
"""The databases the storage, services, import, collection and API tests run on."""
TEST_SECRET_KEY = "test-secret-key-for-links-on-the-postgresql-test-server"
"""Links are signed with the setting on a server database (no secret file beside it)."""
SUPERUSER = "cxgap"
TEMPLATE = "cxgap_template"
SETUP_HINT = (
    "run scripts/setup-tests.sh as root (it installs Debian's postgresql, listed in "
    ".ci/apt/postgres.txt), or put initdb and pg_ctl on the PATH"
)


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL's programs are missing or the server did not start."""


def find_bin_dir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: the ``PATH`` first, then the newest
    of Debian's ``/usr/lib/postgresql/<version>/bin``."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise PostgresUnavailableError(f"PostgreSQL's initdb/pg_ctl were not found; {SETUP_HINT}")
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (``None`` otherwise)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailableError("running as root and neither user postgres nor nobody exists")


@dataclass
class PostgresServer:
    """One running cluster; :meth:`start` it, :meth:`stop` it (the folder goes too)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cxgap-pg-")))
    port: int = field(default_factory=free_port)
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        user = _server_user()
        command = [*args]
        kwargs: dict[str, object] = {}
        if user is not None:
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
            env={**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"},
            **kwargs,  # type: ignore[arg-type]
        )
        if done.returncode != 0:
            raise PostgresUnavailableError(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def start(self) -> PostgresServer:
        bin_dir = find_bin_dir()
        user = _server_user()
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            str(bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        atexit.register(self.stop)  # also when a test process ends without its finalizers
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(
                    str(find_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "stop"
                )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create_template(self) -> None:
        """The migrated database every test database is copied from."""
        from cxgap.store.database import get_engine, upgrade

        self.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = get_engine(self.url(TEMPLATE))
        upgrade(engine)
        engine.dispose()

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database (a copy of the migrated template, or empty); its URL."""
        with self._lock:
            self._counter += 1
            name = f"test_{os.getpid()}_{self._counter}"
        template = TEMPLATE if migrated else "template0"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        server = PostgresServer().start()
        print(f"folder: {server.folder}\nurl: {server.url()}")
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        folder = Path(argv[1])
        PostgresServer(folder=folder, port=0).stop()
        return 0
    print("usage: python -m tests.postgres_server start | stop DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
