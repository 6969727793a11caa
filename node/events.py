"""``NodeEvents``: fan-out of committed heads and logs to WebSocket subscribers.

Blocks are committed on a worker thread; subscribers live on the event loop. :meth:`NodeEvents.publish`
is therefore thread-safe and hands over with ``call_soon_threadsafe``. Each subscription has a bounded
queue: a subscriber that falls ``queue_size`` items behind is ended (its iterator stops) rather than
letting the node's memory grow without bound for a slow client.

A subscription is registered when ``subscribe_*`` is called, not on first iteration, so nothing
committed between subscribing and iterating is missed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from eth.abc import BlockAPI, BlockHeaderAPI

from node.abc import LogFilter, LogRecord, NodeEventsAPI, ReceiptRecord
from node.execution.receipts import log_matches

T = TypeVar("T")
DEFAULT_QUEUE_SIZE = 1024


class Subscription(Generic[T]):
    """An async iterator over published items; ``aclose`` unregisters it."""

    def __init__(self, hub: NodeEvents, queue_size: int, log_filter: LogFilter | None = None) -> None:
        self._hub = hub
        self.log_filter = log_filter
        self._queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize=queue_size)
        self._closed = False

    def offer(self, item: T) -> None:
        """Queue ``item`` (event-loop thread); end the subscription if the subscriber lags too far."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self._closed = True
            self._hub.unregister(self)
            # make room for the end marker
            self._queue.get_nowait()
            self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        self._closed = True
        self._hub.unregister(self)


class NodeEvents(NodeEventsAPI):
    """The event hub; bind it to the running loop with :meth:`attach` before publishing."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._heads: set[Subscription[BlockHeaderAPI]] = set()
        self._logs: set[Subscription[LogRecord]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def _bind_to_running_loop(self) -> None:
        # Subscribers live on the loop that serves them; bind to it if no loop was attached yet.
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                return

    def subscribe_heads(self) -> Subscription[BlockHeaderAPI]:
        self._bind_to_running_loop()
        subscription: Subscription[BlockHeaderAPI] = Subscription(self, self._queue_size)
        with self._lock:
            self._heads.add(subscription)
        return subscription

    def subscribe_logs(self, log_filter: LogFilter) -> Subscription[LogRecord]:
        self._bind_to_running_loop()
        subscription: Subscription[LogRecord] = Subscription(self, self._queue_size, log_filter)
        with self._lock:
            self._logs.add(subscription)
        return subscription

    def unregister(self, subscription: Subscription[Any]) -> None:
        with self._lock:
            self._heads.discard(subscription)
            self._logs.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._heads) + len(self._logs)

    def publish(self, block: BlockAPI, records: Sequence[ReceiptRecord]) -> None:
        """Announce a committed block; safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        logs = [log for record in records for log in record.logs]
        loop.call_soon_threadsafe(self._deliver, block.header, logs)

    def _deliver(self, header: BlockHeaderAPI, logs: list[LogRecord]) -> None:
        with self._lock:
            heads = list(self._heads)
            log_subs = list(self._logs)
        for head_subscription in heads:
            head_subscription.offer(header)
        for log_subscription in log_subs:
            wanted = log_subscription.log_filter
            for log in logs:
                if wanted is None or log_matches(log, wanted):
                    log_subscription.offer(log)
