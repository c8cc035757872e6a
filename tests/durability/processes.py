"""What a process has loaded, read from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def sqlite_libraries(pid: int) -> set[str]:
    """Shared objects mapped into process ``pid`` that carry a SQLite library."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {
        line.split()[-1]
        for line in maps.splitlines()
        if ("sqlite" in line.lower())
        and line.split()[-1].startswith("/")
        and ".so" in line.split()[-1]
    }
