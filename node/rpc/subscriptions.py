"""``eth_subscribe`` on one WebSocket connection: a task per subscription forwarding node events.

Each subscription reads one of :class:`node.abc.NodeEventsAPI`'s async iterators and sends
``eth_subscription`` notifications through the connection's single sender, so frames never interleave.
Tasks start only after the ``eth_subscribe`` answer has been sent (a client must learn the id before the
first notification), and all of them stop when the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocketDisconnect

from node.abc import LogFilter, NodeEventsAPI
from node.rpc import inbound, outbound
from node.rpc.errors import InvalidParams, LimitExceeded
from node.rpc.limits import RpcLimits

logger = logging.getLogger("node.rpc")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Lost = Callable[[str], Awaitable[None]]
"""Called when the node ends a subscription on its own (the subscriber lagged too far behind)."""
SUBSCRIPTION_KINDS = ("newHeads", "logs")
LAST_BLOCK = 2**63 - 1


@dataclass(frozen=True, slots=True)
class _Source:
    """A node event stream (already registered with the node) and how its items look on the wire."""

    items: AsyncIterator[Any]
    format: Callable[[Any], dict[str, Any]]

    async def aclose(self) -> None:
        close = getattr(self.items, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()


class ConnectionSubscriptions:
    """The subscriptions of one WebSocket connection (implements ``dispatch.SubscriptionHost``)."""

    def __init__(
        self, *, events: NodeEventsAPI, limits: RpcLimits, send: Send, on_lost: Lost | None = None
    ) -> None:
        self._events = events
        self._limits = limits
        self._send = send
        self._on_lost = on_lost
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._ready: dict[str, _Source] = {}

    def __len__(self) -> int:
        return len(self._tasks) + len(self._ready)

    def subscribe(self, kind: str, params: list[Any]) -> str:
        if len(self) >= self._limits.max_subscriptions_per_connection:
            raise LimitExceeded(
                f"too many subscriptions on this connection "
                f"(at most {self._limits.max_subscriptions_per_connection})"
            )
        if kind == "newHeads":
            if params:
                raise InvalidParams("newHeads takes no options")
            source = _Source(self._events.subscribe_heads(), outbound.header_object)
        elif kind == "logs":
            source = _Source(self._events.subscribe_logs(self._log_filter(params)), outbound.log_object)
        else:
            raise InvalidParams(
                f"unsupported subscription {kind[:32]!r}; supported: {', '.join(SUBSCRIPTION_KINDS)}"
            )
        # The node registered the subscription just now, so whatever commits from here on is queued
        # for it, even before the forwarding task starts.
        subscription_id = "0x" + secrets.token_hex(16)
        self._ready[subscription_id] = source
        return subscription_id

    def unsubscribe(self, subscription_id: str) -> bool:
        source = self._ready.pop(subscription_id, None)
        if source is not None:
            closing = asyncio.create_task(source.aclose())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
            return True
        task = self._tasks.pop(subscription_id, None)
        if task is None:
            return False
        task.cancel()
        return True

    def start_ready(self) -> None:
        """Start forwarding for subscriptions whose ids have now been sent to the client."""
        for subscription_id, source in self._ready.items():
            self._tasks[subscription_id] = asyncio.create_task(self._forward(subscription_id, source))
        self._ready.clear()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for source in self._ready.values():
            await source.aclose()
        self._ready.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @staticmethod
    def _log_filter(params: list[Any]) -> LogFilter:
        spec = inbound.filter_spec(params[0] if params else None, "logs", allow_block_hash=False)
        if spec.from_block != "latest" or spec.to_block != "latest":
            raise InvalidParams("logs subscriptions take only address and topics")
        return LogFilter(0, LAST_BLOCK, spec.addresses, spec.topics)

    async def _forward(self, subscription_id: str, source: _Source) -> None:
        try:
            async for item in source.items:
                await self._send(
                    {
                        "jsonrpc": "2.0",
                        "method": "eth_subscription",
                        "params": {"subscription": subscription_id, "result": source.format(item)},
                    }
                )
            # The node ended the stream (e.g. the client read too slowly and the queue overflowed):
            # the client must learn it missed events rather than wait forever.
            self._tasks.pop(subscription_id, None)
            if self._on_lost is not None:
                await self._on_lost(subscription_id)
        except asyncio.CancelledError:
            raise
        except WebSocketDisconnect:
            logger.debug("subscription %s ended: client went away", subscription_id)
        except Exception:  # a failing subscription must not take the connection down
            logger.exception("subscription %s stopped", subscription_id)
        finally:
            await source.aclose()
