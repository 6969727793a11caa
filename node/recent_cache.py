"""``RecentCache``: a bounded, thread-safe least-recently-used map.

Why one class: the node keeps several small caches of values that are expensive to rebuild and are
asked for again and again while recent (decoded blocks, their receipt records, validator-vote
tallies), read from RPC worker threads and the event loop at once. The value is computed outside the
lock, so two threads may both compute a missing entry; that costs a little work, never a wrong value,
because every cached value is derived from immutable, content-addressed data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RecentCache(Generic[K, V]):
    """Keep the ``size`` most recently used entries."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache must hold at least one entry")
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
