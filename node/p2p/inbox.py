"""Subscriptions to incoming messages, shared by the TCP and in-memory transports.

A subscription is registered when it is created (not when iteration starts), so no message arriving in
between is lost. Its queue is bounded: the TCP transport awaits room, which stops reading from the
sending peer and lets TCP flow control push back, instead of buffering without limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from node.abc import InboundMessage, MessageKind


class Subscription(AsyncIterator[InboundMessage]):
    def __init__(
        self, kinds: frozenset[MessageKind] | None, capacity: int, on_close: Callable[[Subscription], None]
    ) -> None:
        self.kinds = kinds
        self._queue: asyncio.Queue[InboundMessage | None] = asyncio.Queue(maxsize=capacity)
        self._on_close = on_close
        self.closed = False

    def wants(self, kind: MessageKind) -> bool:
        return not self.closed and (self.kinds is None or kind in self.kinds)

    async def put(self, message: InboundMessage) -> None:
        """Deliver, waiting for room (backpressure onto the sender's connection)."""
        await self._queue.put(message)

    def offer(self, message: InboundMessage) -> bool:
        """Deliver without waiting; return False (message dropped) when the subscriber lags."""
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        """End the iteration; messages already queued are still returned first."""
        if self.closed:
            return
        self.closed = True
        self._on_close(self)
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> InboundMessage:
        item = await self._queue.get()
        if item is None:
            self._queue.put_nowait(None)
            raise StopAsyncIteration
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
