"""One in-process cache for values derived from stored data.

Each entry remembers the data version it was computed from; a lookup with another
version misses, so new responses or changed customers are never served stale. Entries
leave least recently used first, past a count or (with ``weight``) a total weight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class VersionedCache(Generic[V]):
    """A thread-safe LRU map ``key -> (version, value)``."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_weight: float | None = None,
        weight: Callable[[V], float] | None = None,
    ) -> None:
        self.max_entries = max_entries
        self.max_weight = max_weight
        self.weight = weight
        self._entries: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable) -> V | None:
        """The value stored under ``key`` for this ``version``, or ``None``."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] != version:
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: Hashable, version: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_entries or self._too_heavy()
            ):
                self._entries.popitem(last=False)

    def _too_heavy(self) -> bool:
        if self.max_weight is None or self.weight is None:
            return False
        return sum(self.weight(value) for _, value in self._entries.values()) > self.max_weight

    def get_or_compute(self, key: Hashable, version: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()`` stored under this version."""
        found = self.get(key, version)
        if found is None:
            found = compute()
            self.put(key, version, found)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
