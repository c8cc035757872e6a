"""Large reads of a SQLite file as Arrow columns, in a separate reader process.

The ADBC SQLite driver returns query results as Arrow columns without one Python object
per value (about three times faster than a DB-API cursor on millions of answers), but it
carries its own statically linked copy of SQLite. Two SQLite libraries in one process
break SQLite's locking: POSIX locks belong to the process, so when one library closes its
file it drops the other's locks, and a connection that believes it is the last one
checkpoints and deletes the WAL file under the other library's writer — acknowledged
writes are then lost at the next crash (SQLite's "How to corrupt an SQLite database
file", section 2.2.1).

So the driver is never loaded into a cxgap process that writes: it runs in one
spawned reader process per cxgap process, which opens the file read-only, as any other
process reading the database would. Between processes SQLite's locking is sound. The
reader process is started on first use, lives as long as its parent and ends with it.
When it cannot be started or fails, :func:`read_arrow` returns ``None`` and the caller
reads through its cursor.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None

DRIVER_MODULE = "adbc_driver_sqlite"
"""The module that carries the second SQLite library; never imported by a parent."""


def _query(uri: str, sql: str, parameters: tuple[Any, ...]) -> pa.Table:
    """Runs in the reader process: the query's result as an Arrow table."""
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetch_arrow_table()


def _follow_parent(parent: int) -> None:
    """Runs in the reader process: end it when its parent is gone (even by SIGKILL,
    which runs no clean-up), so that no reader outlives the process it served."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _reader() -> ProcessPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent,
                initargs=(os.getpid(),),
            )
        return _executor


def _discard(executor: ProcessPoolExecutor) -> None:
    global _executor
    with _lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False, cancel_futures=True)


def read_arrow(path: Path, sql: str, parameters: tuple[Any, ...]) -> pa.Table | None:
    """``sql`` run read-only on the SQLite file ``path`` by the reader process, or ``None``
    when the reader is unavailable (the driver is not installed, the process could not
    start or died): the caller then reads the same rows through its own connection."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    executor = _reader()
    try:
        return executor.submit(_query, uri, sql, parameters).result()
    except BrokenProcessPool:
        log.warning("the SQLite reader process stopped; reading through the cursor")
        _discard(executor)
        return None
    except Exception as exc:  # driver missing or any driver trouble: the cursor path reads
        log.info("SQLite reader process unavailable (%s); reading through the cursor", exc)
        return None


def shutdown() -> None:
    """Stop the reader process (it is started again on the next read)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)
