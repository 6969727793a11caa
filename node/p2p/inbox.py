"""Subscriptions to incoming messages, shared by the TCP and in-memory transports.

A subscription is registered when it is created (not when iteration starts), so no message arriving in
between is lost. Its queue is bounded: the TCP transport awaits room, which stops reading from the
sending peer and lets TCP flow control push back, instead of buffering without limit.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from node.abc import InboundMessage, MessageKind


class Subscription(AsyncIterator[InboundMessage]):
    def __init__(
        self, kinds: frozenset[MessageKind] | None, capacity: int, on_close: Callable[[Subscription], None]
    ) -> None:
        self.kinds = kinds
        self._capacity = capacity
        self._items: deque[InboundMessage] = deque()
        self._not_empty = asyncio.Event()
        self._not_full = asyncio.Event()
        self._on_close = on_close
        self.closed = False

    def wants(self, kind: MessageKind) -> bool:
        return not self.closed and (self.kinds is None or kind in self.kinds)

    async def put(self, message: InboundMessage) -> None:
        """Deliver, waiting for room (backpressure onto the sender's connection); a no-op once closed."""
        while len(self._items) >= self._capacity and not self.closed:
            self._not_full.clear()
            await self._not_full.wait()
        if not self.closed:
            self._items.append(message)
            self._not_empty.set()

    def offer(self, message: InboundMessage) -> bool:
        """Deliver without waiting; return False (message dropped) when closed or the subscriber lags."""
        if self.closed or len(self._items) >= self._capacity:
            return False
        self._items.append(message)
        self._not_empty.set()
        return True

    def drain_nowait(self) -> list[InboundMessage]:
        """Return and remove everything queued now, without waiting (for deterministic tests)."""
        items = list(self._items)
        self._items.clear()
        self._not_full.set()
        return items

    def close(self) -> None:
        """End the iteration once the messages already queued are consumed; wakes any waiting sender."""
        if self.closed:
            return
        self.closed = True
        self._on_close(self)
        self._not_full.set()
        self._not_empty.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> InboundMessage:
        while not self._items:
            if self.closed:
                raise StopAsyncIteration
            self._not_empty.clear()
            await self._not_empty.wait()
        item = self._items.popleft()
        self._not_full.set()
        return item


class SubscriptionSet:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._subscriptions: list[Subscription] = []

    def subscribe(self, kinds: frozenset[MessageKind] | None) -> Subscription:
        subscription = Subscription(kinds, self._capacity, self._subscriptions.remove)
        self._subscriptions.append(subscription)
        return subscription

    def matching(self, kind: MessageKind) -> list[Subscription]:
        return [sub for sub in self._subscriptions if sub.wants(kind)]

    def close_all(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()
