from __future__ import annotations

import pytest

from node.recent_cache import RecentCache


def test_the_least_recently_used_entry_goes_first():
    cache: RecentCache[str, int] = RecentCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_putting_a_known_key_refreshes_it_without_growing():
    cache: RecentCache[str, int] = RecentCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), len(cache)) == (10, None, 2)


def test_a_cache_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        RecentCache(0)
