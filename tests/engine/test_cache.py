"""The versioned LRU cache behind survey tables, analyses and dashboard figures."""

from __future__ import annotations

from cxgap.engine.cache import VersionedCache


def test_versions_miss_and_least_recently_used_leave_first() -> None:
    cache: VersionedCache[str] = VersionedCache(max_entries=2)
    cache.put("a", 1, "A1")
    assert cache.get("a", 1) == "A1" and cache.get("a", 2) is None
    cache.put("b", 1, "B1")
    cache.get("a", 1)  # a is now the most recently used
    cache.put("c", 1, "C1")
    assert cache.get("b", 1) is None and cache.get("a", 1) == "A1"
    calls: list[int] = []
    assert cache.get_or_compute("a", 2, lambda: calls.append(1) or "A2") == "A2"
    assert cache.get_or_compute("a", 2, lambda: calls.append(1) or "A3") == "A2"
    assert calls == [1]
    cache.clear()
    assert cache.get("a", 2) is None


def test_weight_limit_keeps_at_least_the_newest_entry() -> None:
    cache: VersionedCache[list[int]] = VersionedCache(max_entries=10, max_weight=5, weight=len)
    cache.put("small", 0, [1, 2])
    cache.put("medium", 0, [1, 2, 3])
    assert cache.get("small", 0) == [1, 2]
    cache.put("big", 0, [0] * 9)  # heavier than the limit alone: the others go, it stays
    assert cache.get("small", 0) is None and cache.get("medium", 0) is None
    assert cache.get("big", 0) == [0] * 9
