"""Nonces for concurrent sending: one lock per account, the first nonce from the node's ``pending`` count.

Two permits signed at the same moment must not get the same nonce, and a nonce the node never took
(a broadcast that failed) must not leave a gap that blocks everything after it: on any error the book
forgets the account and the next reservation asks the node again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class NonceBook:
    """Hands out consecutive nonces per account; ``lock(address)`` serialises reserve-sign-broadcast."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._next: dict[str, int] = {}

    def lock(self, address: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(address.lower(), threading.Lock())

    def reserve(self, address: str, pending_count: Callable[[], int]) -> int:
        """The next nonce of ``address`` (call with ``lock(address)`` held)."""
        key = address.lower()
        if key not in self._next:
            self._next[key] = pending_count()
        nonce = self._next[key]
        self._next[key] = nonce + 1
        return nonce

    def reset(self, address: str) -> None:
        """Forget the local counter: the node's ``pending`` count is the truth again."""
        self._next.pop(address.lower(), None)
