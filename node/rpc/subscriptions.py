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
        self._ready: dict[str, AsyncIterator[dict[str, Any]]] = {}

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
            stream = self._heads()
        elif kind == "logs":
            stream = self._logs(params[0] if params else None)
        else:
            raise InvalidParams(
                f"unsupported subscription {kind[:32]!r}; supported: {', '.join(SUBSCRIPTION_KINDS)}"
            )
        subscription_id = "0x" + secrets.token_hex(16)
        self._ready[subscription_id] = stream
        return subscription_id

    def unsubscribe(self, subscription_id: str) -> bool:
        stream = self._ready.pop(subscription_id, None)
        if stream is not None:
            return True
        task = self._tasks.pop(subscription_id, None)
        if task is None:
            return False
        task.cancel()
        return True

    def start_ready(self) -> None:
        """Start forwarding for subscriptions whose ids have now been sent to the client."""
        for subscription_id, stream in self._ready.items():
            self._tasks[subscription_id] = asyncio.create_task(self._forward(subscription_id, stream))
        self._ready.clear()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        self._ready.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _heads(self) -> AsyncIterator[dict[str, Any]]:
        async for header in self._events.subscribe_heads():
            yield outbound.header_object(header)

    def _logs(self, options: Any) -> AsyncIterator[dict[str, Any]]:
        spec = inbound.filter_spec(options, "logs", allow_block_hash=False)
        if spec.from_block != "latest" or spec.to_block != "latest":
            raise InvalidParams("logs subscriptions take only address and topics")
        log_filter = LogFilter(0, LAST_BLOCK, spec.addresses, spec.topics)

        async def stream() -> AsyncIterator[dict[str, Any]]:
            async for log in self._events.subscribe_logs(log_filter):
                yield outbound.log_object(log)

        return stream()

    async def _forward(self, subscription_id: str, stream: AsyncIterator[dict[str, Any]]) -> None:
        try:
            async for result in stream:
                await self._send(
                    {
                        "jsonrpc": "2.0",
                        "method": "eth_subscription",
                        "params": {"subscription": subscription_id, "result": result},
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
            close = getattr(stream, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
